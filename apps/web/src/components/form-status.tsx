// A form's success message: a polite live region, always in the page (empty until there is
// something to say), so screen readers already watch it when "Password changed." arrives.
// Refusals go to FormAlert (role="alert") instead. Tone "info": a calm word that is no success
// (a prompt the visitor dismissed), shown without the success colours.
export function FormStatus({ id, message, tone }: { id?: string; message: string | null; tone?: 'info' }) {
  return (
    <p id={id} className="form-status" role="status" data-tone={tone}>
      {message}
    </p>
  );
}
