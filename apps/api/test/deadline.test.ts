// The request deadline over real HTTP (a listening app and fetch, where Node closes a POST's
// request stream once its body is read: app.inject() does not), and the one exception to it:
// a request that has begun an irrevocable step (an SMS handed to the gateway, the user row's
// insert) answers what really happened, even past the deadline.
import { CAPTCHA_MESSAGES, text, USER_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { AppError } from '../src/errors.ts';
import type { Seams } from '../src/services.ts';
import { buildTestApp, PASSWORD, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';
import { startTcpProxy } from './tcp-proxy.ts';

const DEADLINE_MS = 600;
/** What a loaded 2-core machine may add to an answer due at the deadline. */
const SLACK_MS = 400;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each fault fires once, at the step its name says. */
const faults = { slowSend: false, slowInsert: false, sessionSaveFails: false, slowRender: false };
/** Settles when a slowed render has returned (its handler's next step follows at once). */
let slowRenderDone: Promise<void> = Promise.resolve();
const seams: Seams = {
  store: (store) => ({
    ...store,
    async set(key, value, ttlMs) {
      if (key.startsWith('outbox:') && faults.slowSend) {
        faults.slowSend = false;
        await pause(DEADLINE_MS + 200); // the gateway takes its time: the text goes out late
      }
      if (key.startsWith('sess:') && faults.sessionSaveFails) {
        faults.sessionSaveFails = false;
        throw new AppError('4500', { status: 503, message: text.service.storeDown });
      }
      return store.set(key, value, ttlMs);
    },
  }),
  captchaRender: (render) => async (text, format) => {
    if (!faults.slowRender) return render(text, format);
    faults.slowRender = false;
    let done!: () => void;
    slowRenderDone = new Promise((resolve) => {
      done = resolve;
    });
    try {
      await pause(DEADLINE_MS + 200); // a queue of images ahead of this one: drawn past the deadline
      return await render(text, format);
    } finally {
      done();
    }
  },
  usersRepository: (repository) => ({
    ...repository,
    async create(user) {
      if (faults.slowInsert) {
        faults.slowInsert = false;
        await pause(DEADLINE_MS + 200);
      }
      return repository.create(user);
    },
  }),
};

let app: FastifyInstance;
let base: string;
let redis: Awaited<ReturnType<typeof startTcpProxy>>;
beforeAll(async () => {
  const redisUrl = new URL(inject('redisUrl'));
  redis = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  redisUrl.host = `127.0.0.1:${redis.port}`;
  app = await buildTestApp(
    {
      REDIS_URL: redisUrl.toString(),
      REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      DATABASE_CONNECT_TIMEOUT_MS: '400',
      DATABASE_QUERY_TIMEOUT_MS: '500',
      DATABASE_STATEMENT_TIMEOUT_MS: '500',
      REDIS_CONNECT_TIMEOUT_MS: '400',
      REDIS_COMMAND_TIMEOUT_MS: '500',
    },
    { seams },
  );
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await redis.close();
});

const visitor = () => new Visitor(app, '127.0.0.1', { http: base });
const form = (mobile: string, code: string, username = randomUsername('Dl')) => ({
  username,
  password: PASSWORD,
  password_repeat: PASSWORD,
  mobile,
  sms_code: code,
});
const usersWith = (mobile: string) => app.db.prisma.user.count({ where: { mobile } });

async function timed<T>(work: Promise<T>): Promise<{ answer: T; ms: number }> {
  const started = Date.now();
  const answer = await work;
  return { answer, ms: Date.now() - started };
}

describe('the deadline over real HTTP', () => {
  it('answers every POST, as every GET, with a 503 envelope at the deadline while Redis is slow', async () => {
    // Prepared while Redis is fast: a visitor holding a captcha, one holding an SMS code.
    const smsVisitor = visitor();
    await smsVisitor.get('/api/image_code/');
    const registering = visitor();
    const mobile = randomMobile();
    expect((await registering.requestSmsCode(mobile)).status).toBe(200);
    const code = await readOutbox(app, mobile);

    // Each round trip takes 360 ms, under the 500 ms command timeout: no command fails, but a
    // request of two or more of them cannot finish in time.
    await redis.setMode('slow', { delayMs: 180 });
    try {
      const requests = [
        smsVisitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'ABCD' }),
        registering.post('/api/user/register/', form(mobile, code)),
        visitor().post('/api/user/login/', { account: randomUsername(), password: PASSWORD }),
        visitor().get('/api/image_code/'),
      ];
      const answers = await Promise.all(requests.map(timed));
      for (const { answer, ms } of answers) {
        expect(answer.status).toBe(503);
        expect(answer.body).toMatchObject({ errno: '4500', errmsg: 'The service is slow right now, please retry.' });
        expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
      }
    } finally {
      await redis.setMode('pass');
    }
    await vi.waitFor(async () => expect((await visitor().get('/api/readyz')).status).toBe(200), { timeout: 5000 });
    // Nothing was written past the deadline: the code still registers once Redis is fast again.
    expect(await usersWith(mobile)).toBe(0);
    expect((await registering.post('/api/user/register/', form(mobile, code))).status).toBe(200);
  });
  it('an image drawn past the deadline is answered 503 and leaves no answer behind', async () => {
    // The visitor's session holds no answer: its image was spent on a code.
    const v = visitor();
    expect((await v.requestSmsCode(randomMobile())).status).toBe(200);

    faults.slowRender = true;
    const late = await timed(v.get('/api/image_code/'));
    expect(late.answer.status).toBe(503);
    expect(late.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    // The handler goes on once its image is drawn; an answer it stored now would be accepted.
    await slowRenderDone;
    const sent = await v.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'ABCD' });
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({ data: { fields: { captcha: CAPTCHA_MESSAGES.expired } } });
  });
});

describe('an irrevocable step past the deadline', () => {
  it('an SMS that goes out late is answered as sent, and its code works', async () => {
    const v = visitor();
    const mobile = randomMobile();
    faults.slowSend = true;
    const { answer, ms } = await timed(v.requestSmsCode(mobile));
    expect(ms).toBeGreaterThan(DEADLINE_MS);
    expect(answer).toMatchObject({ status: 200, body: { errno: '0' } });
    const code = await readOutbox(app, mobile);
    expect((await v.post('/api/user/register/', form(mobile, code))).status).toBe(200);
  });

  it('a user inserted late is answered as created, and logged in', async () => {
    const v = visitor();
    const mobile = randomMobile();
    await v.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    faults.slowInsert = true;
    const username = randomUsername('Late');
    const { answer } = await timed(v.post('/api/user/register/', form(mobile, code, username)));
    expect(answer).toMatchObject({ status: 200, body: { data: { username, loggedIn: true } } });
    expect(await usersWith(mobile)).toBe(1);
    expect((await v.get<{ username: string }>('/api/user/me/')).body.data?.username).toBe(username);
  });
});

describe('the session failing to save after an irrevocable step', () => {
  it('register answers created with loggedIn: false, sets no session cookie, and login works', async () => {
    const v = visitor();
    const mobile = randomMobile();
    const username = randomUsername('NoSess');
    await v.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    const before = v.cookies.get('sid');
    faults.sessionSaveFails = true;
    const res = await v.post('/api/user/register/', form(mobile, code, username));
    expect(res).toMatchObject({
      status: 200,
      body: { errmsg: USER_MESSAGES.registeredNotLoggedIn, data: { username, loggedIn: false } },
    });
    expect(v.cookies.get('sid')).toBe(before);
    expect(await usersWith(mobile)).toBe(1);
    expect((await v.get('/api/user/me/')).status).toBe(401);
    expect((await v.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
  });

  it('sms_code answers sent, and the code works from the same session', async () => {
    const v = visitor();
    const mobile = randomMobile();
    await v.get('/api/image_code/');
    faults.sessionSaveFails = true;
    const sent = await v.post('/api/sms_code/', { mobile, captcha: 'ABCD' });
    expect(sent).toMatchObject({ status: 200, body: { errno: '0' } });
    expect(faults.sessionSaveFails).toBe(false); // the save was tried, and failed
    const code = await readOutbox(app, mobile);
    expect((await v.post('/api/user/register/', form(mobile, code))).status).toBe(200);
  });
});
