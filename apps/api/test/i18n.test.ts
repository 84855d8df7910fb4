// The API in Chinese and English: the same refusal, the same errno and fields, in the language
// the visitor's Accept-Language asks for; DEFAULT_LOCALE when it asks for neither.
import { AUTH_MESSAGES, Code, en, REQUEST_MESSAGES, SMS_MESSAGES } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, CAPTCHA, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';

const ZH = { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' };
const EN = { 'accept-language': 'en-GB,en;q=0.9' };

let app: FastifyInstance;
let chineseByDefault: FastifyInstance;
beforeAll(async () => {
  [app, chineseByDefault] = await Promise.all([buildTestApp(), buildTestApp({ DEFAULT_LOCALE: 'zh-CN' })]);
});
afterAll(() => Promise.all([app.close(), chineseByDefault.close()]));

describe('Accept-Language', () => {
  it('answers a wrong login with the same errno and status, in the language asked for', async () => {
    const login = { account: randomUsername(), password: 'not the password' };
    const english = await new Visitor(app, '10.1.0.1', { headers: EN }).post('/api/user/login/', login);
    const chinese = await new Visitor(app, '10.1.0.2', { headers: ZH }).post('/api/user/login/', login);
    expect(english.status).toBe(401);
    expect(chinese.status).toBe(401);
    expect(english.body).toEqual({ errno: Code.LOGINERR, errmsg: AUTH_MESSAGES.failed, data: null });
    expect(chinese.body).toEqual({ errno: Code.LOGINERR, errmsg: zhCN.auth.failed, data: null });
  });

  it('translates every field message of a validation failure, and the errmsg that joins them', async () => {
    const bad = { username: 'ab', password: 'x', password_repeat: 'y', mobile: '123', sms_code: '1' };
    const english = await new Visitor(app).post('/api/user/register/', bad);
    const chinese = await new Visitor(app, '127.0.0.1', { headers: ZH }).post('/api/user/register/', bad);
    expect(chinese.status).toBe(english.status);
    expect(chinese.body.errno).toBe(Code.PARAMERR);
    expect(Object.keys(chinese.body.data?.fields ?? {})).toEqual(Object.keys(english.body.data?.fields ?? {}));
    expect(english.body.data?.fields).toMatchObject({ username: en.fields.username.invalid, mobile: en.fields.mobile.invalid });
    expect(chinese.body.data?.fields).toEqual({
      username: zhCN.fields.username.invalid,
      password: zhCN.fields.password.invalid,
      mobile: zhCN.fields.mobile.invalid,
      sms_code: zhCN.fields.smsCode.invalid,
    });
    expect(chinese.body.errmsg).toBe(Object.values(chinese.body.data?.fields ?? {}).join(''));
  });

  it('says "required" in Chinese with the field name in Chinese', async () => {
    const res = await new Visitor(app, '127.0.0.1', { headers: ZH }).post('/api/user/login/', { password: 'x' });
    expect(res.body.data?.fields).toEqual({ account: zhCN.check.required(zhCN.fields.account.title) });
  });

  it('translates the password policy and the strength verdict (rules that run after the schema)', async () => {
    const visitor = new Visitor(app, '127.0.0.1', { headers: ZH });
    const numeric = await visitor.post('/api/user/register/', {
      username: randomUsername(),
      password: '1234567890',
      password_repeat: '1234567891',
      mobile: randomMobile(),
      sms_code: '123456',
    });
    expect(numeric.body.data?.fields).toEqual({ password: zhCN.password.numeric, password_repeat: zhCN.password.differ });

    const mobile = randomMobile();
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
    const weak = await visitor.post('/api/user/register/', {
      username: randomUsername(),
      password: 'zzzzzzzzzzzzzz',
      password_repeat: 'zzzzzzzzzzzzzz',
      mobile,
      sms_code: await readOutbox(app, mobile),
    });
    expect(weak.body.errno).toBe(Code.PARAMERR);
    expect(weak.body.data?.fields?.password).toBe(
      zhCN.strength.tooWeak +
        zhCN.strength.warnings.simpleRepeat +
        zhCN.strength.suggestions.anotherWord +
        zhCN.strength.suggestions.repeated,
    );
  });

  it('translates the flow: captcha refusals, the SMS cooldown with its seconds, success messages', async () => {
    const visitor = new Visitor(app, '127.0.0.1', { headers: ZH });
    const mobile = randomMobile();
    await visitor.get('/api/image_code/');
    const wrong = await visitor.post('/api/sms_code/', { mobile, captcha: 'WXYZ' });
    expect(wrong.body.data?.fields).toEqual({ captcha: zhCN.captcha.wrong });

    const sent = await visitor.requestSmsCode(mobile, CAPTCHA);
    expect(sent.body).toMatchObject({ errno: Code.OK, errmsg: zhCN.sms.sent });
    const again = await visitor.requestSmsCode(mobile, CAPTCHA);
    expect(again.status).toBe(429);
    const seconds = again.body.data?.retryAfter ?? -1;
    expect(again.body.errmsg).toBe(zhCN.sms.cooldown(seconds));
    expect(again.body.data?.fields).toEqual({ mobile: zhCN.sms.cooldown(seconds) });

    const available = await visitor.get(`/api/username/${randomUsername()}/`);
    expect(available.body).toMatchObject({ errno: Code.OK, errmsg: zhCN.codes[Code.OK] });
  });

  it('translates refusals made before any route: unknown paths, wrong methods, malformed bodies', async () => {
    const visitor = new Visitor(app, '127.0.0.1', { headers: ZH });
    expect((await visitor.get('/api/nowhere/')).body.errmsg).toBe(zhCN.request.noEndpoint);
    expect((await visitor.get('/api/user/login/')).body.errmsg).toBe(zhCN.request.methodNotAllowed(['POST']));
    const malformed = await visitor.request({
      method: 'POST',
      url: '/api/user/login/',
      payload: '{"account":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.body).toEqual({ errno: Code.PARAMERR, errmsg: zhCN.request.malformedJson, data: null });
    const badUrl = await visitor.get('/api/username/%E0%A4%A/');
    expect(badUrl.body.errmsg).toBe(zhCN.request.badUrl);
  });

  it('keeps English for a visitor who asks for nothing, or for a language it does not have', async () => {
    expect((await new Visitor(app).get('/api/nowhere/')).body.errmsg).toBe(REQUEST_MESSAGES.noEndpoint);
    const french = await new Visitor(app, '127.0.0.1', { headers: { 'accept-language': 'fr-FR,fr;q=0.9' } }).get('/api/nowhere/');
    expect(french.body.errmsg).toBe(REQUEST_MESSAGES.noEndpoint);
  });

  it('answers in DEFAULT_LOCALE when the visitor asks for none of its languages, and in English when asked', async () => {
    expect((await new Visitor(chineseByDefault).get('/api/nowhere/')).body.errmsg).toBe(zhCN.request.noEndpoint);
    const english = await new Visitor(chineseByDefault, '127.0.0.1', { headers: EN }).get('/api/nowhere/');
    expect(english.body.errmsg).toBe(REQUEST_MESSAGES.noEndpoint);
  });

  it('writes the SMS text itself in English (the provider template decides what is sent)', async () => {
    const mobile = randomMobile();
    await new Visitor(app, '127.0.0.1', { headers: ZH }).requestSmsCode(mobile);
    const outbox = await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` });
    const message = outbox.json().data as { code: string; text: string };
    expect(message.text).toBe(SMS_MESSAGES.text(message.code, 5));
  });
});
