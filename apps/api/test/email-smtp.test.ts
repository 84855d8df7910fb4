// The verification email through the real SMTP gateway (MAIL_TRANSPORT=smtp), to a local SMTP
// server this test starts (smtp-server), behind a loopback TCP proxy that can refuse or stall:
// the request answers a clear envelope within its bound, and the address stays unverified.
import type net from 'node:net';
import { Code, en } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_KEYS } from '../src/modules/email/email.service.ts';
import { buildTestApp, randomMobile, randomUsername, Visitor } from './helper.ts';
import { startTcpProxy } from './tcp-proxy.ts';

const MAIL_TIMEOUT_MS = 600;
const REQUEST_DEADLINE_MS = 3000;
const FROM = 'Register <no-reply@register.test>';

/** What the server does with the next messages. */
let behaviour: 'accept' | 'refuse-recipient' | 'never-answer-the-end' = 'accept';
/** Every message the server read to its end, answered or not. */
const received: ParsedMail[] = [];

let app: FastifyInstance;
let smtp: SMTPServer;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onRcptTo(_address, _session, callback) {
      if (behaviour === 'refuse-recipient') {
        callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      } else callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        received.push(await simpleParser(Buffer.concat(chunks)));
        // Never answered: the client cannot know whether the server took it.
        if (behaviour !== 'never-answer-the-end') callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as net.AddressInfo;
  proxy = await startTcpProxy({ host: '127.0.0.1', port });
  app = await buildTestApp({
    MAIL_TRANSPORT: 'smtp',
    SMTP_URL: `smtp://127.0.0.1:${proxy.port}`,
    MAIL_FROM: FROM,
    MAIL_TIMEOUT_MS: String(MAIL_TIMEOUT_MS),
    REQUEST_DEADLINE_MS: String(REQUEST_DEADLINE_MS),
  });
});
afterAll(async () => {
  await app?.close();
  await proxy?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

async function newUser() {
  const visitor = new Visitor(app);
  const res = await visitor.register(randomUsername('Smtp'), randomMobile());
  if (res.status !== 200 || !res.body.data) throw new Error(`register failed: ${JSON.stringify(res.body)}`);
  return { visitor, id: res.body.data.id };
}
const address = () => `smtp.${Math.random().toString(36).slice(2, 10)}@example.com`;
const setEmail = (visitor: Visitor, email: string) => visitor.post('/api/user/email/', { email });
const row = (id: number) => app.db.prisma.user.findUniqueOrThrow({ where: { id }, select: { email: true, emailActive: true } });
const tokenIn = (mail: ParsedMail | undefined) => /#token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1] ?? '';
/** The user's latest token is gone from the store: its link verifies nothing. */
async function tokenDropped(id: number) {
  const hash = await app.store.get(EMAIL_KEYS.current(id));
  return hash === null || (await app.store.get(EMAIL_KEYS.token(hash))) === null;
}
async function failures(id: number) {
  await app.events.flush();
  return (await app.db.prisma.securityEvent.findMany({ where: { userId: id, kind: 'mail_failed' } })).map((e) => e.detail);
}
/** Timed: the answer must come within its bound, whatever the server does. */
async function timed<T>(work: Promise<T>): Promise<{ answer: T; ms: number }> {
  const started = performance.now();
  const answer = await work;
  return { answer, ms: performance.now() - started };
}
const mailFailed = { errno: Code.MAILERR, errmsg: en.account.mailFailed, data: null };

describe('the verification email over SMTP', () => {
  it('is delivered From MAIL_FROM with the link, which verifies the address', async () => {
    behaviour = 'accept';
    const { visitor, id } = await newUser();
    const email = address();
    const res = await setEmail(visitor, email);
    expect(res.status).toBe(200);
    const mail = received.at(-1);
    expect(mail?.to && 'value' in mail.to ? mail.to.value.map((a) => a.address) : []).toEqual([email]);
    expect(mail?.from?.value).toEqual([{ name: 'Register', address: 'no-reply@register.test' }]);
    expect(mail?.subject).toBe(en.mail.verifySubject);
    const token = tokenIn(mail);
    expect(token).toHaveLength(43);
    expect((await new Visitor(app).post('/api/user/email/verify/', { token })).status).toBe(200);
    expect(await row(id)).toEqual({ email, emailActive: true });
  });

  it('refused by the server: MAILERR at once, the address unverified, the token dropped, the budget given back', async () => {
    behaviour = 'refuse-recipient';
    const { visitor, id } = await newUser();
    const email = address();
    const { answer, ms } = await timed(setEmail(visitor, email));
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual(mailFailed);
    expect(ms).toBeLessThan(MAIL_TIMEOUT_MS);
    expect(await row(id)).toEqual({ email, emailActive: false });
    expect(await tokenDropped(id)).toBe(true);
    expect(await failures(id)).toEqual([{ purpose: 'verify', transport: 'smtp', reason: 'rejected', responseCode: 550 }]);

    // Nothing went out, so nothing was spent: three sends to the same address still go through.
    behaviour = 'accept';
    for (let i = 0; i < 3; i++) expect((await setEmail(visitor, email)).status).toBe(200);
    expect((await setEmail(visitor, email)).status).toBe(429);
  });

  it('unreachable (connection refused): MAILERR, the address unverified, the budget given back', async () => {
    behaviour = 'accept';
    const { visitor, id } = await newUser();
    const email = address();
    await proxy.setMode('refuse');
    try {
      const { answer, ms } = await timed(setEmail(visitor, email));
      expect(answer.status).toBe(502);
      expect(answer.body).toEqual(mailFailed);
      expect(ms).toBeLessThan(MAIL_TIMEOUT_MS);
    } finally {
      await proxy.restore();
    }
    expect(await row(id)).toEqual({ email, emailActive: false });
    expect(await tokenDropped(id)).toBe(true);
    expect(await failures(id)).toEqual([{ purpose: 'verify', transport: 'smtp', reason: 'unreachable' }]);
    for (let i = 0; i < 3; i++) expect((await setEmail(visitor, email)).status).toBe(200);
  });

  it('stalled before its greeting: cut by MAIL_TIMEOUT_MS, within the request deadline; nothing sent, nothing spent', async () => {
    behaviour = 'accept';
    const { visitor, id } = await newUser();
    const email = address();
    await proxy.setMode('hold');
    try {
      const { answer, ms } = await timed(setEmail(visitor, email));
      expect(answer.status).toBe(502);
      expect(answer.body).toEqual(mailFailed);
      expect(ms).toBeGreaterThanOrEqual(MAIL_TIMEOUT_MS - 50);
      expect(ms).toBeLessThan(REQUEST_DEADLINE_MS);
    } finally {
      await proxy.cut();
      await proxy.restore();
    }
    expect(await row(id)).toEqual({ email, emailActive: false });
    expect(await tokenDropped(id)).toBe(true);
    expect(await failures(id)).toEqual([{ purpose: 'verify', transport: 'smtp', reason: 'unreachable' }]);
    for (let i = 0; i < 3; i++) expect((await setEmail(visitor, email)).status).toBe(200);
  });

  it('stalled after the whole message: MAILERR in bound; the budget stands (it may have gone out), its link verifies nothing', async () => {
    behaviour = 'never-answer-the-end';
    const { visitor, id } = await newUser();
    const email = address();
    const before = received.length;
    const { answer, ms } = await timed(setEmail(visitor, email));
    behaviour = 'accept';
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual(mailFailed);
    expect(ms).toBeLessThan(REQUEST_DEADLINE_MS);
    expect(await row(id)).toEqual({ email, emailActive: false });
    expect(await failures(id)).toEqual([{ purpose: 'verify', transport: 'smtp', reason: 'unconfirmed' }]);
    // The server did get it: should it be delivered after all, its link is void.
    expect(received.length).toBe(before + 1);
    const late = await new Visitor(app).post('/api/user/email/verify/', { token: tokenIn(received.at(-1)) });
    expect(late.status).toBe(400);
    expect(late.body.errmsg).toBe(en.account.tokenInvalid);
    // One of the three sends was spent on it.
    for (let i = 0; i < 2; i++) expect((await setEmail(visitor, email)).status).toBe(200);
    expect((await setEmail(visitor, email)).status).toBe(429);
  });
});
