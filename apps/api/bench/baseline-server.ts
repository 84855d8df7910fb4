// A small server that does only one piece of unavoidable work, built from the project's own
// packages, for `pnpm bench` to compare the API against in the same run:
//
//   node bench/baseline-server.ts <kind> <port>
//     hello      Fastify answering a constant envelope
//     redis-get  one Redis GET through ioredis
//     pg-count   the availability check's indexed count through a raw pg pool
//     pg-count-limited  the same, plus one atomic per-client counter in Redis (INCR + PEXPIRE in
//                a script), the budget the API's availability checks spend
//     render     the project's captcha renderer
//     argon2     one argon2id hash (or, POST /verify, one verify) at the configured parameters
//     register-work  what a registration cannot skip: zxcvbn's estimate of the password (on the
//                event loop) and one argon2id hash
import { en } from '@register/contracts';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { randomCaptchaText, renderCaptcha } from '../src/modules/captcha/captcha.renderer.ts';
import { createPasswordHasher } from '../src/modules/users/passwords.ts';

const [kind, port = '3990'] = process.argv.slice(2);
const app = Fastify({ logger: false });
const config = loadConfig({ NODE_ENV: 'test' });

switch (kind) {
  case 'hello':
    app.get('/', async () => ({ errno: '0', errmsg: 'Success', data: null }));
    break;
  case 'redis-get': {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    app.get('/', async () => ({ errno: '0', errmsg: 'Success', data: await redis.get('bench:baseline') }));
    break;
  }
  case 'pg-count': {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: config.database.kind === 'postgres' ? 10 : 10 });
    app.get('/:username', async (request) => {
      const { username } = request.params as { username: string };
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM tb_user WHERE username_key = $1', [
        username.toLowerCase(),
      ]);
      return { errno: '0', errmsg: 'Success', data: { username, count: rows[0].n } };
    });
    break;
  }
  case 'pg-count-limited': {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const HIT = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";
    app.get('/:username', async (request) => {
      const { username } = request.params as { username: string };
      await redis.eval(HIT, 1, `bench:limit:${request.ip}`, 60_000);
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM tb_user WHERE username_key = $1', [
        username.toLowerCase(),
      ]);
      return { errno: '0', errmsg: 'Success', data: { username, count: rows[0].n } };
    });
    break;
  }
  case 'render':
    app.get('/', async (_request, reply) => reply.type('image/png').send(await renderCaptcha(randomCaptchaText())));
    break;
  case 'argon2': {
    const hasher = createPasswordHasher(config.argon2);
    const stored = await hasher.hash('correct horse battery');
    app.post('/', async () => ({ errno: '0', errmsg: 'Success', data: (await hasher.hash('correct horse battery')).length }));
    app.post('/verify', async () => ({
      errno: '0',
      errmsg: 'Success',
      data: (await hasher.verify(stored, 'correct horse battery')).ok,
    }));
    break;
  }
  case 'register-work': {
    const { passwordStrength } = await import('@register/contracts/password-strength');
    const hasher = createPasswordHasher(config.argon2);
    let n = 0;
    app.post('/', async () => {
      // The registrations' own password and a username of the same shape (bench/registrations.ts).
      const password = 'correct horse battery staple';
      const strength = passwordStrength(password, { username: `bench_0_${++n}`, mobile: '15000000001' }, en);
      return { errno: '0', errmsg: 'Success', data: { score: strength.score, hash: (await hasher.hash(password)).length } };
    });
    break;
  }
  default:
    console.error(`unknown baseline ${kind}`);
    process.exit(2);
}
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.send?.('ready');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
