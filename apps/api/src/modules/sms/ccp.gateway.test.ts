import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CCP_ACCOUNT, fakeCcpConfig, startFakeCcp } from '../../../test/fake-ccp.ts';
import { ccpSignature, ccpTimestamp, createCcpGateway } from './ccp.gateway.ts';
import { SMS_TEXTS, type SmsMessage, SmsNotSentError, SmsRejectedError, smsText } from './sms.gateway.ts';

describe('CCP (yuntongxun) SMS client', () => {
  let fake: Awaited<ReturnType<typeof startFakeCcp>>;
  // 2026-11-24T04:05:06Z is 12:05:06 in China Standard Time.
  const clock = () => Date.parse('2026-11-24T04:05:06Z');
  const gateway = () => createCcpGateway(fakeCcpConfig(fake.baseUrl), clock);
  const message: SmsMessage = {
    mobile: '13800138000',
    code: '123456',
    ttlMinutes: 5,
    purpose: 'register',
    text: smsText('123456', 5),
  };

  beforeAll(async () => {
    fake = await startFakeCcp();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.setMode('ok'));

  it('signs with the provider clock (UTC+8) and MD5 of sid + token + timestamp', () => {
    expect(ccpTimestamp(clock())).toBe('20261124120506');
    expect(ccpSignature('a', 'b', '20261124120506')).toMatch(/^[0-9A-F]{32}$/);
  });

  it('sends a template SMS the provider accepts', async () => {
    await gateway().send(message);
    expect(fake.problems).toEqual([]);
    expect(fake.accepted.at(-1)).toEqual({
      to: '13800138000',
      appId: CCP_ACCOUNT.appId,
      templateId: '1',
      datas: ['123456', '5'],
      timestamp: '20261124120506',
    });
  });

  it('sends codes of every purpose with the code template, and a notice with its own template', async () => {
    await gateway().send({ ...message, purpose: 'reset', text: SMS_TEXTS.reset('654321', 5), code: '654321' });
    expect(fake.accepted.at(-1)).toMatchObject({ templateId: '1', datas: ['654321', '5'] });
    const notice: SmsMessage = { mobile: '13800138000', code: '', ttlMinutes: 0, purpose: 'notice', text: 'Security notice.' };
    const withNotices = createCcpGateway({ ...fakeCcpConfig(fake.baseUrl), noticeTemplateId: '7' }, clock);
    await withNotices.send(notice);
    expect(fake.problems).toEqual([]);
    expect(fake.accepted.at(-1)).toMatchObject({ to: '13800138000', templateId: '7', datas: ['Security notice.'] });
    // Without CCP_NOTICE_TEMPLATE_ID a notice never reaches the provider.
    const before = fake.received.length;
    await expect(gateway().send(notice)).rejects.toBeInstanceOf(SmsNotSentError);
    expect(fake.received).toHaveLength(before);
  });

  it('reports a refusal with the provider status code (SMSFAIL)', async () => {
    fake.setMode('refuse');
    const error = await gateway()
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmsRejectedError);
    expect(error).toMatchObject({ providerCode: '160040' });
  });

  it('fails (SMSERROR) on a non-JSON answer and on a provider that never answers', async () => {
    fake.setMode('garbage');
    await expect(gateway().send(message)).rejects.toThrow(/non-JSON/);
    // A gateway's JSON error page is not the provider refusing: the text may have gone out.
    fake.setMode('gateway-timeout');
    const proxyError = await gateway()
      .send(message)
      .catch((e: unknown) => e);
    expect(proxyError).not.toBeInstanceOf(SmsRejectedError);
    expect(String(proxyError)).toMatch(/HTTP 504 without a status code/);
    fake.setMode('hang');
    const error = await gateway()
      .send(message)
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SmsRejectedError);
    expect(String(error)).toMatch(/timeout|aborted/i);
  });

  it('says "not sent" only when the provider could not be reached at all', async () => {
    // A port that was just free: connecting is refused.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const down = createCcpGateway(fakeCcpConfig(`http://127.0.0.1:${port}`), clock);
    await expect(down.send(message)).rejects.toBeInstanceOf(SmsNotSentError);
    // A provider that took the request and never answered may have sent it: not "not sent".
    fake.setMode('hang');
    await expect(gateway().send(message)).rejects.not.toBeInstanceOf(SmsNotSentError);
  });
});
