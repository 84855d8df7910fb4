// The development gateway: keeps the last message per address in the store, where a dev-only
// endpoint (and the end-to-end tests) can read the link a person would have clicked.
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../lib/clock.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { type MailGateway, maskEmail } from './mail.gateway.ts';

const OUTBOX_TTL_MS = 60 * 60 * 1000;
// Addresses differ in case between a form and a link; the outbox finds them either way.
const key = (address: string) => `mail-outbox:${address.toLowerCase()}`;

export interface OutboxMail {
  to: string;
  subject: string;
  text: string;
  link: string | null;
  token: string | null;
  /** ISO 8601 */
  sentAt: string;
}

export interface MailOutbox extends MailGateway {
  last(email: string): Promise<OutboxMail | null>;
}

export function createMailOutbox(deps: { store: KvStore; log: FastifyBaseLogger; clock: Clock; logTokens: boolean }): MailOutbox {
  const { store, log, clock, logTokens } = deps;
  return {
    name: 'outbox',
    async send({ to, subject, text, link, token }) {
      const mail: OutboxMail = {
        to,
        subject,
        text,
        link: link ?? null,
        token: token ?? null,
        sentAt: new Date(clock()).toISOString(),
      };
      await store.set(key(to), JSON.stringify(mail), OUTBOX_TTL_MS);
      // The link carries the token: both are logged only when config allows it (never in production).
      log.info({ to: maskEmail(to), subject, ...(logTokens ? { link, token } : {}) }, 'mail kept in the dev outbox');
    },
    async last(email) {
      const raw = await store.get(key(email));
      return raw ? (JSON.parse(raw) as OutboxMail) : null;
    },
  };
}
