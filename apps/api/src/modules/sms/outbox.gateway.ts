// The development gateway: keeps the last message per mobile in the store, where the dev-only
// endpoint /__dev/sms/:mobile/ (and the end-to-end tests) read it. Refused in production by config.
// Every kind of message is kept alike (codes of each purpose, security notices with code ''), with
// its `purpose`: the last one to a mobile is what the endpoint shows.
import type { OutboxMessage } from '@register/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../lib/clock.ts';
import { maskMobile } from '../../lib/mobile.ts';
import type { KvStore } from '../../store/kv-store.ts';
import type { SmsGateway } from './sms.gateway.ts';

const OUTBOX_TTL_MS = 60 * 60 * 1000;
const key = (mobile: string) => `outbox:${mobile}`;

export interface Outbox extends SmsGateway {
  last(mobile: string): Promise<OutboxMessage | null>;
}

export function createOutboxGateway(deps: { store: KvStore; log: FastifyBaseLogger; clock: Clock; logCodes: boolean }): Outbox {
  const { store, log, clock, logCodes } = deps;
  return {
    name: 'outbox',
    async send({ mobile, code, purpose, text }) {
      const message: OutboxMessage = { mobile, code, purpose, text, sentAt: new Date(clock()).toISOString() };
      await store.set(key(mobile), JSON.stringify(message), OUTBOX_TTL_MS);
      // The code is logged only when config allows it (never in production).
      log.info({ mobile: maskMobile(mobile), purpose, ...(logCodes ? { code } : {}) }, 'SMS kept in the dev outbox');
    },
    async last(mobile) {
      const raw = await store.get(key(mobile));
      if (!raw) return null;
      // Kept before messages had a purpose: they were all registration codes.
      const message = JSON.parse(raw) as Partial<OutboxMessage>;
      return { ...message, purpose: message.purpose ?? 'register' } as OutboxMessage;
    },
  };
}
