// Security notices over the real SMTP gateway to a mail server that accepts connections and
// never answers (MAIL_TRANSPORT=smtp): every change that sends a notice answers in its usual time,
// never waiting for the server, and the notice's failure is recorded once MAIL_TIMEOUT_MS cuts it.
import { createServer, type Server, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, CAPTCHA, PASSWORD, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';

const MAIL_TIMEOUT_MS = 2500;
const NEW_PASSWORD = 'a brand new passphrase';

let stalled: Server;
const sockets = new Set<Socket>();
let app: FastifyInstance;
beforeAll(async () => {
  // Accepts, then says nothing: not even the greeting.
  stalled = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const { port } = stalled.address() as { port: number };
  app = await buildTestApp({
    MAIL_TRANSPORT: 'smtp',
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    MAIL_FROM: 'Register <no-reply@example.com>',
    MAIL_TIMEOUT_MS: String(MAIL_TIMEOUT_MS),
    REQUEST_DEADLINE_MS: '5000',
  });
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await app?.close();
  await new Promise<void>((resolve) => stalled.close(() => resolve()));
});

/** A user whose address is verified (set in the database: the verification mail would stall too). */
async function verifiedUser() {
  const visitor = new Visitor(app);
  const username = randomUsername('Stall');
  const mobile = randomMobile();
  const res = await visitor.register(username, mobile);
  expect(res.status).toBe(200);
  const id = res.body.data?.id as number;
  await app.db.prisma.user.update({ where: { id }, data: { email: `${username.toLowerCase()}@example.com`, emailActive: true } });
  return { visitor, id, username, mobile };
}
async function noticeFailures(userId: number) {
  await app.events.flush();
  const rows = await app.db.prisma.securityEvent.findMany({ where: { userId, kind: 'mail_failed' } });
  return rows.map((r) => r.detail);
}
async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

describe('a notice to a stalled mail server', () => {
  it('never slows the change that sends it, and its failure is recorded once cut', async () => {
    const user = await verifiedUser();
    const changed = await timed(() =>
      user.visitor.post('/api/user/password/', { old_password: PASSWORD, password: NEW_PASSWORD, password_repeat: NEW_PASSWORD }),
    );
    expect(changed.result.status).toBe(200);
    expect(changed.ms).toBeLessThan(MAIL_TIMEOUT_MS / 2);

    const mobile = randomMobile();
    await user.visitor.get('/api/image_code/');
    expect((await user.visitor.post('/api/sms_code/', { mobile, captcha: CAPTCHA, purpose: 'change_mobile' })).status).toBe(200);
    const code = await readOutbox(app, mobile);
    const moved = await timed(() => user.visitor.post('/api/user/mobile/', { mobile, sms_code: code, password: NEW_PASSWORD }));
    expect(moved.result.status).toBe(200);
    expect(moved.ms).toBeLessThan(MAIL_TIMEOUT_MS / 2);

    // Nothing has been cut yet: the answers did not wait for it.
    expect(await noticeFailures(user.id)).toEqual([]);
    await vi.waitFor(async () => expect(await noticeFailures(user.id)).toHaveLength(2), {
      timeout: 4 * MAIL_TIMEOUT_MS,
      interval: 200,
    });
    expect((await noticeFailures(user.id)).map((d) => (d as { kind: string }).kind).sort()).toEqual([
      'mobile_changed',
      'password_changed',
    ]);
    // The changes stand.
    expect((await new Visitor(app).post('/api/user/login/', { account: mobile, password: NEW_PASSWORD })).status).toBe(200);
  });
});
