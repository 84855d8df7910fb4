import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { checkerFrom, NOT_AN_OBJECT, type ObjectChecks } from './check.ts';
import { Code, errorMap, httpStatus } from './codes.ts';
import { requestChecker } from './compile.ts';
import { NORMALIZERS } from './fields.ts';
import { PASSWORD_MESSAGES, passwordPolicyProblem } from './password-policy.ts';
import { fillPath, type RouteSpec, routes } from './routes.ts';
import { registerRules } from './rules.ts';
import { ImageCodeQuery, LoginBody, REQUEST_SCHEMAS, RegisterBody, SmsCodeBody } from './schemas.ts';
import { standaloneModule } from './standalone.ts';

describe('codes', () => {
  it("keeps the seed's numbers and messages verbatim", () => {
    expect(Code).toMatchObject({
      OK: '0',
      DBERR: '4001',
      NODATA: '4002',
      DATAEXIST: '4003',
      DATAERR: '4004',
      METHERR: '4005',
      SMSERROR: '4006',
      SMSFAIL: '4007',
      SESSIONERR: '4101',
      LOGINERR: '4102',
      PARAMERR: '4103',
      USERERR: '4104',
      ROLEERR: '4105',
      PWDERR: '4106',
      SERVERERR: '4500',
      UNKOWNERR: '4501',
    });
    expect(errorMap[Code.SMSFAIL]).toBe('Failed to send SMS Verification Code');
    expect(errorMap[Code.PARAMERR]).toBe('Parameter error');
  });

  it('gives every code a message and an HTTP status', () => {
    for (const code of Object.values(Code)) {
      expect(errorMap[code]).toBeTruthy();
      expect(httpStatus[code]).toBeGreaterThanOrEqual(200);
    }
  });
});

const check = {
  sms: requestChecker<SmsCodeBody>(SmsCodeBody, routes.sendSmsCode.rules),
  register: requestChecker<RegisterBody>(RegisterBody, routes.register.rules),
  login: requestChecker<LoginBody>(LoginBody),
  rand: requestChecker(ImageCodeQuery),
};

describe('field rules', () => {
  it('normalises a mobile: surrounding spaces and +86 / 0086', () => {
    for (const raw of [' 13800138000 ', '+8613800138000', '+86 13800138000', '008613800138000']) {
      expect(NORMALIZERS.mobile(raw)).toBe('13800138000');
    }
    expect(check.sms({ mobile: ' +86 13800138000', captcha: 'abcd' })).toEqual({
      ok: true,
      value: { mobile: '13800138000', captcha: 'abcd' },
    });
  });

  it.each([
    ['12800138000', false],
    ['1380013800', false],
    ['138001380001', false],
    ['19912345678', true],
    ['1380013800a', false],
    ['１3800138000', false],
  ])('mobile %s valid: %s', (mobile, valid) => {
    expect(check.sms({ mobile, captcha: 'abcd' }).ok).toBe(valid);
  });

  it('keeps passwords exactly as typed, spaces included', () => {
    const result = check.login({ account: ' alice ', password: ' pass word ' });
    expect(result).toEqual({ ok: true, value: { account: 'alice', password: ' pass word ' } });
    // Spaces are characters in a password (no trimming normaliser): not "missing".
    expect(check.login({ account: 'alice', password: '   ' })).toEqual({
      ok: true,
      value: { account: 'alice', password: '   ' },
    });
    expect(check.login({ account: '   ', password: 'x' })).toMatchObject({
      fields: { account: 'Username or mobile is required.' },
    });
  });

  it('counts password length in characters, not UTF-16 units', () => {
    const emoji = '😀'.repeat(8);
    const form = { username: 'alice_1', password: emoji, password_repeat: emoji, mobile: '13800138000', sms_code: '123456' };
    expect(check.register(form).ok).toBe(true);
    const long = 'a'.repeat(129);
    expect(check.register({ ...form, password: long, password_repeat: long })).toMatchObject({
      ok: false,
      fields: { password: PASSWORD_MESSAGES.length },
    });
  });

  it("reports each field's own message for a wrong type, missing fields as required, and drops unknown keys", () => {
    expect(check.sms({ mobile: 13800138000, extra: 'x' })).toEqual({
      ok: false,
      fields: { mobile: expect.stringContaining('11-digit'), captcha: 'Image code is required.' },
      partial: {},
    });
    expect(check.sms({ mobile: '   ', captcha: 'ABCD' })).toMatchObject({ fields: { mobile: 'Mobile number is required.' } });
    for (const input of [null, [], 'mobile=13800138000', 42]) {
      expect(check.sms(input)).toEqual({ ok: false, fields: { _: NOT_AN_OBJECT }, partial: {} });
    }
    expect(check.sms({ mobile: '13800138000', captcha: 'ABCD', admin: true })).toEqual({
      ok: true,
      value: { mobile: '13800138000', captcha: 'ABCD' },
    });
    // A repeated query parameter arrives as an array: one value only.
    expect(check.rand({ rand: ['1', '2'] })).toMatchObject({ ok: false, fields: { rand: expect.stringContaining('one value') } });
    expect(check.rand({})).toEqual({ ok: true, value: {} });
  });

  it('accepts exactly 6 digits as an SMS code', () => {
    const form = { username: 'alice_1', password: 'correct horse', password_repeat: 'correct horse', mobile: '13800138000' };
    for (const code of ['123456', ' 123456 ']) expect(check.register({ ...form, sms_code: code }).ok).toBe(true);
    for (const code of ['12345', '1234567', '12345a', '１２３４５６', 123456]) {
      expect(check.register({ ...form, sms_code: code })).toMatchObject({ fields: { sms_code: 'The SMS code is 6 digits.' } });
    }
  });

  it("runs the route's cross-field rules on the fields that passed", () => {
    const form = {
      username: 'alice_1',
      password: 'correct horse',
      password_repeat: 'other horse',
      mobile: '13800138000',
      sms_code: '1234',
    };
    expect(check.register(form)).toEqual({
      ok: false,
      fields: { password_repeat: PASSWORD_MESSAGES.differ, sms_code: 'The SMS code is 6 digits.' },
      partial: { username: 'alice_1', password: 'correct horse', password_repeat: 'other horse', mobile: '13800138000' },
    });
    expect(check.register({ ...form, username: 'admin', password_repeat: form.password, sms_code: '123456' })).toMatchObject({
      fields: { username: expect.stringContaining('reserved') },
    });
    // The leaked-password list is the API's: it comes in through the context.
    const withList = requestChecker<RegisterBody>(RegisterBody, registerRules, { isCommonPassword: (p) => p === 'password123' });
    const common = { ...form, password: 'password123', password_repeat: 'password123', sms_code: '123456' };
    expect(check.register(common).ok).toBe(true);
    expect(withList(common)).toMatchObject({ fields: { password: PASSWORD_MESSAGES.common } });
  });
});

// The schemas are JSON Schema, read by TypeBox's compiler as such: what Ajv (the reference
// validator Fastify ships) accepts, the checker accepts, type, bound, pattern and enum alike.
describe('schemas mean what JSON Schema says', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const Probe = Type.Object({
    age: Type.Integer({ minimum: 18 }),
    agreed: Type.Boolean(),
    plan: Type.Union([Type.Literal('free'), Type.Literal('pro')]),
  });
  const probe = requestChecker(Probe);

  it.each([
    [{ age: 20, agreed: true, plan: 'pro' }, {}],
    [{ age: '5', agreed: true, plan: 'pro' }, { age: 'age is invalid.' }],
    [{ age: 5, agreed: true, plan: 'pro' }, { age: 'age is invalid.' }],
    [{ age: 20, agreed: 'no', plan: 'pro' }, { agreed: 'agreed is invalid.' }],
    [{ age: 20, agreed: false, plan: 'gold' }, { plan: 'plan is invalid.' }],
  ])('%j -> %j', (input, fields) => {
    const valid = ajv.validate(Probe, input);
    expect(valid).toBe(Object.keys(fields).length === 0);
    expect(probe(input)).toMatchObject(valid ? { ok: true } : { ok: false, fields });
  });

  const samples: Record<string, unknown[]> = {
    body: [
      { mobile: '13800138000', captcha: 'AB12' },
      { mobile: '13800138000', captcha: 'AB1' },
      { mobile: 13800138000, captcha: 'AB12' },
      { username: 'alice_1', password: 'correct horse', password_repeat: 'x', mobile: '13800138000', sms_code: '123456' },
      { username: 'al', password: 'short', password_repeat: 'x', mobile: '1', sms_code: '12' },
      { username: 'alice_1', password: 'p'.repeat(129), password_repeat: 'x', mobile: '13800138000', sms_code: 123456 },
      { account: 'alice', password: 'x' },
      { account: 'a\u0000b', password: 'x' },
      { account: 'alice', password: '' },
    ],
    params: [{ username: 'alice_1' }, { username: 'a-b' }, { mobile: '13800138000' }, { mobile: '23800138000' }],
    querystring: [{ rand: '0.5' }, { rand: 'x'.repeat(65) }, { rand: ['1'] }, {}],
  };
  // The SPA's build-time checks (standalone code from TypeBox's Code()) say what the compiled ones say.
  it('standalone checks generated for the SPA agree with the compiled ones', async () => {
    const file = path.join(import.meta.dirname, `.standalone-${process.pid}.mjs`);
    writeFileSync(file, standaloneModule(REQUEST_SCHEMAS));
    try {
      const { checks } = (await import(file)) as { checks: Record<string, ObjectChecks> };
      expect(Object.keys(checks)).toEqual(Object.keys(REQUEST_SCHEMAS));
      for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) {
        const generated = checkerFrom(schema, checks[name] as ObjectChecks, routes.register.rules);
        const compiled = requestChecker(schema, routes.register.rules);
        for (const input of [...Object.values(samples).flat(), null, 'x']) {
          expect({ name, input, result: generated(input) }).toEqual({ name, input, result: compiled(input) });
        }
      }
    } finally {
      rmSync(file, { force: true });
    }
  });

  for (const [name, spec] of Object.entries(routes) as [string, RouteSpec][]) {
    for (const part of ['body', 'params', 'querystring'] as const) {
      const schema = spec[part];
      if (!schema) continue;
      it(`${name}.${part}: the checker agrees with Ajv on every sample`, () => {
        const checker = requestChecker(schema);
        for (const input of samples[part] ?? []) {
          // Inputs already normalised (the checker trims first; Ajv does not), keys the schema names.
          expect({ input, ok: checker(input).ok }).toEqual({ input, ok: ajv.validate(schema, input) });
        }
      });
    }
  }
});

describe('password policy (Django validators)', () => {
  it.each([
    ['12345678901', {}, 'This password is entirely numeric.'],
    ['alice_2024', { username: 'alice_2024' }, 'The password is too similar to the username.'],
    ['2024alice_', { username: 'alice_2024' }, 'The password is too similar to the username.'],
    ['13800138000x', { mobile: '13800138000' }, 'The password is too similar to the mobile number.'],
    ['correct horse battery', { username: 'alice_2024', mobile: '13800138000' }, null],
  ])('%s -> %s', (password, attributes, problem) => {
    expect(passwordPolicyProblem(password, attributes)).toBe(problem);
  });

  it('refuses a common password only where the list is supplied', () => {
    expect(passwordPolicyProblem('iloveyou2', {})).toBeNull();
    expect(passwordPolicyProblem('iloveyou2', {}, (p) => p === 'iloveyou2')).toBe(PASSWORD_MESSAGES.common);
  });
});

describe('route table', () => {
  it('has the seed paths under which the API mounts its routes', () => {
    expect(Object.values(routes).map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'GET /image_code/',
        'GET /username/:username/',
        'GET /mobile/:mobile/',
        'POST /sms_code/',
        'POST /user/register/',
      ]),
    );
  });

  it('fills and encodes path parameters', () => {
    expect(fillPath(routes.checkUsername.path, { username: 'a/b?c' })).toBe('/username/a%2Fb%3Fc/');
    expect(() => fillPath(routes.checkMobile.path, {})).toThrow(/mobile/);
  });
});
