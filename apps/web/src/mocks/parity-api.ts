// The real API for parity.test.ts, in a child process of its own (forked with the environment
// the test chooses): built as server.ts builds it, with two of buildApp's test seams in place of
// sleeps. Its clock moves when the test says a wait has passed (the resend wait of a number, as
// the mock is told), and each text the dev SMS outbox keeps is reported (a reset's goes out after
// its answer), so the test waits for that very text. Once it listens it reports its port.
import { buildApp } from '../../../api/src/app.ts';
import { loadConfig } from '../../../api/src/config.ts';

/** What this process tells the test. */
export type ParityApiReport =
  | { kind: 'ready'; port: number }
  | { kind: 'text'; mobile: string; purpose: string }
  | { kind: 'moved'; ms: number };
/** What the test tells this process: `ms` have passed. */
export interface ParityApiOrder {
  kind: 'move';
  ms: number;
}

/** The dev SMS outbox keeps each text at this key (modules/sms/outbox.gateway.ts). */
const OUTBOX_KEY = 'outbox:';

const report = (word: ParityApiReport) => process.send?.(word);
let offset = 0;

const app = await buildApp(loadConfig(), {
  clock: () => Date.now() + offset,
  seams: {
    store: (store) => ({
      ...store,
      async set(key, value, ttlMs) {
        await store.set(key, value, ttlMs);
        if (!key.startsWith(OUTBOX_KEY)) return;
        const { mobile, purpose } = JSON.parse(value) as { mobile: string; purpose: string };
        report({ kind: 'text', mobile, purpose });
      },
    }),
  },
});

process.on('message', (order: ParityApiOrder) => {
  offset += order.ms;
  report({ kind: 'moved', ms: order.ms });
});
// The test ends this process with SIGTERM, or it goes when the test's process does.
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
process.on('disconnect', () => void app.close().then(() => process.exit(0)));

// Port 0: the system picks a free one, and no other process can take it meanwhile.
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (typeof address !== 'object' || address === null) throw new Error('the API listens on no TCP port');
report({ kind: 'ready', port: address.port });
