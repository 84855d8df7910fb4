// Wires the services together from the infrastructure the plugins decorated.
import type { FastifyInstance } from 'fastify';
import { createDigest } from './lib/digest.ts';
import { createAccountService } from './modules/account/account.service.ts';
import { createAltchaService } from './modules/altcha/altcha.service.ts';
import { createAuthService, sessionCredential } from './modules/auth/auth.service.ts';
import { createDeviceTokens } from './modules/auth/device-tokens.ts';
import { createLoginThrottle } from './modules/auth/login-throttle.ts';
import { createUserSessions } from './modules/auth/user-sessions.ts';
import { type CaptchaRenderer, createCaptchaRenderer } from './modules/captcha/captcha.pool.ts';
import { createCaptchaService } from './modules/captcha/captcha.service.ts';
import { createEmailRepository, type EmailRepository } from './modules/email/email.repository.ts';
import { createEmailService } from './modules/email/email.service.ts';
import type { MailGateway } from './modules/mail/mail.gateway.ts';
import { createMailOutbox, type MailOutbox } from './modules/mail/outbox.gateway.ts';
import { createSmtpGateway } from './modules/mail/smtp.gateway.ts';
import { createSecurityNotices } from './modules/notifications/notices.service.ts';
import { createChallenges } from './modules/passkeys/challenges.ts';
import { createPasskeysRepository, type PasskeysRepository } from './modules/passkeys/passkeys.repository.ts';
import { createPasskeysService } from './modules/passkeys/passkeys.service.ts';
import { createPasswordResetService } from './modules/password-reset/reset.service.ts';
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
  emailRepository?: (repository: EmailRepository) => EmailRepository;
  passkeysRepository?: (repository: PasskeysRepository) => PasskeysRepository;
  captchaRender?: (render: CaptchaRenderer['render']) => CaptchaRenderer['render'];
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

  // Mail, in the shape of SMS: the dev outbox (refused in production by config) or SMTP.
  const mailOutbox: MailOutbox | null =
    config.mail.transport === 'outbox' ? createMailOutbox({ store, log, clock, logTokens: config.env !== 'production' }) : null;
  const mail: MailGateway =
    mailOutbox ?? createSmtpGateway({ url: config.mail.smtpUrl, from: config.mail.from, timeoutMs: config.mail.timeoutMs });
  const notices = createSecurityNotices({
    mail,
    sms: gateway,
    smsNotices: config.notices.sms,
    events,
    log,
    defaultLocale: config.defaultLocale,
  });
  // Notices on their way (each bounded by its gateway's timeout) are let finish on close.
  app.addHook('onClose', () => notices.idle());

  const renderer = createCaptchaRenderer(config.captcha.renderThreads);
  app.addHook('onClose', () => renderer.close());
  const render = seams.captchaRender ? seams.captchaRender(renderer.render) : renderer.render;
  const captcha = createCaptchaService({ store, digest, config: config.captcha, events, render });
  // The proof of work's HMAC keys, one derived from each CODE_SECRET (never the secret itself).
  const altcha = createAltchaService({ store, secrets: digest.all('altcha-challenge'), clock, config: config.altcha, events });
  const sms = createSmsService({
    store,
    digest,
    captcha,
    altcha,
    gateway,
    isMobileRegistered: async (mobile) => (await usersRepository.countByMobile(mobile)) > 0,
    // A reset's one lookup, for every number alike (sms.service.ts sendCode).
    findAccount: async (mobile) => {
      const user = await usersRepository.findByMobile(mobile);
      return user && { id: user.id, isActive: user.isActive };
    },
    events,
    clock,
    config: config.sms,
    log,
    metrics: app.metrics.sms,
  });
  // Reset texts on their way after their answer (each bounded by the gateway's timeout) are let finish on close.
  app.addHook('onClose', () => sms.settled());
  const users = createUsersService({
    users: usersRepository,
    sms,
    passwords,
    events,
    log,
    storeStepMs: config.storeStepMs,
    credentialOf: sessionCredential(digest),
  });
  const throttle = createLoginThrottle({ store, clock, config: config.login });
  const devices = createDeviceTokens({ digest, clock, ttlSeconds: config.login.deviceCookie.ttlSeconds });
  const sessions = createUserSessions(store, { clock, ttlMs: config.session.ttlSeconds * 1000 });
  const auth = createAuthService({ users: usersRepository, passwords, throttle, devices, events, sessions, digest, clock, log });
  const emailRepository = createEmailRepository(app.db);
  const email = createEmailService({
    users: seams.emailRepository ? seams.emailRepository(emailRepository) : emailRepository,
    store,
    digest,
    mail,
    events,
    notices,
    clock,
    log,
    config: config.email,
  });
  const passwordReset = createPasswordResetService({
    users: usersRepository,
    sms,
    passwords,
    store,
    sessionTtlMs: config.session.ttlSeconds * 1000,
    events,
    notices,
    clock,
    log,
    storeStepMs: config.storeStepMs,
  });
  const account = createAccountService({
    users: usersRepository,
    passwords,
    throttle,
    sms,
    sessions,
    credentials: auth,
    events,
    notices,
    digest,
    clock,
    log,
    storeStepMs: config.storeStepMs,
  });
  const passkeysRepository = createPasskeysRepository(app.db);
  const passkeys = createPasskeysService({
    passkeys: seams.passkeysRepository ? seams.passkeysRepository(passkeysRepository) : passkeysRepository,
    users: usersRepository,
    challenges: createChallenges({ store, digest, clock, ttlSeconds: config.webauthn.challengeTtlSeconds }),
    throttle,
    devices,
    events,
    notices,
    digest,
    clock,
    log,
    config: config.webauthn,
  });
  return { captcha, altcha, sms, users, auth, outbox, email, mailOutbox, notices, passwordReset, account, passkeys };
}
export type Services = ReturnType<typeof createServices>;
