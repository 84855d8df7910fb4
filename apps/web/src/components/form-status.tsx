// A form's success message: a polite live region, always in the page (empty until there is
// something to say), so screen readers already watch it when "Password changed." arrives.
// Refusals go to FormAlert (role="alert") instead.
export function FormStatus({ id, message }: { id?: string; message: string | null }) {
  return (
    <p id={id} className="form-status" role="status">
      {message}
    </p>
  );
}
