import { describe, expect, it } from 'vitest';
import { Code, errorMap, httpStatus } from './codes.ts';
import { NORMALIZERS } from './fields.ts';
import { LoginForm, RegisterForm, registerFormSchema, SmsCodeForm, validateRequest, withRegisterRules } from './forms.ts';
import { passwordPolicyProblem } from './password-policy.ts';
import { fillPath, routes } from './routes.ts';

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

describe('field rules', () => {
  it('normalises a mobile: surrounding spaces and +86 / 0086', () => {
    for (const raw of [' 13800138000 ', '+8613800138000', '+86 13800138000', '008613800138000']) {
      expect(NORMALIZERS.mobile(raw)).toBe('13800138000');
    }
    expect(validateRequest(SmsCodeForm, { mobile: ' +86 13800138000', captcha: 'abcd' })).toEqual({
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
    expect(validateRequest(SmsCodeForm, { mobile, captcha: 'abcd' }).ok).toBe(valid);
  });

  it('keeps passwords exactly as typed, spaces included', () => {
    const result = validateRequest(LoginForm, { account: ' alice ', password: ' pass word ' });
    expect(result).toEqual({ ok: true, value: { account: 'alice', password: ' pass word ' } });
  });

  it('counts password length in characters, not UTF-16 units', () => {
    const emoji = '😀'.repeat(8);
    const form = { username: 'alice_1', password: emoji, password_repeat: emoji, mobile: '13800138000', sms_code: '123456' };
    expect(validateRequest(RegisterForm, form).ok).toBe(true);
    const long = 'a'.repeat(129);
    expect(validateRequest(RegisterForm, { ...form, password: long, password_repeat: long })).toMatchObject({ ok: false });
  });

  it('reports required fields, wrong types and drops unknown keys', () => {
    const result = validateRequest(SmsCodeForm, { mobile: 13800138000, extra: 'x' });
    expect(result).toEqual({
      ok: false,
      fields: { mobile: expect.stringContaining('11-digit'), captcha: 'Image code is required.' },
      partial: {},
    });
    expect(validateRequest(SmsCodeForm, null)).toMatchObject({ ok: false });
    expect(validateRequest(SmsCodeForm, { mobile: '13800138000', captcha: 'ABCD', admin: true })).toEqual({
      ok: true,
      value: { mobile: '13800138000', captcha: 'ABCD' },
    });
  });

  it('applies the register rules to a schema with another SMS code length', () => {
    const schema = withRegisterRules(registerFormSchema(4));
    const form = {
      username: 'alice_1',
      password: 'correct horse',
      password_repeat: 'other horse',
      mobile: '13800138000',
      sms_code: '1234',
    };
    expect(validateRequest(schema, form)).toMatchObject({
      ok: false,
      fields: { password_repeat: 'The two passwords do not match.' },
    });
    expect(validateRequest(schema, { ...form, password_repeat: form.password }).ok).toBe(true);
  });
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
