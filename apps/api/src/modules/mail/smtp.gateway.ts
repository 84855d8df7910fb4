// The real gateway: SMTP through nodemailer, one connection per message (no pool: at our volume a
// fresh connection costs less than keeping an idle one healthy), every wait bounded by timeoutMs.
//
// "Not sent" has to be certain: a caller may say so to a person, or give back a budget. A server
// takes responsibility for a message only when it answers the "." that ends the data, so
// everything that fails before nodemailer has read the whole message (refused, unreachable, cut
// off, timed out) certainly did not go out; after that, only a refusal is certain.
import { createRequire } from 'node:module';
import type Nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer';
import type { parseConnectionUrl as ParseConnectionUrl } from 'nodemailer/lib/shared';
import { type MailGateway, MailNotSentError, MailRejectedError } from './mail.gateway.ts';

export interface SmtpConfig {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465 */
  url: string;
  /** "Name <address>": the From header and the envelope sender */
  from: string;
  /** The longest a send may take, from DNS to the server's answer to the end of the data. */
  timeoutMs: number;
}

/** Codes nodemailer gives only before the message data: no DNS, TLS failed, the envelope refused or invalid. */
const NOT_SENT_CODES = new Set(['EDNS', 'ETLS', 'EENVELOPE']);
/** Socket errors (ESOCKET, the system's code in originalCode) that only connecting can raise. */
const CONNECT_ONLY = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);
/** Timeouts before the session was set up (connecting, the greeting, STARTTLS); an idle socket can be later. */
const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

/** Per send: whether nodemailer has read the whole message, so the final "." may be on its way. */
interface Progress {
  handedOver: boolean;
}

function classified(error: unknown, progress: Progress, deadline: { signal: AbortSignal; timeoutMs: number }): unknown {
  const e = (error ?? {}) as NodemailerError;
  // Any 4xx or 5xx reply, to MAIL FROM, RCPT TO, DATA or the end of the data: the server refused.
  // Its text stays in the cause: a refusal often repeats the address.
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
    return new MailRejectedError(e.responseCode, `the SMTP server refused ${e.command ?? 'the message'} (${e.responseCode})`, {
      cause: error,
    });
  }
  const code = typeof e.code === 'string' ? e.code : '';
  // Our deadline: nodemailer's EABORT, or the signal's own reason when our race got there first.
  const expired = deadline.signal.aborted && (code === 'EABORT' || error === deadline.signal.reason);
  const why = expired
    ? `no answer within ${deadline.timeoutMs} ms`
    : [code, e.originalCode, e.timeoutType].filter(Boolean).join(' ');
  const setup = NOT_SENT_CODES.has(code) || CONNECT_ONLY.has(e.originalCode ?? '') || SETUP_TIMEOUTS.has(e.timeoutType ?? '');
  if (setup || !progress.handedOver) {
    return new MailNotSentError(`the message did not go out (${why || 'failed before its end was sent'})`, { cause: error });
  }
  // Lost or silent after the whole message was handed over: it may have been delivered.
  if (expired) return new Error(`the SMTP server did not answer the end of the message (${why})`, { cause: error });
  return error;
}

/** Rejects when the signal aborts: even a send that ignored its signal cannot outlast the deadline. */
function expiry(signal: AbortSignal): { expired: Promise<never>; dispose: () => void } {
  let onAbort = () => {};
  const expired = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return { expired, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * nodemailer (about 30 MB of a process's memory) is loaded only by the SMTP gateway, when the
 * API is configured with it: development, the tests and the benchmarks use the outbox.
 */
function loadNodemailer() {
  const require = createRequire(import.meta.url);
  return {
    nodemailer: require('nodemailer') as typeof Nodemailer,
    parseConnectionUrl: (require('nodemailer/lib/shared') as { parseConnectionUrl: typeof ParseConnectionUrl })
      .parseConnectionUrl,
  };
}

export function createSmtpGateway(config: SmtpConfig): MailGateway {
  const { url, from, timeoutMs } = config;
  const { nodemailer, parseConnectionUrl } = loadNodemailer();
  // Parsed here rather than passed as `url`: nodemailer lets the url's query (?pool=true,
  // ?socketTimeout=...) override the options next to it, and these bounds must hold.
  const transporter = nodemailer.createTransport({
    ...parseConnectionUrl(url),
    pool: false,
    dnsTimeout: timeoutMs,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // A connection given up on is destroyed once the server has had timeoutMs to close its side
    // (nodemailer's default is 5 s).
    socketCloseTimeout: timeoutMs,
    // Our messages are text we wrote: nothing in them may make nodemailer read a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  // Each send has its own deadline signal, which nodemailer copies onto the message it hands
  // to plugins: it finds that send's progress.
  const progressOf = new WeakMap<AbortSignal, Progress>();
  transporter.use('stream', (mail, done) => {
    const progress = mail.data.signal && progressOf.get(mail.data.signal);
    if (progress) {
      // The last stage before the SMTP data stream, which appends the final "." only after
      // this one has ended: until then the server cannot have taken the message.
      mail.message.processFunc((input) => {
        input.once('end', () => {
          progress.handedOver = true;
        });
        return input;
      });
    }
    done();
  });

  return {
    name: 'smtp',
    async send({ to, subject, text }) {
      const signal = AbortSignal.timeout(timeoutMs);
      const progress: Progress = { handedOver: false };
      progressOf.set(signal, progress);
      const deadline = expiry(signal);
      try {
        // An address object, not a string: a string is an address list to nodemailer, and one
        // message goes to exactly one address whatever the string holds.
        const recipient = { name: '', address: to };
        await Promise.race([transporter.sendMail({ from, to: recipient, subject, text, signal }), deadline.expired]);
      } catch (error) {
        throw classified(error, progress, { signal, timeoutMs });
      } finally {
        deadline.dispose();
      }
    },
  };
}
