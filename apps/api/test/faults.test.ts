// The worst day, on the real PostgreSQL and Redis behind fault-injecting proxies: each backend
// refuses, stalls (holds every byte), loses bytes on open connections, or slows past its
// timeouts. Every endpoint must answer an envelope within the deadline, no answer may ever
// name another user, and everything must work again within 5 s once the backend is back,
// without a restart.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildTestApp, PASSWORD, type Reply, randomMobile, randomUsername, Visitor } from './helper.ts';
import { type ProxyMode, startTcpProxy } from './tcp-proxy.ts';

const DEADLINE_MS = 1000;
/** The deadline plus what a loaded 2-core machine may add: an answer later than this is a hang. */
const BOUND_MS = DEADLINE_MS + 1500;

let app: FastifyInstance;
let pg: Awaited<ReturnType<typeof startTcpProxy>>;
let redis: Awaited<ReturnType<typeof startTcpProxy>>;
let member: Visitor;
let memberName: string;

beforeAll(async () => {
  const dbUrl = new URL(inject('databaseUrl'));
  const redisUrl = new URL(inject('redisUrl'));
  pg = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
  redis = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  dbUrl.host = `127.0.0.1:${pg.port}`;
  redisUrl.host = `127.0.0.1:${redis.port}`;
  app = await buildTestApp({
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: redisUrl.toString(),
    REQUEST_DEADLINE_MS: String(DEADLINE_MS),
    DATABASE_CONNECT_TIMEOUT_MS: '300',
    DATABASE_QUERY_TIMEOUT_MS: '500',
    DATABASE_STATEMENT_TIMEOUT_MS: '500',
    REDIS_CONNECT_TIMEOUT_MS: '300',
    REDIS_COMMAND_TIMEOUT_MS: '300',
  });
  member = new Visitor(app, '198.18.77.1');
  memberName = randomUsername('Fault');
  expect((await member.register(memberName, randomMobile())).status).toBe(200);
});
afterAll(async () => {
  await app.close();
  await pg.close();
  await redis.close();
});

/** One request of every kind a client makes. */
function everyEndpoint(): Promise<Reply>[] {
  const anonymous = () => new Visitor(app, '198.18.77.2');
  return [
    anonymous().get('/api/healthz'),
    anonymous().get('/api/health/'),
    anonymous().get('/api/readyz'),
    anonymous().get(`/api/username/${randomUsername()}/`),
    anonymous().get(`/api/mobile/${randomMobile()}/`),
    anonymous().get('/api/image_code/'),
    anonymous().post('/api/sms_code/', { mobile: randomMobile(), captcha: 'ABCD' }),
    anonymous().post('/api/user/register/', {
      username: randomUsername(),
      password: PASSWORD,
      password_repeat: PASSWORD,
      mobile: randomMobile(),
      sms_code: '123456',
    }),
    anonymous().post('/api/user/login/', { account: memberName, password: PASSWORD }),
    member.get('/api/user/me/'),
    anonymous().get(`/api/__dev/sms/${randomMobile()}/`),
    anonymous().get('/api/no/such/path/'),
  ];
}

/** Every answer arrives within BOUND_MS and is our envelope. */
async function expectBoundedEnvelopes(requests: Promise<Reply>[]) {
  const started = Date.now();
  const hang = Symbol('hang');
  const answers = await Promise.all(
    requests.map((r) => Promise.race([r, new Promise<typeof hang>((resolve) => setTimeout(() => resolve(hang), BOUND_MS))])),
  );
  expect(
    answers.filter((a) => a === hang),
    'requests that did not answer in time',
  ).toHaveLength(0);
  for (const answer of answers as Reply[]) {
    if (answer.headers['content-type'] === 'image/png') continue;
    expect(answer.body, `${answer.status}`).toMatchObject({ errno: expect.any(String), errmsg: expect.any(String) });
  }
  return { answers: answers as Reply[], ms: Date.now() - started };
}

async function expectRecovered() {
  await vi.waitFor(
    async () => {
      expect((await new Visitor(app).get('/api/readyz')).status).toBe(200);
      expect((await member.get<{ username: string }>('/api/user/me/')).body.data?.username).toBe(memberName);
      const fresh = new Visitor(app, '198.18.77.3');
      expect((await fresh.register(randomUsername('Back'), randomMobile())).status).toBe(200);
    },
    { timeout: 5000, interval: 250 },
  );
}

const MODES: ProxyMode[] = ['refuse', 'hold', 'drop', 'slow'];

describe.each([
  ['PostgreSQL', () => pg],
  ['Redis', () => redis],
])('when %s fails', (_, proxy) => {
  it.each(MODES)('%s: every endpoint answers an envelope within the deadline, and all recovers within 5 s', async (mode) => {
    await proxy().setMode(mode, { delayMs: 2000 });
    try {
      const { answers } = await expectBoundedEnvelopes(everyEndpoint());
      // Routes that need the failing backend answer 503; the liveness route never depends on one.
      expect(answers[0]?.status).toBe(200);
      expect(answers[2]?.status).toBe(503);
    } finally {
      await proxy().setMode('pass');
    }
    await expectRecovered();
  });
});

describe('a command sent into a stall', () => {
  it('times out, and never runs once the path is back: its connection was closed, nothing is resent', async () => {
    const key = `stalled-${randomUsername()}`;
    await redis.setMode('hold');
    try {
      await expect(app.store.set(key, 'late', 60_000)).rejects.toMatchObject({ status: 503 });
      // The path comes back after the API gave up on that connection: what it held goes nowhere.
      await vi.waitFor(() => expect(redis.heldBytes).toBe(0));
    } finally {
      await redis.setMode('pass');
    }
    await vi.waitFor(async () => expect((await new Visitor(app).get('/api/readyz')).status).toBe(200), { timeout: 5000 });
    expect(await app.store.get(key)).toBeNull();
  });
});

describe('lost bytes on a Redis connection', () => {
  it('never answers one user as another, and serves everyone correctly again', async () => {
    const users = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const visitor = new Visitor(app, `198.18.78.${i + 1}`);
        const username = randomUsername(`Mix${i}`);
        expect((await visitor.register(username, randomMobile())).status).toBe(200);
        return { visitor, username };
      }),
    );
    const wrong: string[] = [];
    let answered = 0;
    let stop = false;
    const poll = async ({ visitor, username }: (typeof users)[number]) => {
      while (!stop) {
        const me = await visitor.get<{ username: string }>('/api/user/me/');
        if (me.status === 200) {
          answered++;
          if (me.body.data?.username !== username) wrong.push(`${username} answered as ${me.body.data?.username}`);
        } else {
          await new Promise((resolve) => setTimeout(resolve, 20)); // a refusal comes fast: do not spin
        }
      }
    };
    const polling = Promise.all(users.map(poll));
    try {
      await vi.waitFor(() => expect(answered).toBeGreaterThan(40));
      await redis.setMode('drop');
      await new Promise((resolve) => setTimeout(resolve, 600)); // the proxy's own timing: bytes lost meanwhile
      await redis.setMode('pass');
      const before = answered;
      await vi.waitFor(() => expect(answered).toBeGreaterThan(before + 200), { timeout: 5000 });
    } finally {
      stop = true;
      await polling;
    }
    expect(wrong).toEqual([]);
  });
});
