import { SMS_MESSAGES, type SmsPurpose } from '@register/contracts';

/** What a text is for: a code of one of the flows, or a security notice (no code, its own text). */
export type SmsKind = SmsPurpose | 'notice';

export interface SmsMessage {
  mobile: string;
  /** The code, or '' for a notice. */
  code: string;
  ttlMinutes: number;
  /** Which flow the code serves; a notice is sent with the provider's notice template. */
  purpose: SmsKind;
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

/** The text of a code per purpose (English by design: the provider's template decides what is sent). */
export const SMS_TEXTS: Record<SmsPurpose, (code: string, ttlMinutes: number) => string> = {
  register: SMS_MESSAGES.text,
  reset: SMS_MESSAGES.resetText,
  change_mobile: SMS_MESSAGES.changeMobileText,
};
