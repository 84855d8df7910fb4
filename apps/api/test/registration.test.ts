// The seed's registration flow through HTTP, against the real PostgreSQL and Redis.

import { CAPTCHA_MESSAGES, routes, SMS_MESSAGES, USER_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, CAPTCHA, manualClock, PASSWORD, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(() => app.close());

describe('GET /api/', () => {
  it('answers, with and without the slash, with every route of the table and its summary', async () => {
    for (const url of ['/api/', '/api']) {
      const res = await new Visitor(app).get(url);
      expect(res.status).toBe(200);
      const listed = (res.body.data as { routes: { method: string; path: string; summary: string }[] }).routes;
      expect(listed).toContainEqual({ method: 'POST', path: '/api/user/register/', summary: routes.register.summary });
      expect(listed.map((r) => `${r.method} ${r.path}`)).toEqual(Object.values(routes).map((r) => `${r.method} /api${r.path}`));
    }
  });
});

describe('GET /api/image_code/', () => {
  it('answers a PNG that is never cached, and starts a session for its answer', async () => {
    const visitor = new Visitor(app);
    const res = await visitor.get('/api/image_code/?rand=0.123');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.raw.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    expect(visitor.cookies.has('sid')).toBe(true);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    // The answer is never sent to the client in any form.
    expect(res.raw.rawPayload.includes(CAPTCHA)).toBe(false);
  });

  it("keeps an anonymous visitor's session only as long as its captcha and SMS code", async () => {
    const visitor = new Visitor(app);
    await visitor.get('/api/image_code/');
    const cookie = decodeURIComponent(visitor.cookies.get('sid') ?? '');
    const ttl = await app.store.ttl(`sess:${cookie.slice(0, cookie.lastIndexOf('.'))}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it('works without the trailing slash and with the seed path', async () => {
    expect((await new Visitor(app).get('/api/image_code')).status).toBe(200);
  });
});

describe('GET /api/username/:username/ and /api/mobile/:mobile/', () => {
  it('count existing users case-insensitively, as in the seed', async () => {
    const visitor = new Visitor(app);
    const username = randomUsername('Case');
    const mobile = randomMobile();
    expect((await visitor.get(`/api/username/${username}/`)).body).toEqual({
      errno: '0',
      errmsg: 'Success',
      data: { username, count: 0 },
    });
    expect((await visitor.register(username, mobile)).status).toBe(200);
    expect((await visitor.get(`/api/username/${username.toLowerCase()}/`)).body.data).toEqual({
      username: username.toLowerCase(),
      count: 1,
    });
    expect((await visitor.get(`/api/username/${username.toUpperCase()}`)).body.data).toMatchObject({ count: 1 });
    expect((await visitor.get(`/api/mobile/${mobile}/`)).body.data).toEqual({ mobile, count: 1 });
    expect((await visitor.get(`/api/mobile/%2B86${mobile}/`)).body.data).toEqual({ mobile, count: 1 });
  });

  it('answer 400 PARAMERR for an invalid username or mobile, not 404', async () => {
    const visitor = new Visitor(app);
    for (const url of [
      '/api/username/abc/',
      '/api/username/has-dash/',
      `/api/username/${'x'.repeat(5000)}/`,
      '/api/mobile/12345678901/',
      '/api/mobile/138001380000/',
    ]) {
      const res = await visitor.get(url);
      expect(res.status, url).toBe(400);
      expect(res.body.errno).toBe('4103');
      expect(Object.keys(res.body.data?.fields ?? {})).toHaveLength(1);
    }
  });
});

describe('POST /api/sms_code/', () => {
  it('sends a code after a solved captcha, then enforces the 60 s cooldown with retryAfter', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    const sent = await visitor.requestSmsCode(mobile);
    expect(sent.status).toBe(200);
    expect(sent.body.data).toEqual({ expiresIn: 300, resendIn: 60, codeLength: 6 });
    expect(JSON.stringify(sent.body)).not.toContain(await readOutbox(app, mobile));

    const again = await visitor.requestSmsCode(mobile);
    expect(again.status).toBe(429);
    expect(again.body.errno).toBe('4201');
    expect(again.body.data?.retryAfter).toBeGreaterThan(55);
    expect(Number(again.headers['retry-after'])).toBe(again.body.data?.retryAfter);
  });

  it('accepts the seed form encoding and a +86 mobile', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.get('/api/image_code/');
    const res = await visitor.request({
      method: 'POST',
      url: '/api/sms_code/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `mobile=${encodeURIComponent(` +86${mobile} `)}&captcha=abcd`,
    });
    expect(res.status).toBe(200);
    expect(await readOutbox(app, mobile)).toMatch(/^\d{6}$/);
  });

  it('spends the captcha on every attempt: a wrong answer, then the right one, is refused', async () => {
    const visitor = new Visitor(app);
    await visitor.get('/api/image_code/');
    const wrong = await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'WXYZ' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.data?.fields).toEqual({ captcha: CAPTCHA_MESSAGES.wrong });
    const retry = await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: CAPTCHA });
    expect(retry.body.data?.fields).toEqual({ captcha: CAPTCHA_MESSAGES.expired });
  });

  it('refuses to reuse one solved captcha for a second phone (the seed allowed it)', async () => {
    const visitor = new Visitor(app);
    expect((await visitor.requestSmsCode(randomMobile())).status).toBe(200);
    const reuse = await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: CAPTCHA });
    expect(reuse.status).toBe(400);
    expect(reuse.body.data?.fields?.captcha).toBe(CAPTCHA_MESSAGES.expired);
  });

  it('refuses a visitor without a captcha session', async () => {
    const res = await new Visitor(app).post('/api/sms_code/', { mobile: randomMobile(), captcha: CAPTCHA });
    expect(res.status).toBe(400);
    expect(res.body.data?.fields?.captcha).toBe(CAPTCHA_MESSAGES.expired);
  });

  it('refuses a registered mobile with 409 DATAEXIST', async () => {
    const mobile = randomMobile();
    await new Visitor(app).register(randomUsername(), mobile);
    const res = await new Visitor(app).requestSmsCode(mobile);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ errno: '4003', data: { fields: { mobile: SMS_MESSAGES.registered } } });
  });

  it('reports both invalid fields at once', async () => {
    const res = await new Visitor(app).post('/api/sms_code/', { mobile: '1234', captcha: 'toolong' });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.data?.fields ?? {}).sort()).toEqual(['captcha', 'mobile']);
  });

  it('sends exactly one code when 20 visitors ask for the same mobile at once', async () => {
    const mobile = randomMobile();
    const visitors = Array.from({ length: 20 }, () => new Visitor(app));
    await Promise.all(visitors.map((v) => v.get('/api/image_code/')));
    const results = await Promise.all(visitors.map((v) => v.post('/api/sms_code/', { mobile, captcha: CAPTCHA })));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(429)]);
  });
});

describe('POST /api/user/register/', () => {
  const form = (over: Record<string, string> = {}) => ({
    username: randomUsername(),
    password: PASSWORD,
    password_repeat: PASSWORD,
    mobile: randomMobile(),
    sms_code: '123456',
    ...over,
  });

  it('creates the user with an argon2id hash and logs it in with a fresh session id', async () => {
    const visitor = new Visitor(app);
    const username = randomUsername('New');
    const mobile = randomMobile();
    await visitor.get('/api/image_code/');
    const captchaSession = visitor.cookies.get('sid');
    const res = await visitor.register(username, mobile);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ id: expect.any(Number), username, mobile, email: '', emailActive: false, loggedIn: true });
    expect(visitor.cookies.get('sid')).not.toBe(captchaSession);
    expect((await visitor.get('/api/user/me/')).body.data).toEqual({
      id: res.body.data?.id,
      username,
      mobile,
      email: '',
      emailActive: false,
    });
    const cookie = decodeURIComponent(visitor.cookies.get('sid') ?? '');
    const ttl = await app.store.ttl(`sess:${cookie.slice(0, cookie.lastIndexOf('.'))}`);
    expect(ttl).toBeGreaterThan(13 * 86_400_000); // a logged-in session gets the full lifetime

    const row = await app.db.prisma.user.findUniqueOrThrow({ where: { mobile } });
    expect(row.password).toMatch(/^\$argon2id\$v=19\$/);
    expect(row.password).toMatch(/[$,]m=19456[,$]/);
    expect(row.password).toMatch(/[$,]t=2[,$]/);
    expect(row.password).toMatch(/[$,]p=1[,$]/);
    expect(row.password).not.toContain(PASSWORD);
    expect(row).toMatchObject({
      username,
      usernameKey: username.toLowerCase(),
      isActive: true,
      emailActive: false,
      isStaff: false,
    });
  });

  it('reports every field problem at once', async () => {
    const res = await new Visitor(app).post('/api/user/register/', {
      username: 'ab',
      password: '12345678',
      password_repeat: 'different',
      mobile: '999',
      sms_code: '12',
    });
    expect(res.status).toBe(400);
    expect(res.body.errno).toBe('4103');
    expect(res.body.data?.fields).toEqual({
      username: expect.any(String),
      password: 'This password is entirely numeric.',
      password_repeat: 'The two passwords do not match.',
      mobile: expect.any(String),
      sms_code: 'The SMS code is 6 digits.',
    });
  });

  it.each([
    ['a common password', 'password123', 'This password is too common.'],
    ['a password like the username', 'SAMEname_1x', 'The password is too similar to the username.'],
  ])('refuses %s', async (_, password, message) => {
    const res = await new Visitor(app).post(
      '/api/user/register/',
      form({ username: 'samename_1x', password, password_repeat: password }),
    );
    expect(res.status).toBe(400);
    expect(res.body.data?.fields?.password).toBe(message);
  });

  it('refuses a guessable password after checking the code, and the code stays valid for a better one', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    const weak = await visitor.post(
      '/api/user/register/',
      form({ mobile, sms_code: code, password: 'Password2026', password_repeat: 'Password2026' }),
    );
    expect(weak.status).toBe(400);
    expect(weak.body.data?.fields?.password).toMatch(
      /^This password is too easy to guess\. .*similar to a commonly used password/,
    );
    expect(await app.db.prisma.user.count({ where: { mobile } })).toBe(0);
    const strong = await visitor.post('/api/user/register/', form({ mobile, sms_code: code }));
    expect(strong.status).toBe(200);
  });

  it('does not estimate the strength of a password sent without a valid code', async () => {
    const res = await new Visitor(app).post(
      '/api/user/register/',
      form({ password: 'Password2026', password_repeat: 'Password2026' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.data?.fields).toEqual({ sms_code: SMS_MESSAGES.expired });
  });

  it('refuses a username that is a mobile number: at login it would be read as one', async () => {
    const username = randomMobile();
    const res = await new Visitor(app).post('/api/user/register/', form({ username }));
    expect(res.body.data?.fields?.username).toBe(USER_MESSAGES.usernameLooksLikeMobile);
    expect((await new Visitor(app).get(`/api/username/${username}/`)).body.data).toEqual({ username, count: 1 });
  });

  it.each(['admin', 'Support', 'SYSTEM', 'administrator'])('refuses the reserved username %s', async (username) => {
    const res = await new Visitor(app).post('/api/user/register/', form({ username }));
    expect(res.status).toBe(400);
    expect(res.body.data?.fields?.username).toBe(USER_MESSAGES.usernameReserved);
    const check = await new Visitor(app).get(`/api/username/${username}/`);
    expect(check.body.data).toEqual({ username, count: 1 });
  });

  it('refuses a username taken in another case, with 409 and the field, after checking the code', async () => {
    const taken = randomUsername('Taken');
    await new Visitor(app).register(taken, randomMobile());
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    const res = await visitor.post('/api/user/register/', form({ username: taken.toLowerCase(), mobile, sms_code: code }));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ errno: '4003', data: { fields: { username: USER_MESSAGES.usernameTaken } } });
    // The code stays valid for another name.
    expect((await visitor.post('/api/user/register/', form({ mobile, sms_code: code }))).status).toBe(200);
  });

  it('says nothing about taken names without a valid code: this is no enumeration oracle', async () => {
    const taken = randomUsername('Hidden');
    await new Visitor(app).register(taken, randomMobile());
    const res = await new Visitor(app).post('/api/user/register/', form({ username: taken }));
    expect(res.status).toBe(400);
    expect(res.body.data?.fields).toEqual({ sms_code: SMS_MESSAGES.expired });
  });

  it('a code works only in the session that asked for it: another visitor cannot try it or spend its attempts', async () => {
    const owner = new Visitor(app);
    const mobile = randomMobile();
    await owner.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    const attacker = new Visitor(app, '192.0.2.200');
    for (let i = 0; i < 10; i++) {
      const guess = await attacker.post('/api/user/register/', form({ mobile, sms_code: code }));
      expect(guess.body.data?.fields?.sms_code).toBe(SMS_MESSAGES.expired);
    }
    expect((await owner.post('/api/user/register/', form({ mobile, sms_code: code }))).status).toBe(200);
  });

  it('refuses a wrong SMS code, counting attempts; the sixth attempt fails even with the right code', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    const wrong = code === '000000' ? '999999' : '000000';
    const body = form({ mobile, sms_code: wrong });
    const messages: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) messages.push((await visitor.post('/api/user/register/', body)).body.data?.fields?.sms_code);
    expect(messages).toEqual([
      SMS_MESSAGES.wrong(4),
      SMS_MESSAGES.wrong(3),
      SMS_MESSAGES.wrong(2),
      SMS_MESSAGES.wrong(1),
      SMS_MESSAGES.exhausted,
    ]);
    const sixth = await visitor.post('/api/user/register/', { ...body, sms_code: code });
    expect(sixth.status).toBe(400);
    expect(sixth.body.data?.fields?.sms_code).toBe(SMS_MESSAGES.expired);
  });

  it('refuses a code sent to another mobile', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.requestSmsCode(mobile);
    const res = await visitor.post('/api/user/register/', form({ sms_code: await readOutbox(app, mobile) }));
    expect(res.body.data?.fields?.sms_code).toBe(SMS_MESSAGES.expired);
  });

  it('gives exactly one user when 10 registrations race for one username', async () => {
    const username = randomUsername('Race');
    const visitors = Array.from({ length: 10 }, () => new Visitor(app));
    const mobiles = visitors.map(() => randomMobile());
    await Promise.all(visitors.map((v, i) => v.requestSmsCode(mobiles[i]!)));
    const codes = await Promise.all(mobiles.map((m) => readOutbox(app, m)));
    const results = await Promise.all(
      visitors.map((v, i) =>
        v.post(
          '/api/user/register/',
          form({ username: i % 2 ? username : username.toUpperCase(), mobile: mobiles[i]!, sms_code: codes[i]! }),
        ),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.data?.fields?.username).toBeDefined();
    expect(await app.db.prisma.user.count({ where: { usernameKey: username.toLowerCase() } })).toBe(1);
  });

  it('accepts one right code only once when it races itself', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    // The same session (one browser) sending the form four times at once, with four usernames.
    const results = await Promise.all(
      Array.from({ length: 4 }, () => visitor.post('/api/user/register/', form({ mobile, sms_code: code }))),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.every((r) => [200, 400, 409].includes(r.status))).toBe(true);
    expect(await app.db.prisma.user.count({ where: { mobile } })).toBe(1);
  });
});

describe('time limits (in-process store, moved clock)', () => {
  it('a captcha expires after 300 s and an SMS code after 300 s', async () => {
    const clock = manualClock();
    const timed = await buildTestApp({ REDIS_URL: undefined }, { clock });
    try {
      const visitor = new Visitor(timed);
      await visitor.get('/api/image_code/');
      clock.advance(300_000);
      const late = await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: CAPTCHA });
      expect(late.body.data?.fields?.captcha).toBe(CAPTCHA_MESSAGES.expired);

      const mobile = randomMobile();
      await visitor.requestSmsCode(mobile);
      const code = await readOutbox(timed, mobile);
      clock.advance(300_000);
      const res = await visitor.post('/api/user/register/', {
        username: randomUsername(),
        password: PASSWORD,
        password_repeat: PASSWORD,
        mobile,
        sms_code: code,
      });
      expect(res.body.data?.fields?.sms_code).toBe(SMS_MESSAGES.expired);
    } finally {
      await timed.close();
    }
  });
});
