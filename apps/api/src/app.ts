// buildApp(config) is the whole API: Fastify's options, then infrastructure plugins, then routes,
// in this order. server.ts listens on it; the tests build the very same thing.

import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Catalog, Code, failure, routes, text } from '@register/contracts';
import Fastify, { type FastifyInstance, type onRouteHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config.ts';
import { AppError, sendError } from './errors.ts';
import { CATALOGS, catalogFor } from './lib/catalogs.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import { contractValidator } from './lib/validation.ts';
import { accountRoutes } from './modules/account/account.routes.ts';
import { altchaRoutes } from './modules/altcha/altcha.routes.ts';
import { authRoutes } from './modules/auth/auth.routes.ts';
import { captchaRoutes } from './modules/captcha/captcha.routes.ts';
import { docsRoutes } from './modules/docs/docs.routes.ts';
import { openapiRoutes } from './modules/docs/openapi.routes.ts';
import { devMailRoutes, emailRoutes, verifyEmailRoutes } from './modules/email/email.routes.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { passkeysRoutes } from './modules/passkeys/passkeys.routes.ts';
import { passwordResetRoutes } from './modules/password-reset/reset.routes.ts';
import { devOutboxRoutes, smsRoutes } from './modules/sms/sms.routes.ts';
import { availabilityRoutes, registerRoutes } from './modules/users/users.routes.ts';
import clientIdentity from './plugins/client-identity.ts';
import databasePlugin from './plugins/database.ts';
import deadline from './plugins/deadline.ts';
import httpHardening from './plugins/http-hardening.ts';
import lifecycle from './plugins/lifecycle.ts';
import locale from './plugins/locale.ts';
import metrics, { metricsRoutes } from './plugins/metrics.ts';
import openapi from './plugins/openapi.ts';
import rateLimit from './plugins/rate-limit.ts';
import redisPlugin from './plugins/redis.ts';
import requestId, { requestIdGenerator } from './plugins/request-id.ts';
import securityEvents from './plugins/security-events.ts';
import securityHeaders, { SECURITY_HEADERS } from './plugins/security-headers.ts';
import sessionPlugin from './plugins/session.ts';
import storePlugin from './plugins/store.ts';
import { createServices, type Seams } from './services.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    clock: Clock;
  }
}

export interface BuildOptions {
  /** Replaces Date.now() in services (tests move time instead of sleeping). */
  clock?: Clock;
  /**
   * Fault-injection seams for tests: wrap the store or the users repository every service uses,
   * to fail one exact step of a flow and check what it leaves behind.
   */
  seams?: Seams;
  /** Sees every route as Fastify registers it (the OpenAPI test compares the document with them). */
  onRoute?: onRouteHookHandler;
  /** Where log lines go instead of stdout, as JSON lines (tests read them). */
  logStream?: { write(line: string): void };
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // Loaded only for the pretty format (development): production writes JSON lines without it.
  const pretty = config.logFormat === 'pretty' && !options.logStream ? (await import('pino-pretty')).default : null;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
      // In the main thread (no transport worker), so a line is written before the process exits.
      ...(options.logStream
        ? { stream: options.logStream }
        : pretty
          ? { stream: pretty({ translateTime: 'HH:MM:ss', ignore: 'pid,hostname', singleLine: true }) }
          : {}),
    },
    // A hop count becomes the function proxy-addr would use (Fastify's types take no number).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimit: config.bodyLimit,
    // Ours, not Fastify's counter: unique across workers and restarts (plugins/request-id.ts).
    genReqId: requestIdGenerator(config.requestId.header, config.trustProxy),
    // Long enough that any over-long username or mobile in a path reaches validation (400), not 404.
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 16_384 },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Malformed URLs and the like, rejected before any route (and its hooks) runs, get the
    // envelope and the security headers too.
    frameworkErrors: (error, request, reply) =>
      sendError(error, request, reply.headers(SECURITY_HEADERS).header(config.requestId.header, request.id)),
    // Requests arriving while the app closes get our envelope (plugins/lifecycle.ts), not Fastify's.
    return503OnClosing: false,
    // Requests Node's HTTP parser rejects before Fastify sees them (bad Content-Length, oversized
    // headers) get the envelope too.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, CATALOGS[config.defaultLocale]),
    // Node answers a missing Host with a bare 400 of its own; http-hardening answers it instead,
    // with the envelope and the security headers.
    http: { requireHostHeader: false },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Answers written before Fastify sees a request are in the default language.
  const says = CATALOGS[config.defaultLocale];
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  RAW_ID_HEADER.set(app.server, config.requestId.header);
  // CONNECT (a proxy tunnel) never reaches Fastify; without this Node just drops the socket.
  app.server.on('connect', (_request, socket: Duplex) => writeRaw(socket, 405, says.request.noConnect, { allow: 'GET, POST' }));
  // Likewise an Expect header other than 100-continue, which Node would answer with a bare 417.
  app.server.on('checkExpectation', (request, response) => {
    const { request: said } = catalogFor(request.headers['accept-language'], config.defaultLocale);
    const body = JSON.stringify(failure(Code.PARAMERR, said.badExpect));
    response.writeHead(417, {
      ...SECURITY_HEADERS,
      [config.requestId.header]: randomUUID(),
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    response.end(body);
  });

  // Request parts are checked by the contracts' checker, as the SPA's forms are (lib/validation.ts).
  app.setValidatorCompiler(contractValidator());
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));

  await app.register(
    fp(
      async (instance) => {
        instance.decorate('config', config);
        instance.decorate('clock', options.clock ?? systemClock);
      },
      { name: 'config' },
    ),
  );
  // First, so that every answer carries them, those of the hooks that refuse early included.
  await app.register(requestId);
  await app.register(securityHeaders);
  await app.register(metrics);
  // Before any route: it collects them as they are registered.
  await app.register(openapi);
  await app.register(locale);
  await app.register(deadline);
  await app.register(lifecycle);
  await app.register(redisPlugin);
  await app.register(storePlugin);
  await app.register(databasePlugin);
  await app.register(clientIdentity);
  await app.register(securityEvents);
  await app.register(httpHardening);
  await app.register(rateLimit);
  // Unknown paths spend the default per-client budget too: guessing URLs is not free.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) =>
    sendError(new AppError(Code.NODATA, { message: text.request.noEndpoint }), request, reply),
  );

  if (options.seams?.store) app.store = options.seams.store(app.store);
  const services = createServices(app, options.seams);
  await app.register(
    async (api) => {
      await api.register(docsRoutes, {
        mountedAt: config.prefix,
        withOutbox: services.outbox !== null,
        withMailOutbox: services.mailOutbox !== null,
        withAltcha: config.altcha.enabled,
      });
      await api.register(openapiRoutes, { mountedAt: config.prefix, withDocs: config.docs.enabled });
      if (config.metrics.enabled) await api.register(metricsRoutes);
      await api.register(healthRoutes, { db: app.db, store: app.store, cacheMs: config.healthCacheMs });
      await api.register(availabilityRoutes, { users: services.users });
      if (services.outbox) await api.register(devOutboxRoutes, { outbox: services.outbox });
      if (services.mailOutbox) await api.register(devMailRoutes, { outbox: services.mailOutbox });
      // The link's token is the proof: verifying needs no session (the link may open in another browser).
      await api.register(verifyEmailRoutes, { email: services.email });
      // Turned off, the proof of work's route is an unknown path (404, no 405 for its other methods).
      if (config.altcha.enabled) await api.register(altchaRoutes, { altcha: services.altcha });
      await api.register(async (withSession) => {
        await withSession.register(sessionPlugin);
        await withSession.register(captchaRoutes, { captcha: services.captcha });
        await withSession.register(smsRoutes, {
          sms: services.sms,
          auth: services.auth,
          cookieName: config.session.cookieName,
        });
        await withSession.register(passwordResetRoutes, { reset: services.passwordReset });
        await withSession.register(registerRoutes, {
          users: services.users,
          deviceTokenFor: services.auth.deviceTokenFor,
        });
        await withSession.register(authRoutes, { auth: services.auth, cookieName: config.session.cookieName });
        await withSession.register(accountRoutes, {
          account: services.account,
          auth: services.auth,
          cookieName: config.session.cookieName,
        });
        await withSession.register(emailRoutes, {
          email: services.email,
          auth: services.auth,
          cookieName: config.session.cookieName,
        });
        await withSession.register(passkeysRoutes, {
          passkeys: services.passkeys,
          auth: services.auth,
          cookieName: config.session.cookieName,
        });
      });
      registerMethodNotAllowed(api, {
        withOutbox: services.outbox !== null,
        withMailOutbox: services.mailOutbox !== null,
        withAltcha: config.altcha.enabled,
      });
    },
    { prefix: config.prefix },
  );
  return app;
}

function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

/** Each server's request id header, for the answers written before Fastify has a request (and its id). */
const RAW_ID_HEADER = new WeakMap<object, string>();
function rawRequestId(socket: Duplex): Record<string, string> {
  const header = RAW_ID_HEADER.get((socket as Duplex & { server?: object }).server ?? socket);
  return header ? { [header]: randomUUID() } : {};
}

/** An envelope written straight to a socket, for answers Node's parser gives before Fastify runs. */
function writeRaw(socket: Duplex, status: number, message: string, extra: Record<string, string> = {}): void {
  if (!socket.writable) return;
  const body = JSON.stringify(failure(status === 405 ? Code.METHERR : Code.PARAMERR, message));
  const headers = Object.entries({ ...SECURITY_HEADERS, ...rawRequestId(socket), ...extra }).map(
    ([name, value]) => `${name}: ${value}\r\n`,
  );
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n${headers.join('')}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function answerClientError(error: Error & { code?: string }, socket: Duplex, says: Catalog): void {
  if (error.code === 'HPE_HEADER_OVERFLOW') writeRaw(socket, 431, says.request.malformedHttp);
  else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') writeRaw(socket, 408, says.request.tooSlow);
  else writeRaw(socket, 400, says.request.malformedHttp);
}

/** A known path with the wrong method answers 405 METHERR with an Allow header, not 404. */
function registerMethodNotAllowed(
  api: FastifyInstance,
  mounted: { withOutbox: boolean; withMailOutbox: boolean; withAltcha: boolean },
): void {
  const byPath = new Map<string, Set<string>>();
  for (const [name, spec] of Object.entries(routes)) {
    if (name === 'devSms' && !mounted.withOutbox) continue;
    if (name === 'devMail' && !mounted.withMailOutbox) continue;
    if (name === 'altchaChallenge' && !mounted.withAltcha) continue;
    const methods = byPath.get(spec.path) ?? new Set<string>();
    methods.add(spec.method);
    if (spec.method === 'GET') methods.add('HEAD');
    byPath.set(spec.path, methods);
  }
  for (const [path, allowed] of byPath) {
    const others = ALL_METHODS.filter((m) => !allowed.has(m));
    api.route({
      method: others,
      url: path,
      handler: async (request, reply) => {
        reply.header('allow', [...allowed].join(', '));
        return sendError(new AppError(Code.METHERR, { message: text.request.methodNotAllowed([...allowed]) }), request, reply);
      },
    });
  }
}
