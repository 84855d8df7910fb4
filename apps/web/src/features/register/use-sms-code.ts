// The "Get code" request and its aftermath: the resend countdown (from the server's resendIn,
// or its retryAfter on a 429) and the message shown under the SMS code input.
import { Code, type SmsCodeBody } from '@register/contracts';
import { useState } from 'react';
import type { FieldStatus } from '../../components/text-field';
import { language } from '../../i18n/locale';
import { ApiError, api } from '../../lib/api';
import { maskMobile } from '../../lib/format';
import { useCountdown } from './use-countdown';

export type SmsOutcome = { ok: true } | { ok: false; error: ApiError };

export interface SmsCodeRequest {
  /** No request in flight and no countdown running. */
  ready: boolean;
  /** Seconds until "Get code" may be pressed again. */
  remaining: number;
  status: FieldStatus | null;
  /** The mobile the last code went to, once one was sent. */
  sentTo: string | null;
  send(request: SmsCodeBody): Promise<SmsOutcome>;
}

export function useSmsCode(): SmsCodeRequest {
  const countdown = useCountdown();
  const [sending, setSending] = useState(false);
  const [status, setStatus] = useState<FieldStatus | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);

  async function send(request: SmsCodeBody): Promise<SmsOutcome> {
    setSending(true);
    setStatus(null);
    try {
      const sent = await api.sendSmsCode(request);
      countdown.start(sent.resendIn);
      setSentTo(request.mobile);
      const { ui, messages } = language();
      // A reset code goes out only to an account's number, and the answer cannot say whether it did.
      const text =
        request.purpose === 'reset'
          ? messages.sms.sentIfRegistered
          : ui.sms.sent(sent.codeLength, maskMobile(request.mobile), ui.duration(sent.expiresIn));
      setStatus({ tone: 'success', text });
      return { ok: true };
    } catch (caught) {
      if (!(caught instanceof ApiError)) console.error(caught);
      const error =
        caught instanceof ApiError
          ? caught
          : new ApiError({ errno: Code.UNKOWNERR, message: language().ui.api.unexpected, status: 0 });
      if (error.retryAfter) countdown.start(error.retryAfter);
      // Messages about a field (a wrong image code, a registered mobile) are shown beside that
      // field by the form; the others (cooldown, SMS gateway down, offline) belong here.
      const aboutAField = error.errno !== Code.THROTTLED && Object.keys(error.fields).length > 0;
      if (!aboutAField) setStatus({ tone: 'warning', text: error.message });
      return { ok: false, error };
    } finally {
      setSending(false);
    }
  }

  return { ready: !sending && countdown.remaining === 0, remaining: countdown.remaining, status, sentTo, send };
}
