// Complete registrations per second from many clients, each a visitor with its own cookies:
// captcha, SMS code (read from the dev outbox), register, again.
import { httpVisitor } from '../test/http-visitor.ts';

const MOBILE_OFFSET = Math.floor(Math.random() * 1e8);
/** Across calls too: the runs with 1 and 2 workers share one database, so mobiles must not repeat. */
let seq = 0;

export async function registrationsPerSecond(
  base: string,
  options: { clients: number; seconds: number; captcha: string },
): Promise<{ perSecond: number; completed: number; failed: number; p50: number; p99: number; reasons: Record<string, number> }> {
  let completed = 0;
  let failed = 0;
  const reasons: Record<string, number> = {};
  const durations: number[] = [];
  const until = Date.now() + options.seconds * 1000;
  async function client(id: number) {
    while (Date.now() < until) {
      const visitor = httpVisitor(base);
      const call = async (route: string, body?: object) => {
        const answer = await visitor.request<{ errno: string; data: { code?: string } | null } | undefined>(
          body ? 'POST' : 'GET',
          route,
          body,
        );
        return { status: answer.status, json: answer.body };
      };
      const n = ++seq;
      const started = performance.now();
      const mobile = `1${5 + (id % 4)}${String((MOBILE_OFFSET + n) % 1e9).padStart(9, '0')}`;
      const password = 'correct horse battery staple';
      try {
        await call('/image_code/');
        const sent = await call('/sms_code/', { mobile, captcha: options.captcha });
        if (sent.json?.errno !== '0') throw new Error(`sms_code ${sent.status} ${sent.json?.errno}`);
        const code = (await call(`/__dev/sms/${mobile}/`)).json?.data?.code ?? '';
        const done = await call('/user/register/', {
          username: `bench_${id}_${n}`,
          password,
          password_repeat: password,
          mobile,
          sms_code: code,
        });
        if (done.json?.errno !== '0') throw new Error(`register ${done.status} ${done.json?.errno}`);
        completed++;
        durations.push(performance.now() - started);
      } catch (error) {
        failed++;
        const reason = error instanceof Error ? error.message : String(error);
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
  durations.sort((a, b) => a - b);
  const at = (q: number) => Math.round(durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0);
  return { perSecond: completed / options.seconds, completed, failed, p50: at(0.5), p99: at(0.99), reasons };
}
