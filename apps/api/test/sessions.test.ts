// The account page's sessions: the list (opaque ids, device, truncated address, this one
// flagged, last-seen times refreshed at most every SESSION_TOUCH_SECONDS), ending one, ending
// all others, the cap per user, the index's expired members, and the store failing.
import { Code, en, type SessionView } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { userSessionsKey } from '../src/modules/auth/user-sessions.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import { buildTestApp, manualClock, PASSWORD, randomMobile, randomUsername, Visitor } from './helper.ts';

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const TTL_SECONDS = 86_400;

const clock = manualClock();
/** Store failures the seam injects, by operation; and the session writes it saw. */
const faults = {
  members: false,
  set: false,
  /** Runs once a session has been read, before the request goes on (another instance acting meanwhile). */
  afterSessionRead: null as null | ((key: string) => Promise<void>),
};
const sessionWrites: string[] = [];
const storeDown = () => new AppError(Code.SERVERERR, { status: 503, message: (c) => c.service.storeDown });

let app: FastifyInstance;
let redis: Redis;
beforeAll(async () => {
  app = await buildTestApp(
    { SESSIONS_PER_USER_MAX: '3', SESSION_TTL_SECONDS: String(TTL_SECONDS) },
    {
      clock,
      seams: {
        store: (store): KvStore => ({
          ...store,
          get: async (key) => {
            const value = await store.get(key);
            const racing = faults.afterSessionRead;
            if (racing && key.startsWith('sess:') && value !== null) {
              faults.afterSessionRead = null;
              await racing(key);
            }
            return value;
          },
          members: (key, now) => (faults.members ? Promise.reject(storeDown()) : store.members(key, now)),
          set: (key, value, ttl) => {
            if (key.startsWith('sess:')) sessionWrites.push(key);
            return faults.set ? Promise.reject(storeDown()) : store.set(key, value, ttl);
          },
          replace: (key, value, ttl) => {
            sessionWrites.push(key);
            return store.replace(key, value, ttl);
          },
        }),
      },
    },
  );
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  redis.disconnect();
  await app.close();
});

const browser = (ip: string, userAgent = CHROME_WINDOWS) => new Visitor(app, ip, { headers: { 'user-agent': userAgent } });
/** The session id a visitor's cookie carries (the value before the signature). */
const sessionIdOf = (visitor: Visitor) => {
  const sid = decodeURIComponent(visitor.cookies.get('sid') ?? '');
  return sid.slice(0, sid.lastIndexOf('.'));
};
const login = (visitor: Visitor, account: string) => visitor.post('/api/user/login/', { account, password: PASSWORD });
const list = async (visitor: Visitor) => {
  const res = await visitor.get<{ sessions: SessionView[] }>('/api/user/sessions/');
  expect(res.status).toBe(200);
  return res.body.data?.sessions ?? [];
};
const end = (visitor: Visitor, id: string, headers: Record<string, string> = {}) =>
  visitor.request({ method: 'DELETE', url: `/api/user/sessions/${id}/`, headers });
const me = async (visitor: Visitor) => (await visitor.get('/api/user/me/')).status;

/** A new user: registered in one browser (its first session), then logged in from the others. */
async function userWith(...others: Visitor[]) {
  const username = randomUsername('Sess');
  const first = others[0] ?? browser('203.0.113.7');
  expect((await first.register(username, randomMobile())).status).toBe(200);
  for (const visitor of others.slice(1)) {
    clock.advance(1000);
    expect((await login(visitor, username)).status).toBe(200);
  }
  const id = (await app.db.prisma.user.findFirstOrThrow({ where: { username } })).id;
  return { username, id };
}

describe('GET /api/user/sessions/', () => {
  it('lists every live session: opaque ids, device, truncated address, created and last-seen times, this one flagged', async () => {
    const windows = browser('203.0.113.7', CHROME_WINDOWS);
    const iphone = browser('2001:db8:85a3:1234::1', SAFARI_IPHONE);
    const started = clock();
    await userWith(windows, iphone);
    const fromWindows = await list(windows);
    expect(fromWindows).toHaveLength(2);
    const [own, other] = fromWindows as [SessionView, SessionView];
    expect(own).toMatchObject({
      current: true,
      device: 'Chrome on Windows',
      client: '203.0.113.x',
      createdAt: new Date(started).toISOString(),
    });
    expect(other).toMatchObject({
      current: false,
      device: 'Safari on iPhone',
      client: '2001:db8:85a3::/48',
      createdAt: new Date(started + 1000).toISOString(),
      lastSeenAt: new Date(started + 1000).toISOString(),
    });
    // Opaque: no session id, no cookie, in any form.
    const secrets = [windows, iphone].flatMap((v) => [sessionIdOf(v), v.cookies.get('sid') ?? '']);
    for (const { id } of fromWindows) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{20,64}$/);
      for (const secret of secrets) {
        expect(id).not.toBe(secret);
        expect(id.includes(secret) || secret.includes(id)).toBe(false);
      }
    }
    const fromIphone = await list(iphone);
    expect(fromIphone.find((s) => s.current)?.id).toBe(other.id);
    expect(fromIphone.map((s) => s.id).sort()).toEqual(fromWindows.map((s) => s.id).sort());
  });

  it('describes unknown and other devices plainly', async () => {
    const linux = browser('198.51.100.20', FIREFOX_LINUX);
    const bot = browser('198.51.100.21', 'curl/8.5.0');
    await userWith(linux, bot);
    expect((await list(linux)).map((s) => s.device).sort()).toEqual(['Firefox on Linux', 'Unknown browser']);
  });

  it('refreshes last-seen at most every SESSION_TOUCH_SECONDS (300), so a request does not write the store each time', async () => {
    // Not .30: altcha.test.ts reads the security events of that client, in the same database.
    const watcher = browser('203.0.113.130');
    const phone = browser('203.0.113.131', SAFARI_IPHONE);
    await userWith(watcher, phone);
    const seenAt = async () => (await list(watcher)).find((s) => !s.current)?.lastSeenAt;
    const loggedInAt = await seenAt();
    const phoneKey = `sess:${sessionIdOf(phone)}`;

    sessionWrites.length = 0;
    clock.advance(299_000);
    expect(await me(phone)).toBe(200);
    expect((await phone.get('/api/user/session/')).body.data).toMatchObject({ id: expect.any(Number) });
    expect(await seenAt()).toBe(loggedInAt);
    expect(sessionWrites.filter((key) => key === phoneKey)).toEqual([]);

    clock.advance(1000);
    expect(await me(phone)).toBe(200);
    expect(await seenAt()).toBe(new Date(clock()).toISOString());
    expect(sessionWrites.filter((key) => key === phoneKey)).toHaveLength(1);
    expect(await me(phone)).toBe(200); // just touched: no second write
    expect(sessionWrites.filter((key) => key === phoneKey)).toHaveLength(1);
  });

  it('answers 401 without a session', async () => {
    const res = await new Visitor(app).get('/api/user/sessions/');
    expect([res.status, res.body.errno]).toEqual([401, Code.SESSIONERR]);
  });
});

describe('DELETE /api/user/sessions/:id/', () => {
  it('ends another session of the user: it stops working at once, and leaves the list', async () => {
    const laptop = browser('203.0.113.40');
    const stolen = browser('203.0.113.41', SAFARI_IPHONE);
    await userWith(laptop, stolen);
    const target = (await list(laptop)).find((s) => !s.current);
    const res = await end(laptop, target?.id ?? '');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ errno: '0', errmsg: en.account.sessionEnded, data: null });
    expect(await me(stolen)).toBe(401);
    expect(await me(laptop)).toBe(200);
    expect((await list(laptop)).map((s) => s.current)).toEqual([true]);
    // Once ended, the same id is unknown.
    expect((await end(laptop, target?.id ?? '')).status).toBe(404);
  });

  it('answers 404 for an unknown id and for another user’s session, which it never ends', async () => {
    const mine = browser('203.0.113.50');
    const theirs = browser('203.0.113.51');
    await userWith(mine);
    await userWith(theirs);
    const theirId = (await list(theirs))[0]?.id ?? '';
    for (const id of [theirId, 'A'.repeat(43)]) {
      const res = await end(mine, id);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ errno: Code.NODATA, errmsg: en.account.noSuchSession, data: null });
    }
    expect(await me(theirs)).toBe(200);
    expect((await end(mine, 'not*an*id')).status).toBe(400);
  });

  it('ending the current session logs this browser out and clears its cookie', async () => {
    const visitor = browser('203.0.113.60');
    await userWith(visitor);
    const own = (await list(visitor))[0];
    const res = await end(visitor, own?.id ?? '');
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/sid=;/);
    expect(visitor.cookies.has('sid')).toBe(false);
    expect(await me(visitor)).toBe(401);
  });

  it('works without a body and with an empty JSON one; refuses another site; other methods are 405', async () => {
    const visitor = browser('203.0.113.70');
    const other = browser('203.0.113.71');
    const third = browser('203.0.113.72');
    await userWith(visitor, other, third);
    const [a, b] = (await list(visitor)).filter((s) => !s.current) as [SessionView, SessionView];
    const crossSite = await end(visitor, a.id, { origin: 'https://evil.example' });
    expect([crossSite.status, crossSite.body.errno]).toEqual([403, Code.FORBIDDEN]);
    expect((await end(visitor, a.id)).status).toBe(200);
    const emptyJson = await visitor.request({
      method: 'DELETE',
      url: `/api/user/sessions/${b.id}/`,
      headers: { 'content-type': 'application/json' },
    });
    expect(emptyJson.status).toBe(200);
    for (const method of ['GET', 'PUT', 'PATCH', 'POST'] as const) {
      const res = await visitor.request({ method, url: `/api/user/sessions/${a.id}/` });
      expect([method, res.status, res.body.errno, res.headers.allow]).toEqual([method, 405, Code.METHERR, 'DELETE']);
    }
  });
});

describe('a session ended while one of its requests is under way', () => {
  it('is not saved again by that request (its last-seen time, a captcha): it stays ended', async () => {
    const owner = browser('203.0.113.120');
    const thief = browser('203.0.113.121');
    const { username } = await userWith(owner, thief);
    const target = (await list(owner)).find((s) => !s.current)?.id ?? '';
    const thiefKey = `sess:${sessionIdOf(thief)}`;
    // The thief's next request records its last-seen time; the owner ends the session just
    // after that request has read it.
    clock.advance(301_000);
    faults.afterSessionRead = async (key) => {
      if (key === thiefKey) expect((await end(owner, target)).status).toBe(200);
    };
    await thief.get('/api/user/session/');
    expect(await app.store.get(thiefKey)).toBeNull();
    expect(await me(thief)).toBe(401);

    // A captcha saved into a logged-in session ended meanwhile (another instance's DELETE).
    expect((await login(thief, username)).status).toBe(200);
    const againKey = `sess:${sessionIdOf(thief)}`;
    faults.afterSessionRead = async (key) => {
      if (key === againKey) await app.store.take(key);
    };
    await thief.get('/api/image_code/');
    expect(await app.store.get(againKey)).toBeNull();
    expect(await me(thief)).toBe(401);
  });
});

describe('POST /api/user/logout_all/', () => {
  it('ends every other session, the current one stays (with a new id, the same entry in the list)', async () => {
    const phone = browser('203.0.113.80', SAFARI_IPHONE);
    const laptop = browser('203.0.113.81');
    const tablet = browser('203.0.113.82', FIREFOX_LINUX);
    await userWith(laptop, phone, tablet);
    const before = (await list(phone)).find((s) => s.current);
    const oldCookie = phone.cookies.get('sid');
    const res = await phone.post('/api/user/logout_all/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ errno: '0', errmsg: en.account.othersEnded(2), data: { ended: 2 } });
    expect(await me(laptop)).toBe(401);
    expect(await me(tablet)).toBe(401);
    expect(await me(phone)).toBe(200);
    expect(phone.cookies.get('sid')).not.toBe(oldCookie);
    const after = await list(phone);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ current: true, device: 'Safari on iPhone', createdAt: before?.createdAt });
    expect((await phone.post('/api/user/logout_all/')).body.data).toEqual({ ended: 0 });
  });
});

describe('SESSIONS_PER_USER_MAX (3 here)', () => {
  it('the login past the cap ends the oldest session', async () => {
    const visitors = ['203.0.113.90', '203.0.113.91', '203.0.113.92', '203.0.113.93'].map((ip) => browser(ip));
    const { id } = await userWith(...visitors);
    expect(await Promise.all(visitors.map(me))).toEqual([401, 200, 200, 200]);
    expect(await list(visitors[1] as Visitor)).toHaveLength(3);
    expect(await redis.zcard(`${app.config.redis.keyPrefix}${userSessionsKey(id)}`)).toBe(3);
  });
});

describe("the index's expired members", () => {
  it('are dropped when it is read', async () => {
    const early = browser('203.0.113.100');
    const late = browser('203.0.113.101');
    const { username, id } = await userWith(early);
    clock.advance(3_600_000);
    expect((await login(late, username)).status).toBe(200);
    const index = `${app.config.redis.keyPrefix}${userSessionsKey(id)}`;
    expect(await redis.zcard(index)).toBe(2);
    clock.advance((TTL_SECONDS - 3_600 + 1) * 1000); // the first session's lifetime is over, not the second's
    expect(await list(late)).toHaveLength(1);
    expect(await redis.zrange(index, '0', '-1')).toEqual([sessionIdOf(late)]);
    expect(await me(early)).toBe(401);
  });
});

describe('the store failing', () => {
  it('answers the 503 envelope on each route, and the session still works afterwards', async () => {
    const visitor = browser('203.0.113.110');
    const other = browser('203.0.113.111');
    await userWith(visitor, other);
    const ids = (await list(visitor)).map((s) => s.id);
    const down = { errno: Code.SERVERERR, errmsg: en.service.storeDown, data: null };
    faults.members = true;
    try {
      for (const res of [await visitor.get('/api/user/sessions/'), await end(visitor, ids[1] ?? '')]) {
        expect([res.status, res.body]).toEqual([503, down]);
      }
    } finally {
      faults.members = false;
    }
    expect(await me(visitor)).toBe(200);
    expect(await me(other)).toBe(200);
    expect(await list(visitor)).toHaveLength(2);

    // The epoch cannot be written: the sessions the index knows still end (never fewer than
    // could), the answer says it failed, this browser is still in, and a retry works.
    faults.set = true;
    try {
      const res = await visitor.post('/api/user/logout_all/');
      expect([res.status, res.body]).toEqual([503, down]);
    } finally {
      faults.set = false;
    }
    expect(await me(other)).toBe(401);
    expect(await me(visitor)).toBe(200);
    expect((await visitor.post('/api/user/logout_all/')).body.data).toEqual({ ended: 0 });
    expect(await list(visitor)).toHaveLength(1);
  });
});
