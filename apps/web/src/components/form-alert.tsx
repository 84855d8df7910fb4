// The one form-level message: problems that belong to no single field (wrong login, server
// unreachable). role="alert" makes screen readers announce it as soon as it appears.
export function FormAlert({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div role="alert" className="form-alert">
      {message}
    </div>
  );
}
