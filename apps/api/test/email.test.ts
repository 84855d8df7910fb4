// The account's email address and its verification link, through the dev mail outbox (as the
// SPA and the e2e tests read it), on the real PostgreSQL and Redis.
import { randomBytes } from 'node:crypto';
import { Code, en, type MailMessage, text } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { EMAIL_KEYS, tokenHash } from '../src/modules/email/email.service.ts';
import type { Seams } from '../src/services.ts';
import { buildTestApp, manualClock, randomMobile, randomUsername, Visitor } from './helper.ts';

const clock = manualClock();
const faults = { verifyFails: false };
const seams: Seams = {
  emailRepository: (repository) => ({
    ...repository,
    async verify(userId, email) {
      if (faults.verifyFails) {
        faults.verifyFails = false;
        throw new AppError(Code.DBERR, { message: text.service.databaseDown });
      }
      return repository.verify(userId, email);
    },
  }),
};

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp({}, { clock, seams });
});
afterAll(() => app.close());

/** A new user, logged in (registration logs in). */
async function newUser(tag = 'Mail') {
  const visitor = new Visitor(app);
  const res = await visitor.register(randomUsername(tag), randomMobile());
  if (res.status !== 200 || !res.body.data) throw new Error(`register failed: ${JSON.stringify(res.body)}`);
  return { visitor, id: res.body.data.id, username: res.body.data.username, mobile: res.body.data.mobile };
}
/** Mixed case, as people type them: the API keeps them in lower case. */
const randomEmail = (tag = 'someone') => `${tag}.${randomBytes(5).toString('hex')}@Example.COM`;

async function lastMail(address: string): Promise<MailMessage | null> {
  const res = await app.inject({ method: 'GET', url: `/api/__dev/mail/${encodeURIComponent(address)}/` });
  return res.statusCode === 200 ? (res.json() as { data: MailMessage }).data : null;
}
/** The token of the last link sent to an address, read from the link as the SPA reads its fragment. */
async function linkToken(address: string): Promise<string> {
  const mail = await lastMail(address);
  if (!mail?.link) throw new Error(`no link to ${address}`);
  return new URLSearchParams(new URL(mail.link).hash.slice(1)).get('token') ?? '';
}
const setEmail = (visitor: Visitor, email: string) =>
  visitor.post<{ email: string; emailActive: boolean }>('/api/user/email/', { email });
/** Verifying needs no session: a fresh browser, as when the link opens elsewhere. */
const verify = (token: string) =>
  new Visitor(app).post<{ email: string; emailActive: boolean }>('/api/user/email/verify/', { token });
const row = (id: number) => app.db.prisma.user.findUniqueOrThrow({ where: { id }, select: { email: true, emailActive: true } });
const tokenInvalid = {
  errno: Code.PARAMERR,
  errmsg: en.account.tokenInvalid,
  data: { fields: { token: en.account.tokenInvalid } },
};

describe('POST /api/user/email/ and /api/user/email/verify/', () => {
  it('sets the address (lower case, unverified) and mails a link to the SPA; the link verifies it', async () => {
    const { visitor, id, username } = await newUser();
    const typed = randomEmail('Alice');
    const address = typed.toLowerCase();
    const set = await setEmail(visitor, ` ${typed} `);
    expect(set.status).toBe(200);
    expect(set.body).toEqual({
      errno: '0',
      errmsg: en.account.emailSent(address, 24),
      data: { email: address, emailActive: false },
    });
    expect(await row(id)).toEqual({ email: address, emailActive: false });

    const mail = await lastMail(address);
    expect(mail).toMatchObject({ to: address, subject: en.mail.verifySubject });
    // In the fragment: it never reaches a server's log or a Referer.
    expect(mail?.link).toMatch(/^http:\/\/localhost:5173\/verify-email#token=[A-Za-z0-9_-]{43}$/);
    expect(mail?.text).toBe(en.mail.verifyText(username, mail?.link ?? '', 24));
    expect(mail?.token).toBe(await linkToken(address));
    expect((await visitor.get('/api/user/me/')).body.data).toMatchObject({ email: address, emailActive: false });

    const verified = await verify(await linkToken(address));
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ errno: '0', errmsg: en.account.emailVerified, data: { email: address, emailActive: true } });
    expect(await row(id)).toEqual({ email: address, emailActive: true });
    expect((await visitor.get('/api/user/me/')).body.data).toMatchObject({ email: address, emailActive: true });

    await app.events.flush();
    const kinds = (await app.db.prisma.securityEvent.findMany({ where: { userId: id } })).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['email_changed', 'email_verified']));
  });

  it('answers in the visitor’s language, the mail included', async () => {
    const { visitor } = await newUser();
    const address = randomEmail().toLowerCase();
    const set = await visitor.request({
      method: 'POST',
      url: '/api/user/email/',
      payload: { email: address },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(set.status).toBe(200);
    const { zhCN } = await import('@register/contracts/i18n/zh-CN');
    expect(set.body.errmsg).toBe(zhCN.account.emailSent(address, 24));
    expect((await lastMail(address))?.subject).toBe(zhCN.mail.verifySubject);
  });

  it('needs a logged-in session to set an address, and a valid one', async () => {
    expect((await new Visitor(app).post('/api/user/email/', { email: randomEmail() })).status).toBe(401);
    const { visitor } = await newUser();
    for (const email of ['not-an-address', 'a b@example.com', `${'x'.repeat(250)}@example.com`]) {
      const res = await setEmail(visitor, email);
      expect(res.status, email).toBe(400);
      expect(res.body.data?.fields?.email, email).toBe(en.fields.email.invalid);
    }
  });

  it('is single-use', async () => {
    const { visitor } = await newUser();
    const address = randomEmail();
    await setEmail(visitor, address);
    const token = await linkToken(address);
    expect((await verify(token)).status).toBe(200);
    const again = await verify(token);
    expect(again.status).toBe(400);
    expect(again.body).toEqual(tokenInvalid);
    // Two requests racing with one link: exactly one of them verifies.
    const other = await newUser();
    const second = randomEmail();
    await setEmail(other.visitor, second);
    const raced = await linkToken(second);
    const answers = await Promise.all([verify(raced), verify(raced), verify(raced)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400]);
  });

  it('expires after 24 hours (by the injected clock)', async () => {
    const { visitor, id } = await newUser();
    const first = randomEmail();
    await setEmail(visitor, first);
    const stale = await linkToken(first);
    clock.advance(24 * 3600_000 + 1000);
    expect((await verify(stale)).body).toEqual(tokenInvalid);
    expect((await row(id)).emailActive).toBe(false);

    const { visitor: other } = await newUser();
    const second = randomEmail();
    await setEmail(other, second);
    const fresh = await linkToken(second);
    clock.advance(24 * 3600_000 - 60_000);
    expect((await verify(fresh)).status).toBe(200);
  });

  it('is bound to the address it was sent to: a newer address or a resend voids it', async () => {
    const { visitor, id } = await newUser();
    const a = randomEmail('a');
    const b = randomEmail('b');
    await setEmail(visitor, a);
    const tokenA = await linkToken(a);
    await setEmail(visitor, b);
    const tokenB = await linkToken(b);
    expect((await verify(tokenA)).body).toEqual(tokenInvalid);
    expect(await row(id)).toEqual({ email: b.toLowerCase(), emailActive: false });
    expect((await verify(tokenB)).body.data).toEqual({ email: b.toLowerCase(), emailActive: true });

    // A resend (the same address again) sends a new link and voids the earlier one.
    const other = await newUser();
    const c = randomEmail('c');
    await setEmail(other.visitor, c);
    const first = await linkToken(c);
    expect((await setEmail(other.visitor, c)).status).toBe(200);
    const second = await linkToken(c);
    expect(second).not.toBe(first);
    expect((await verify(first)).body).toEqual(tokenInvalid);
    expect((await verify(second)).status).toBe(200);
  });

  it('verifies nothing once the account’s address is another one, however it changed', async () => {
    const { visitor, id } = await newUser();
    const address = randomEmail();
    await setEmail(visitor, address);
    const token = await linkToken(address);
    // An operator changes the address in the database meanwhile.
    const other = randomEmail().toLowerCase();
    await app.db.prisma.user.update({ where: { id }, data: { email: other } });
    expect((await verify(token)).body).toEqual(tokenInvalid);
    expect(await row(id)).toEqual({ email: other, emailActive: false });
  });

  it('posting the verified address again sends nothing', async () => {
    const { visitor } = await newUser();
    const address = randomEmail();
    await setEmail(visitor, address);
    const sent = await lastMail(address);
    await verify(await linkToken(address));
    const again = await setEmail(visitor, address);
    expect(again.body).toEqual({
      errno: '0',
      errmsg: en.account.emailVerified,
      data: { email: address.toLowerCase(), emailActive: true },
    });
    expect(await lastMail(address)).toEqual(sent);
  });

  it('keeps the token in the store only as its SHA-256', async () => {
    const { visitor, id } = await newUser();
    const address = randomEmail();
    await setEmail(visitor, address);
    const token = await linkToken(address);
    const prefix = app.config.redis.keyPrefix;
    const redis = new Redis(inject('redisUrl'));
    try {
      const everything: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          // The dev outbox is the mail itself (the person's inbox), not the API's state.
          if (key.startsWith(`${prefix}mail-outbox:`)) continue;
          const type = await redis.type(key);
          const values =
            type === 'string'
              ? [await redis.get(key)]
              : type === 'hash'
                ? Object.entries(await redis.hgetall(key)).flat()
                : type === 'set'
                  ? await redis.smembers(key)
                  : type === 'zset'
                    ? await redis.zrange(key, '0', '-1')
                    : type === 'list'
                      ? await redis.lrange(key, '0', '-1')
                      : [];
          everything.push(key, ...values.map(String));
        }
      } while (cursor !== '0');
      expect(everything.length).toBeGreaterThan(0);
      expect(everything.filter((item) => item.includes(token))).toEqual([]);
      expect(everything).toContain(`${prefix}${EMAIL_KEYS.token(tokenHash(token))}`);
      expect(await redis.get(`${prefix}${EMAIL_KEYS.current(id)}`)).toBe(tokenHash(token));
    } finally {
      redis.disconnect();
    }
  });

  it('a database failure at verification leaves the link working, for a retry', async () => {
    const { visitor, id } = await newUser();
    const address = randomEmail();
    await setEmail(visitor, address);
    const token = await linkToken(address);
    faults.verifyFails = true;
    const failed = await verify(token);
    expect(failed.status).toBe(503);
    expect(failed.body.errno).toBe(Code.DBERR);
    expect((await row(id)).emailActive).toBe(false);
    expect((await verify(token)).status).toBe(200);
    expect((await row(id)).emailActive).toBe(true);
  });
});

describe('one verified address per account', () => {
  it('refuses an address another account verified (DATAEXIST) and sends it nothing', async () => {
    const owner = await newUser('Owner');
    const address = randomEmail();
    await setEmail(owner.visitor, address);
    await verify(await linkToken(address));
    const sent = await lastMail(address);

    const other = await newUser('Other');
    const res = await setEmail(other.visitor, address.toUpperCase());
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      errno: Code.DATAEXIST,
      errmsg: en.account.emailTaken,
      data: { fields: { email: en.account.emailTaken } },
    });
    expect(await lastMail(address)).toEqual(sent);
    expect(await row(other.id)).toEqual({ email: '', emailActive: false });
  });

  it('lets two accounts hold it unverified; of two links the first verifies, the index refuses the second', async () => {
    const first = await newUser('First');
    const second = await newUser('Second');
    const address = randomEmail();
    await setEmail(first.visitor, address);
    const firstToken = await linkToken(address);
    await setEmail(second.visitor, address);
    const secondToken = await linkToken(address);

    // Both past every check at once: only the partial unique index can decide.
    const answers = await Promise.all([verify(firstToken), verify(secondToken)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const refused = answers.find((a) => a.status === 409);
    expect(refused?.body).toEqual({ errno: Code.DATAEXIST, errmsg: en.account.emailTaken, data: null });
    const rows = [await row(first.id), await row(second.id)];
    expect(rows.filter((r) => r.emailActive)).toHaveLength(1);
    expect(rows.every((r) => r.email === address.toLowerCase())).toBe(true);
    expect(await app.db.prisma.user.count({ where: { email: address.toLowerCase(), emailActive: true } })).toBe(1);
  });
});

describe('budgets', () => {
  it('per user: 3 an hour, sets and resends alike, then 429 with Retry-After; probing taken addresses spends it too', async () => {
    const { visitor } = await newUser();
    const address = randomEmail();
    expect((await setEmail(visitor, address)).status).toBe(200);
    expect((await setEmail(visitor, address)).status).toBe(200); // a resend
    expect((await setEmail(visitor, randomEmail())).status).toBe(200);
    const next = randomEmail();
    const refused = await setEmail(visitor, next);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ errno: Code.THROTTLED, errmsg: en.account.emailLimit });
    expect(refused.body.data?.retryAfter).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBe(refused.body.data?.retryAfter);
    expect(await lastMail(next)).toBeNull();
    clock.advance(3600_000);
    expect((await setEmail(visitor, next)).status).toBe(200);

    // Asking whether an address is taken costs a send as well.
    const owner = await newUser('Owner');
    const taken = randomEmail();
    await setEmail(owner.visitor, taken);
    await verify(await linkToken(taken));
    const prober = await newUser('Prober');
    for (let i = 0; i < 3; i++) expect((await setEmail(prober.visitor, taken)).status).toBe(409);
    expect((await setEmail(prober.visitor, randomEmail())).status).toBe(429);
  });

  it('per address: 3 an hour and 6 a day from one account, 20 a day from all accounts together, then 429', async () => {
    // At the start of a day window, so that the day's budgets are not cut in two.
    clock.advance(86_400_000 - (clock() % 86_400_000) + 1000);
    const address = randomEmail();
    const first = await newUser();
    for (let i = 0; i < 3; i++) expect((await setEmail(first.visitor, address)).status).toBe(200);
    clock.advance(3_600_000);
    for (let i = 0; i < 3; i++) expect((await setEmail(first.visitor, address)).status).toBe(200);
    clock.advance(3_600_000);
    const daily = await setEmail(first.visitor, address);
    expect(daily.status).toBe(429);
    expect(daily.body.errmsg).toBe(en.account.emailLimit);
    expect(daily.body.data?.retryAfter).toBeGreaterThan(3600);
    // That was this address's budget for this account: another address is sent a link.
    expect((await setEmail(first.visitor, randomEmail())).status).toBe(200);
    // What one account spent on the address keeps no other account from being sent a link to it.
    let sent = 6;
    while (sent < 20) {
      const other = await newUser();
      for (let i = 0; i < 3 && sent < 20; i++, sent++) expect((await setEmail(other.visitor, address)).status).toBe(200);
    }
    // The ceiling: 20 a day to one address from all accounts.
    const late = await newUser();
    const refused = await setEmail(late.visitor, address);
    expect(refused.status).toBe(429);
    expect(refused.body.errmsg).toBe(en.account.emailLimit);
    expect(await row(late.id)).toEqual({ email: '', emailActive: false });
    // The refused request spent nothing of the user's own budget.
    for (let i = 0; i < 3; i++) expect((await setEmail(late.visitor, randomEmail())).status).toBe(200);
  });
});

describe('GET /api/__dev/mail/:email/', () => {
  it('answers 404 NODATA for an address that was sent nothing', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/__dev/mail/${randomEmail()}/` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ errno: Code.NODATA, errmsg: en.request.noMailMessage, data: null });
  });
});
