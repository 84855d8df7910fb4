export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** the link the message carries, if any */
  link?: string;
  /** the raw token inside the link, if any (outbox only shows it) */
  token?: string;
}

export interface MailGateway {
  readonly name: 'outbox' | 'smtp';
  /**
   * Resolves when the server accepted the message. Throws MailRejectedError or MailNotSentError
   * when the message certainly did not go out; any other error (a timeout after the message was
   * handed over, a connection lost at the end of it) leaves it unknown whether it did.
   */
  send(message: MailMessage): Promise<void>;
}

/** The message certainly did not go out: unreachable, no DNS, bad TLS, or cut off before its end. */
export class MailNotSentError extends Error {
  override name = 'MailNotSentError';
}

/** The server answered and refused (the sender, a recipient, the data): an SMTP 4xx or 5xx reply. */
export class MailRejectedError extends MailNotSentError {
  override name = 'MailRejectedError';
  readonly responseCode: number;
  constructor(responseCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.responseCode = responseCode;
  }
}

/** a***@example.com: enough to follow a message in logs, not enough to read the address. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at > 0 ? `${address[0]}***${address.slice(at)}` : '***';
}
