// Ronglian Cloud Communication (yuntongxun, "CCP"), the provider of the seed: REST template SMS.
//   POST {base}/2013-12-26/Accounts/{AccountSid}/SMS/TemplateSMS?sig={SigParameter}
//   SigParameter  = upper(md5(AccountSid + AuthToken + timestamp))
//   Authorization = base64(AccountSid + ":" + timestamp)
//   timestamp     = yyyyMMddHHmmss in China Standard Time (UTC+8), the provider's clock
//   body          = { to, appId, templateId, datas: [code, minutes] }  -> { statusCode: "000000", ... }
// Codes of every purpose go out with CCP_TEMPLATE_ID; a security notice with its own template,
// CCP_NOTICE_TEMPLATE_ID, whose one parameter is the notice's text.
import { createHash } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { Clock } from '../../lib/clock.ts';
import { type SmsGateway, SmsNotSentError, SmsRejectedError } from './sms.gateway.ts';

export const CCP_API_VERSION = '2013-12-26';
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
/** Connection failures that happen before a single byte of the request is sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function notSent(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  return NOT_SENT.has(code) || code.startsWith('ERR_TLS_') || code.includes('CERT');
}

export function ccpTimestamp(nowMs: number): string {
  return new Date(nowMs + CHINA_OFFSET_MS).toISOString().replace(/\D/g, '').slice(0, 14);
}

export function ccpSignature(accountSid: string, authToken: string, timestamp: string): string {
  return createHash('md5')
    .update(accountSid + authToken + timestamp)
    .digest('hex')
    .toUpperCase();
}

export function createCcpGateway(config: Config['sms']['ccp'], clock: Clock): SmsGateway {
  return {
    name: 'ccp',
    async send({ mobile, code, ttlMinutes, purpose, text: noticeText }) {
      const notice = purpose === 'notice';
      // Nothing reached the provider: a notice without its template is certainly not sent.
      if (notice && !config.noticeTemplateId) throw new SmsNotSentError('CCP_NOTICE_TEMPLATE_ID is not set');
      const timestamp = ccpTimestamp(clock());
      const sig = ccpSignature(config.accountSid, config.authToken, timestamp);
      const url = `${config.baseUrl}/${CCP_API_VERSION}/Accounts/${encodeURIComponent(config.accountSid)}/SMS/TemplateSMS?sig=${sig}`;
      const body = JSON.stringify({
        to: mobile,
        appId: config.appId,
        templateId: notice ? config.noticeTemplateId : config.templateId,
        datas: notice ? [noticeText] : [code, String(ttlMinutes)],
      });
      // A timeout, or a connection lost after sending, leaves it unknown whether the text went
      // out: that error is passed on as it is. Only what happens before sending is "not sent".
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            accept: 'application/json',
            'content-type': 'application/json;charset=utf-8',
            authorization: Buffer.from(`${config.accountSid}:${timestamp}`).toString('base64'),
          },
          body,
          signal: AbortSignal.timeout(config.timeoutMs),
        });
      } catch (error) {
        if (notSent(error)) throw new SmsNotSentError('CCP is unreachable', { cause: error });
        throw error;
      }
      const text = await response.text();
      let result: { statusCode?: unknown; statusMsg?: unknown };
      try {
        result = JSON.parse(text);
      } catch {
        throw new Error(`CCP answered HTTP ${response.status} with a non-JSON body`);
      }
      if (result.statusCode === '000000') return;
      // Only the provider itself, answering 2xx with its own status code, says a text was refused.
      // A proxy's or gateway's error page in front of it (a 504 in JSON) says nothing of the kind.
      if (response.ok && typeof result.statusCode === 'string') {
        throw new SmsRejectedError(result.statusCode, String(result.statusMsg ?? 'rejected'));
      }
      throw new Error(`CCP answered HTTP ${response.status} without a status code`);
    },
  };
}
