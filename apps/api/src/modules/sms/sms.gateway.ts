import { SMS_MESSAGES } from '@register/contracts';
export interface SmsMessage {
  mobile: string;
  code: string;
  ttlMinutes: number;
  /** The text a person receives (the provider renders its own template from code and ttl). */
  text: string;
}

export interface SmsGateway {
  readonly name: 'outbox' | 'ccp';
  /**
   * Resolves when the provider accepted the message. Throws SmsRejectedError or SmsNotSentError
   * when the message certainly did not go out; any other error (a timeout, a garbled answer)
   * leaves it unknown whether it did.
   */
  send(message: SmsMessage): Promise<void>;
}

/** The request never reached the provider (refused, unreachable, no DNS, bad TLS): nothing was sent. */
export class SmsNotSentError extends Error {
  override name = 'SmsNotSentError';
}

/** The provider answered and refused the message (the seed's `res != 0`: SMSFAIL). */
export class SmsRejectedError extends Error {
  override name = 'SmsRejectedError';
  readonly providerCode: string;
  constructor(providerCode: string, message: string) {
    super(message);
    this.providerCode = providerCode;
  }
}

export const smsText = SMS_MESSAGES.text;
