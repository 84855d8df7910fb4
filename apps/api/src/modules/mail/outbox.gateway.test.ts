import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../store/memory-store.ts';
import { maskEmail } from './mail.gateway.ts';
import { createMailOutbox } from './outbox.gateway.ts';

function build(logTokens = false) {
  let now = Date.parse('2026-11-24T04:05:06Z');
  const clock = () => now;
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const outbox = createMailOutbox({ store: createMemoryStore(clock), log, clock, logTokens });
  const advance = (ms: number) => {
    now += ms;
  };
  return { outbox, lines, advance };
}

const verification = (token: string) => ({
  to: 'Alice@Example.com',
  subject: 'Verify your address',
  text: `Open https://register.test/verify?token=${token}`,
  link: `https://register.test/verify?token=${token}`,
  token,
});

describe('mail outbox (dev gateway)', () => {
  it('keeps the last message per address, found whatever the case', async () => {
    const { outbox } = build();
    await outbox.send(verification('first'));
    expect(await outbox.last('alice@example.com')).toEqual({
      ...verification('first'),
      sentAt: '2026-11-24T04:05:06.000Z',
    });
    expect(await outbox.last('ALICE@EXAMPLE.COM')).toMatchObject({ token: 'first' });
    expect(await outbox.last('bob@example.com')).toBeNull();
  });

  it('replaces a message with a newer one to the same address', async () => {
    const { outbox, advance } = build();
    await outbox.send(verification('first'));
    advance(1000);
    await outbox.send({ ...verification('second'), to: 'alice@EXAMPLE.com' });
    expect(await outbox.last('Alice@Example.com')).toMatchObject({ token: 'second', sentAt: '2026-11-24T04:05:07.000Z' });
  });

  it('stores a message without a link as nulls, and forgets it after an hour', async () => {
    const { outbox, advance } = build();
    await outbox.send({ to: 'carol@example.com', subject: 'Password changed', text: 'Your password was changed.' });
    expect(await outbox.last('carol@example.com')).toMatchObject({ link: null, token: null });
    advance(60 * 60 * 1000);
    expect(await outbox.last('carol@example.com')).toBeNull();
  });

  it('logs a masked address, and the token only when allowed', async () => {
    const quiet = build(false);
    await quiet.outbox.send(verification('secret-1'));
    expect(quiet.lines).toHaveLength(1);
    expect(quiet.lines[0]).toMatchObject({ to: 'A***@Example.com' });
    expect(JSON.stringify(quiet.lines)).not.toMatch(/secret-1|Alice/);

    const loud = build(true);
    await loud.outbox.send(verification('secret-2'));
    expect(loud.lines[0]).toMatchObject({ to: 'A***@Example.com', token: 'secret-2' });
  });

  it('masks addresses without revealing the local part', () => {
    expect(maskEmail('alice@example.com')).toBe('a***@example.com');
    expect(maskEmail('not-an-address')).toBe('***');
  });
});
