// The request deadline on the account page's one-way steps: a database stalling at the step
// that verifies an email address (the link is used up by then) must not leave an answer that
// says it failed while the address is verified and the link is gone.
import { randomBytes } from 'node:crypto';
import type { MailMessage, SessionView } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionKey } from '../src/modules/auth/user-sessions.ts';
import type { Seams } from '../src/services.ts';
import { buildTestApp, PASSWORD, randomMobile, randomUsername, Visitor } from './helper.ts';

// Long enough for the setup (a captcha, a registration) on a loaded 2-core machine.
const DEADLINE_MS = 2000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const faults = { slowVerify: false, slowTake: null as string | null };
const seams: Seams = {
  store: (store) => ({
    ...store,
    async take(key) {
      if (faults.slowTake === key) {
        faults.slowTake = null;
        await pause(DEADLINE_MS + 200); // the store takes its time, then ends the session
      }
      return store.take(key);
    },
  }),
  emailRepository: (repository) => ({
    ...repository,
    async verify(userId, email) {
      if (faults.slowVerify) {
        faults.slowVerify = false;
        await pause(DEADLINE_MS + 200); // the database takes its time, then commits
      }
      return repository.verify(userId, email);
    },
  }),
};

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp(
    {
      REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      DATABASE_QUERY_TIMEOUT_MS: '1500',
      DATABASE_STATEMENT_TIMEOUT_MS: '1500',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      REDIS_CONNECT_TIMEOUT_MS: '1000',
      REDIS_COMMAND_TIMEOUT_MS: '1500',
    },
    { seams },
  );
});
afterAll(() => app?.close());

async function linkToken(address: string): Promise<string> {
  const res = await app.inject({ method: 'GET', url: `/api/__dev/mail/${encodeURIComponent(address)}/` });
  const mail = (res.json() as { data: MailMessage }).data;
  return new URLSearchParams(new URL(mail.link ?? '').hash.slice(1)).get('token') ?? '';
}

describe('verifying an email address with the database stalling past the deadline', () => {
  it('answers the truth: verified and said so, or not verified and the link still good', async () => {
    const visitor = new Visitor(app);
    const res = await visitor.register(randomUsername('Dl'), randomMobile());
    expect(res.status).toBe(200);
    const id = res.body.data?.id as number;
    const address = `dl.${randomBytes(4).toString('hex')}@example.com`;
    expect((await visitor.post('/api/user/email/', { email: address })).status).toBe(200);
    const token = await linkToken(address);

    faults.slowVerify = true;
    const answer = await new Visitor(app).post('/api/user/email/verify/', { token });
    const { emailActive } = await app.db.prisma.user.findUniqueOrThrow({ where: { id } });
    if (answer.status === 200) {
      expect(emailActive).toBe(true);
    } else {
      expect(answer.status).toBe(503);
      expect(emailActive).toBe(false);
    }
    // Either way, the link does what the answer implied: it verifies (again) or was used for it.
    const retry = await new Visitor(app).post('/api/user/email/verify/', { token });
    if (answer.status !== 200) expect(retry.status).toBe(200);
    expect((await app.db.prisma.user.findUniqueOrThrow({ where: { id } })).emailActive).toBe(true);
  });
});

describe('ending another session with the store stalling past the deadline', () => {
  it('answers that it ended, since it did', async () => {
    const visitor = new Visitor(app);
    const username = randomUsername('Dl');
    expect((await visitor.register(username, randomMobile())).status).toBe(200);
    const other = new Visitor(app, '198.51.100.9');
    expect((await other.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
    const sessions = (await visitor.get<{ sessions: SessionView[] }>('/api/user/sessions/')).body.data?.sessions ?? [];
    const target = sessions.find((s) => !s.current)?.id ?? '';
    const sid = decodeURIComponent(other.cookies.get('sid') ?? '');
    faults.slowTake = sessionKey(sid.slice(0, sid.lastIndexOf('.')));
    const answer = await visitor.request({ method: 'DELETE', url: `/api/user/sessions/${target}/` });
    expect(faults.slowTake).toBeNull();
    expect(answer.status).toBe(200);
    expect((await other.get('/api/user/me/')).status).toBe(401);
  });
});
