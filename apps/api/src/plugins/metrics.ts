// Prometheus metrics (prom-client), served by GET /api/metrics (metricsRoutes): requests by
// route pattern, method, status and errno; latency by route; backend timeouts; SMS sends and
// refusals per budget; per-client limit refusals; and the process's own (event-loop delay, CPU,
// memory, GC), one set per process. Labels are bounded: the route pattern, never the URL;
// errno from the envelope; statuses and methods from small fixed sets.
//
// The hot path costs a few map lookups and additions per request, no allocation
// (createRequestStats), in callback hooks (an async hook costs a promise each).
import cluster from 'node:cluster';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Code } from '@register/contracts';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, type Metric, Registry } from 'prom-client';
import { AppError } from '../errors.ts';
import { clusterScrape } from '../lib/cluster-metrics.ts';
import type { Backend, SmsMetrics } from '../lib/metrics.ts';

export interface AppMetrics {
  readonly sms: SmsMetrics;
  backendTimeout(backend: Backend): void;
  /** The request's deadline answered for it (REQUEST_DEADLINE_MS). */
  deadlineExpired(): void;
  /** A per-client request limit refused a request (plugins/rate-limit.ts). */
  rateLimited(budget: string): void;
  /** The Prometheus text: this process's, or in a cluster worker, every worker's summed. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: AppMetrics;
  }
  interface FastifyReply {
    /** The envelope's errno, once serialised (none for a PNG, the docs page, the metrics text). */
    errno: string;
  }
}

const UNMATCHED = '(unmatched)';
const NO_ERRNO = 'none';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']);
const SMS_BUDGETS = [
  'cooldown',
  'mobile_hour',
  'mobile_day',
  'mobile_ceiling',
  'block_hour',
  'global_hour',
  'global_day',
  // Sends passed by the proof of work spend these too (sms.service.ts).
  'altcha_client_hour',
  'altcha_network_hour',
  'altcha_global_hour',
];
const BACKENDS: Backend[] = ['postgres', 'redis', 'sms'];
/** Seconds; the request deadline is 3 s by default, argon2 and the captcha take tens of ms. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

// The process's own metrics are the process's, whatever number of apps it builds (the tests
// build many): collected once, into a registry of their own, merged into every scrape.
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

interface RouteSeries {
  labels: { route: string; method: string };
  /** Observations per bucket (not cumulative), the last one past every bound (+Inf). */
  buckets: number[];
  sum: number;
  count: number;
  answers: Map<number, Map<string, { labels: Record<string, string>; value: number }>>;
}

/**
 * http_requests_total and http_request_duration_seconds, counted in plain numbers: prom-client's
 * own inc() and observe() hash a label object and allocate on every call (about 1.3 us for the
 * pair), these cost a few map lookups and additions. The registry reads them as it reads its own
 * counters and histograms (same names, types and label sets, summed across cluster workers).
 */
export function createRequestStats(registry: Registry) {
  const byRoute = new Map<string, Map<string, RouteSeries>>();
  const seriesOf = (route: string, method: string): RouteSeries => {
    let byMethod = byRoute.get(route);
    if (!byMethod) {
      byMethod = new Map();
      byRoute.set(route, byMethod);
    }
    let series = byMethod.get(method);
    if (!series) {
      series = {
        labels: { route, method },
        buckets: LATENCY_BUCKETS.map(() => 0).concat(0),
        sum: 0,
        count: 0,
        answers: new Map(),
      };
      byMethod.set(method, series);
    }
    return series;
  };
  const all = function* () {
    for (const byMethod of byRoute.values()) yield* byMethod.values();
  };
  const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => unknown[]) =>
    registry.registerMetric({
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    } as unknown as Metric);
  metric('http_requests_total', 'Requests answered, by route pattern, method, HTTP status and envelope errno.', 'counter', () =>
    [...all()].flatMap((series) => [...series.answers.values()].flatMap((byErrno) => [...byErrno.values()])),
  );
  const bucketName = 'http_request_duration_seconds_bucket';
  metric('http_request_duration_seconds', 'Time from the request to its answer, by route pattern and method.', 'histogram', () =>
    [...all()].flatMap((series) => {
      let cumulative = 0;
      const buckets = series.buckets.map((n, i) => {
        cumulative += n;
        const le = i < LATENCY_BUCKETS.length ? (LATENCY_BUCKETS[i] as number) : '+Inf';
        return { labels: { ...series.labels, le }, value: cumulative, metricName: bucketName };
      });
      return [
        ...buckets,
        { labels: series.labels, value: series.sum, metricName: 'http_request_duration_seconds_sum' },
        { labels: series.labels, value: series.count, metricName: 'http_request_duration_seconds_count' },
      ];
    }),
  );
  return {
    observe(route: string, method: string, status: number, errno: string, seconds: number) {
      const series = seriesOf(route, method);
      let bucket = 0;
      while (bucket < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[bucket] as number)) bucket++;
      series.buckets[bucket] = (series.buckets[bucket] as number) + 1;
      series.sum += seconds;
      series.count++;
      let byErrno = series.answers.get(status);
      if (!byErrno) {
        byErrno = new Map();
        series.answers.set(status, byErrno);
      }
      let answer = byErrno.get(errno);
      if (!answer) {
        answer = { labels: { route, method, status: String(status), errno }, value: 0 };
        byErrno.set(errno, answer);
      }
      answer.value++;
    },
  };
}

/** A timeout anywhere in an error's cause chain (pg's "Query read timeout", the pool's connect timeout). */
function isTimeout(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    if (/time(d)?\s?out/i.test(e.message) || e.name === 'TimeoutError') return true;
    e = e.cause;
  }
  return false;
}

export default fp(
  async function metrics(app: FastifyInstance) {
    const registry = new Registry();
    const requests = createRequestStats(registry);
    const timeouts = new Counter({
      name: 'backend_timeouts_total',
      help: 'Backend calls that timed out: PostgreSQL queries and connections, Redis commands, the SMS provider.',
      labelNames: ['backend'] as const,
      registers: [registry],
    });
    const deadlines = new Counter({
      name: 'request_deadline_expired_total',
      help: 'Requests answered 503 by their deadline (REQUEST_DEADLINE_MS).',
      registers: [registry],
    });
    const smsSends = new Counter({
      name: 'sms_sends_total',
      help: 'SMS handed to the gateway, by outcome: sent, rejected, unreachable, unconfirmed (no answer in time).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    const smsRefusals = new Counter({
      name: 'sms_refusals_total',
      help: 'SMS requests refused before sending, by the cooldown or the SMS budget that refused them.',
      labelNames: ['budget'] as const,
      registers: [registry],
    });
    const limited = new Counter({
      name: 'rate_limit_refusals_total',
      help: 'Requests refused by a per-client request limit, by budget (global, availability, captcha, altcha, sms).',
      labelNames: ['budget'] as const,
      registers: [registry],
    });
    // Known label values start at 0, so a first refusal is a rate, not a new series.
    for (const backend of BACKENDS) timeouts.labels(backend).inc(0);
    for (const budget of SMS_BUDGETS) smsRefusals.labels(budget).inc(0);
    for (const outcome of ['sent', 'rejected', 'unreachable', 'unconfirmed']) smsSends.labels(outcome).inc(0);
    for (const budget of ['global', 'availability', 'captcha', 'altcha', 'sms']) limited.labels(budget).inc(0);

    app.decorateReply('errno', NO_ERRNO);
    // Envelopes are objects until serialised: their errno is read here, success and error alike.
    app.addHook('preSerialization', (_request, reply, payload, done) => {
      const errno = (payload as { errno?: unknown } | null)?.errno;
      if (typeof errno === 'string') reply.errno = errno;
      done(null, payload);
    });
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? UNMATCHED;
      const method = METHODS.has(request.method) ? request.method : 'OTHER';
      requests.observe(route, method, reply.statusCode, reply.errno, reply.elapsedTime / 1000);
      done();
    });
    // A PostgreSQL timeout surfaces as a DBERR whose cause says so (db/database.ts dbCall).
    app.addHook('onError', (_request, _reply, error, done) => {
      if (error instanceof AppError && error.code === Code.DBERR && isTimeout(error.cause)) timeouts.labels('postgres').inc();
      done();
    });

    const local = [processMetrics(), registry];
    // A worker's scrape is the whole cluster's (lib/cluster-metrics.ts); it must come before the
    // request's deadline answers for it.
    const scrape = cluster.isWorker
      ? clusterScrape(local, Math.max(100, app.config.deadlineMs - 500))
      : () => Registry.merge(local).metrics();
    app.decorate('metrics', {
      sms: {
        send: (outcome) => smsSends.labels(outcome).inc(),
        refused: (budget) => smsRefusals.labels(budget).inc(),
        gatewayTimeout: () => timeouts.labels('sms').inc(),
      },
      backendTimeout: (backend) => timeouts.labels(backend).inc(),
      deadlineExpired: () => deadlines.inc(),
      rateLimited: (budget) => limited.labels(budget).inc(),
      scrape,
      contentType: registry.contentType,
    } satisfies AppMetrics);
  },
  { name: 'metrics', dependencies: ['config'] },
);

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics, registered only when METRICS_TOKEN is set or, without one, outside production on
 * loopback (config.ts). With a token, a request without `Authorization: Bearer <token>` gets
 * exactly what an unknown path gets (the not-found handler's 404 NODATA): the endpoint's
 * existence is no clue, and the token is compared in constant time (digests of equal length).
 */
export const metricsRoutes: FastifyPluginAsync = async (app) => {
  const { token } = app.config.metrics;
  const expected = token === undefined ? null : digest(`Bearer ${token}`);
  app.route({
    method: 'GET',
    url: '/metrics',
    schema: { hide: true },
    handler: async (request, reply) => {
      const given = request.headers.authorization;
      if (expected && !(typeof given === 'string' && timingSafeEqual(digest(given), expected))) {
        return reply.callNotFound();
      }
      let text: string;
      try {
        text = await app.metrics.scrape();
      } catch (cause) {
        // A cluster whose primary or a worker did not answer in time: a scrape to try again.
        throw new AppError(Code.SERVERERR, { status: 503, cause });
      }
      return reply.type(app.metrics.contentType).send(text);
    },
  });
};
