// The reset service at the steps a route test cannot time exactly: the deadline passing while
// the new hash is computed, the hash changing between read and write, a store failing at the
// code check. Its own fakes for the SMS service and the repository; the in-process store.
import { Code, en, text } from '@register/contracts';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { eventsSpy, expiringDeadline, manualClock } from '../../../test/helper.ts';
import { AppError, fieldError } from '../../errors.ts';
import { createMemoryStore } from '../../store/memory-store.ts';
import { sessionsValidAfterKey } from '../auth/user-sessions.ts';
import type { SecurityNotices } from '../notifications/notices.ts';
import type { UserRecord } from '../users/users.repository.ts';
import { createPasswordResetService } from './reset.service.ts';

const USER: UserRecord = {
  id: 7,
  username: 'reset_user',
  mobile: '13800138007',
  password: 'old-hash',
  isActive: true,
  email: 'user@example.com',
  emailActive: true,
};
const FORM = {
  mobile: USER.mobile,
  sms_code: '123456',
  password: 'a brand new passphrase',
  password_repeat: 'a brand new passphrase',
};
const REQUESTER = { client: '10.0.0.1', sessionId: 'session-1' };

function build(
  options: { setPassword?: () => Promise<boolean>; checkCode?: () => Promise<{ key: string; digest: string }> } = {},
) {
  const clock = manualClock();
  const store = createMemoryStore(clock);
  const restore = vi.fn(async () => {});
  const setPassword = vi.fn(options.setPassword ?? (async () => true));
  const sent: Parameters<SecurityNotices['send']>[] = [];
  const events = eventsSpy();
  const reset = createPasswordResetService({
    users: { findByMobile: async () => USER, setPassword },
    sms: {
      checkCode: options.checkCode ?? (async () => ({ key: 'k', digest: 'd' })),
      useCode: async () => true,
      takeCode: async () => ({ restore }),
    },
    passwords: { hash: async (password) => `hash:${password}` },
    store,
    sessionTtlMs: 60_000,
    events,
    notices: { send: (...args) => void sent.push(args) },
    clock,
    log: pino({ level: 'silent' }),
    storeStepMs: 1000,
  });
  return { reset, store, restore, setPassword, sent, events };
}

describe('password reset service', () => {
  it('writes the hash over the one it read, ends the sessions as of then and sends the notice with the account as it was', async () => {
    const { reset, store, setPassword, sent, events } = build();
    await expect(reset.reset(FORM, { ...REQUESTER, locale: 'zh-CN' })).resolves.toEqual({ sessionsEnded: true });
    expect(setPassword).toHaveBeenCalledWith(USER.id, 'hash:a brand new passphrase', 'old-hash');
    expect(await store.get(sessionsValidAfterKey(USER.id))).not.toBeNull();
    // In the language of the request that reset it.
    expect(sent).toEqual([[USER, 'password_reset', { locale: 'zh-CN' }]]);
    expect(events.recorded.map((e) => e.kind)).toEqual(['password_reset']);
  });

  it('past the deadline before the write: nothing written, the code restored', async () => {
    const deadline = expiringDeadline();
    const { reset, store, restore, setPassword, sent } = build();
    const late = reset.reset(FORM, REQUESTER, deadline);
    deadline.expire(); // while the code is checked and the hash computed
    await expect(late).rejects.toMatchObject({ code: Code.SERVERERR, status: 503, message: en.service.slow });
    expect(setPassword).not.toHaveBeenCalled();
    expect(restore).toHaveBeenCalledOnce();
    expect(await store.get(sessionsValidAfterKey(USER.id))).toBeNull();
    expect(sent).toEqual([]);
  });

  it('a password changed between read and write: nothing written, the code restored, a retry asked for', async () => {
    const { reset, store, restore, events } = build({ setPassword: async () => false });
    await expect(reset.reset(FORM, REQUESTER)).rejects.toMatchObject({ status: 503, message: en.service.busy });
    expect(restore).toHaveBeenCalledOnce();
    expect(await store.get(sessionsValidAfterKey(USER.id))).toBeNull();
    expect(events.recorded).toEqual([]);
  });

  it('answers every refusal of the code with one sentence, and passes a failing store on as it is', async () => {
    const exhausted = build({ checkCode: async () => Promise.reject(fieldError(Code.PARAMERR, 'sms_code', text.sms.exhausted)) });
    await expect(exhausted.reset.reset(FORM, REQUESTER)).rejects.toMatchObject({
      code: Code.PARAMERR,
      message: en.reset.codeInvalid,
      data: { fields: { sms_code: en.reset.codeInvalid } },
    });
    expect(exhausted.events.recorded).toEqual([
      { kind: 'reset_failed', input: { client: REQUESTER.client, mobile: USER.mobile, detail: { reason: 'code' } } },
    ]);
    const storeDown = new AppError(Code.SERVERERR, { status: 503, message: text.service.storeDown });
    const failing = build({ checkCode: async () => Promise.reject(storeDown) });
    await expect(failing.reset.reset(FORM, REQUESTER)).rejects.toBe(storeDown);
  });
});
