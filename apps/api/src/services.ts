// Wires the services together from the infrastructure the plugins decorated.
import type { FastifyInstance } from 'fastify';
import { createDigest } from './lib/digest.ts';
import { createAltchaService } from './modules/altcha/altcha.service.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { createDeviceTokens } from './modules/auth/device-tokens.ts';
import { createLoginThrottle } from './modules/auth/login-throttle.ts';
import { createUserSessions } from './modules/auth/user-sessions.ts';
import { createCaptchaRenderer } from './modules/captcha/captcha.pool.ts';
import { createCaptchaService } from './modules/captcha/captcha.service.ts';
import { createCcpGateway } from './modules/sms/ccp.gateway.ts';
import { createOutboxGateway, type Outbox } from './modules/sms/outbox.gateway.ts';
import { createSmsService } from './modules/sms/sms.service.ts';
import { createPasswordHasher } from './modules/users/passwords.ts';
import { createUsersRepository, type UsersRepository } from './modules/users/users.repository.ts';
import { createUsersService } from './modules/users/users.service.ts';
import type { KvStore } from './store/kv-store.ts';

export interface Seams {
  store?: (store: KvStore) => KvStore;
  usersRepository?: (repository: UsersRepository) => UsersRepository;
}

export function createServices(app: FastifyInstance, seams: Seams = {}) {
  const { config, store, clock, log, events } = app;
  const digest = createDigest(config.codeSecret);
  const passwords = createPasswordHasher(config.argon2);
  const repository = createUsersRepository(app.db);
  const usersRepository = seams.usersRepository ? seams.usersRepository(repository) : repository;

  const outbox: Outbox | null =
    config.sms.gateway === 'outbox' ? createOutboxGateway({ store, log, clock, logCodes: config.env !== 'production' }) : null;
  const gateway = outbox ?? createCcpGateway(config.sms.ccp, clock);

  const renderer = createCaptchaRenderer(config.captcha.renderThreads);
  app.addHook('onClose', () => renderer.close());
  const captcha = createCaptchaService({ store, digest, config: config.captcha, events, render: renderer.render });
  // The proof of work's HMAC keys, one derived from each CODE_SECRET (never the secret itself).
  const altcha = createAltchaService({ store, secrets: digest.all('altcha-challenge'), clock, config: config.altcha, events });
  const sms = createSmsService({
    store,
    digest,
    captcha,
    altcha,
    gateway,
    isMobileRegistered: async (mobile) => (await usersRepository.countByMobile(mobile)) > 0,
    events,
    clock,
    config: config.sms,
    log,
    metrics: app.metrics.sms,
  });
  const users = createUsersService({ users: usersRepository, sms, passwords, events, log, storeStepMs: config.storeStepMs });
  const throttle = createLoginThrottle({ store, clock, config: config.login });
  const devices = createDeviceTokens({ digest, clock, ttlSeconds: config.login.deviceCookie.ttlSeconds });
  const sessions = createUserSessions(store, { clock, ttlMs: config.session.ttlSeconds * 1000 });
  const auth = createAuthService({ users: usersRepository, passwords, throttle, devices, events, sessions, digest, clock, log });
  return { captcha, altcha, sms, users, auth, outbox };
}
export type Services = ReturnType<typeof createServices>;
