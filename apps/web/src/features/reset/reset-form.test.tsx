// "Forgot password?" end to end against the mock API: from the login page, a code of purpose
// reset, the new password, and the login page again with the API's word; the refusals beside
// their fields; the same answer for a number with no account; the proof of work; the keyboard.
import { en } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { uiEn } from '../../i18n/ui.en';
import { accountUiEn } from '../../i18n/ui-account.en';
import { accountUiZhCN } from '../../i18n/ui-account.zh-CN';
import { db, MOCK_CAPTCHA_ANSWER, MOCK_PASSWORD, MOCK_SEED_USERS } from '../../mocks/db';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render-app';

const ALICE = MOCK_SEED_USERS[1];
const BOB = MOCK_SEED_USERS[2];
const NEW_PASSWORD = 'Quiet-lantern-harbour-42';
const UNKNOWN_MOBILE = '13612340077';
const w = accountUiEn.reset;

const input = (label: string) => screen.getByLabelText(label, { exact: true });
const getCodeButton = () => screen.getByRole('button', { name: /^(Get code|Resend in \d+ s)$/ });

async function openReset() {
  const view = renderApp('/forgot-password');
  await screen.findByRole('heading', { level: 1, name: w.title });
  return view;
}
type User = Awaited<ReturnType<typeof openReset>>['user'];

/** The bodies of the requests the page sends to one path. */
function recordBodies(path: string): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  server.events.on('request:start', ({ request }) => {
    if (new URL(request.url).pathname === path)
      void request
        .clone()
        .json()
        .then((body) => bodies.push(body));
  });
  return bodies;
}

async function requestCode(user: User, mobile: string) {
  await user.type(input(w.mobile), mobile);
  await user.type(input(uiEn.captcha.label), MOCK_CAPTCHA_ANSWER);
  await user.click(getCodeButton());
  expect(await screen.findByText(en.sms.sentIfRegistered)).toBeInTheDocument();
}

async function fillNewPassword(user: User, password = NEW_PASSWORD) {
  await user.type(input(w.password), password);
  await user.type(input(w.passwordRepeat), password);
}

afterEach(() => {
  server.events.removeAllListeners();
});

describe('password reset', () => {
  it('is linked from the login page, with labelled fields and one h1', async () => {
    const { user } = renderApp('/login');
    await user.click(await screen.findByRole('link', { name: uiEn.login.forgotPassword }));
    const heading = await screen.findByRole('heading', { level: 1, name: w.title });
    expect(heading).toHaveFocus();
    expect(window.location.pathname).toBe('/forgot-password');
    expect(document.title).toBe(`${w.title} · Register`);
    expect(screen.getAllByRole('heading', { level: 1 })).toHaveLength(1);
    expect(input(w.mobile)).toHaveAttribute('autocomplete', 'tel-national');
    expect(input(uiEn.captcha.label)).toBeInTheDocument();
    expect(screen.getByRole('img', { name: uiEn.captcha.alt })).toBeInTheDocument();
    expect(input(uiEn.sms.label)).toHaveAttribute('autocomplete', 'one-time-code');
    expect(input(w.password)).toHaveAttribute('autocomplete', 'new-password');
    expect(input(w.passwordRepeat)).toHaveAttribute('autocomplete', 'new-password');
    expect(screen.getByRole('link', { name: w.logIn })).toHaveAttribute('href', '/login');
    expect(screen.getByText(w.hint)).toBeInTheDocument();
  });

  it('sets a new password with a reset code, ends the sessions and sends the visitor to log in with the API’s word', async () => {
    const resets = recordBodies('/api/password/reset/');
    const codes = recordBodies('/api/sms_code/');
    const aliceId = db.users.find((u) => u.username === ALICE.username)?.id;
    expect(db.sessions.some((s) => s.userId === aliceId)).toBe(true);
    const { user } = await openReset();
    await requestCode(user, ALICE.mobile);
    await waitFor(() => expect(codes[0]).toEqual({ mobile: ALICE.mobile, captcha: MOCK_CAPTCHA_ANSWER, purpose: 'reset' }));
    expect(input(uiEn.sms.label)).toHaveFocus();
    expect(getCodeButton()).toHaveTextContent('Resend in 60 s');
    const sms = db.outbox.get(ALICE.mobile);
    expect(sms?.purpose).toBe('reset');

    await user.type(input(uiEn.sms.label), sms?.code ?? '');
    await fillNewPassword(user);
    expect(screen.getByText(/^Strength: /)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: w.submit }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    expect(screen.getByRole('status')).toHaveTextContent(en.reset.done);
    expect(resets[0]).toMatchObject({ mobile: ALICE.mobile, sms_code: sms?.code, password: NEW_PASSWORD });
    expect(db.sessions.some((s) => s.userId === aliceId)).toBe(false);

    // The old password no longer works; the new one does.
    await user.type(input('Username or mobile'), ALICE.username);
    await user.type(input('Password'), `${MOCK_PASSWORD}{Enter}`);
    expect(await screen.findByRole('alert')).toHaveTextContent(en.auth.failed);
    await user.clear(input('Password'));
    await user.type(input('Password'), `${NEW_PASSWORD}{Enter}`);
    expect(await screen.findByRole('heading', { level: 1, name: `Welcome, ${ALICE.username}` })).toBeInTheDocument();
  });

  it('is open to a logged-in visitor, who stays logged in after resetting another account’s password', async () => {
    const bob = db.users.find((u) => u.username === BOB.username);
    db.sessionUserId = bob?.id ?? null;
    const { user } = await openReset();
    // Another account's password (a shared computer): Bob stays logged in, and reads the answer here.
    await requestCode(user, ALICE.mobile);
    await user.type(input(uiEn.sms.label), db.outbox.get(ALICE.mobile)?.code ?? '');
    await fillNewPassword(user);
    await user.click(screen.getByRole('button', { name: w.submit }));
    const said = await screen.findByText(en.reset.done);
    expect(said).toHaveAttribute('role', 'status');
    expect(input(w.mobile).closest('form')).toContainElement(said);
    expect(window.location.pathname).toBe('/forgot-password');
    expect(input(w.mobile)).toHaveValue('');
    expect(db.sessionUserId).toBe(bob?.id);
  });

  it('logs out a logged-in visitor who resets the own account', async () => {
    const bob = db.users.find((u) => u.username === BOB.username);
    db.sessionUserId = bob?.id ?? null;
    const { user } = await openReset();
    // Every session of the account ends, this one too: the visitor logs in again.
    await requestCode(user, BOB.mobile);
    await user.type(input(uiEn.sms.label), db.outbox.get(BOB.mobile)?.code ?? '');
    await fillNewPassword(user);
    await user.click(screen.getByRole('button', { name: w.submit }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toHaveAccessibleDescription(en.reset.done);
    expect(db.sessionUserId).toBeNull();
  });

  it('says the same for a number with no account, texts nothing, and refuses any code beside the field', async () => {
    const { user } = await openReset();
    await requestCode(user, UNKNOWN_MOBILE);
    expect(db.outbox.has(UNKNOWN_MOBILE)).toBe(false);
    await user.type(input(uiEn.sms.label), '123456');
    await fillNewPassword(user);
    await user.click(screen.getByRole('button', { name: w.submit }));

    const code = input(uiEn.sms.label);
    await waitFor(() => expect(code).toHaveAttribute('aria-invalid', 'true'));
    expect(document.getElementById('sms_code-message')).toHaveTextContent(en.reset.codeInvalid);
    expect(code).toHaveFocus();
    expect(window.location.pathname).toBe('/forgot-password');
  });

  it('shows a wrong code beside the code, and a code for registration does not reset', async () => {
    const { user } = await openReset();
    await requestCode(user, ALICE.mobile);
    const right = db.outbox.get(ALICE.mobile)?.code ?? '';
    await user.type(input(uiEn.sms.label), right === '000000' ? '111111' : '000000');
    await fillNewPassword(user);
    await user.click(screen.getByRole('button', { name: w.submit }));
    await waitFor(() => expect(document.getElementById('sms_code-message')).toHaveTextContent(en.reset.codeInvalid));

    // A code of another purpose for the same number checks only for that purpose.
    db.codes.set(`register:${ALICE.mobile}`, { code: '424242', attemptsLeft: 5, expiresAt: Date.now() + 60_000 });
    db.codes.delete(`reset:${ALICE.mobile}`);
    await user.clear(input(uiEn.sms.label));
    await user.type(input(uiEn.sms.label), '424242');
    await user.click(screen.getByRole('button', { name: w.submit }));
    await waitFor(() => expect(input(uiEn.sms.label)).toHaveFocus());
    expect(document.getElementById('sms_code-message')).toHaveTextContent(en.reset.codeInvalid);
    expect(db.users.find((u) => u.username === ALICE.username)?.password).toBe(MOCK_PASSWORD);
  });

  it('checks the fields by the contracts before sending: the repeat, and a guessable password by its strength', async () => {
    const resets = recordBodies('/api/password/reset/');
    const { user } = await openReset();
    await user.click(screen.getByRole('button', { name: w.submit }));
    expect(await screen.findByText('Mobile number is required.')).toBeInTheDocument();
    expect(input(w.mobile)).toHaveFocus();

    await requestCode(user, ALICE.mobile);
    await user.type(input(uiEn.sms.label), db.outbox.get(ALICE.mobile)?.code ?? '');
    await user.type(input(w.password), NEW_PASSWORD);
    await user.type(input(w.passwordRepeat), 'Something-else-42');
    await user.click(screen.getByRole('button', { name: w.submit }));
    expect(await screen.findByText(en.password.differ)).toBeInTheDocument();

    await user.clear(input(w.password));
    await user.clear(input(w.passwordRepeat));
    await fillNewPassword(user, 'password1234');
    await user.click(screen.getByRole('button', { name: w.submit }));
    await waitFor(() => expect(input(w.password)).toHaveAttribute('aria-invalid', 'true'));
    expect(input(w.password)).toHaveFocus();
    expect(resets).toEqual([]);
  });

  it('offers the proof of work in place of the image code, exactly as registration does', async () => {
    const codes = recordBodies('/api/sms_code/');
    const { user } = await openReset();
    await user.type(input(w.mobile), ALICE.mobile);
    await user.click(screen.getByRole('button', { name: uiEn.altcha.switchOn }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent(uiEn.altcha.verified));
    expect(screen.getByRole('group', { name: en.fields.altcha.title })).toBeInTheDocument();
    await user.click(getCodeButton());
    expect(await screen.findByText(en.sms.sentIfRegistered)).toBeInTheDocument();
    await waitFor(() => expect(codes[0]).toMatchObject({ mobile: ALICE.mobile, altcha: expect.any(String), purpose: 'reset' }));
    expect(codes[0]).not.toHaveProperty('captcha');
  });

  it('works with the keyboard alone, from the login page to the login page', async () => {
    const { user } = renderApp('/login');
    const link = await screen.findByRole('link', { name: uiEn.login.forgotPassword });
    for (let i = 0; i < 10 && document.activeElement !== link; i++) await user.tab();
    expect(link).toHaveFocus();
    await user.keyboard('{Enter}');
    await screen.findByRole('heading', { level: 1, name: w.title });

    await user.tab();
    expect(input(w.mobile)).toHaveFocus();
    await user.keyboard(ALICE.mobile);
    await user.tab();
    expect(input(uiEn.captcha.label)).toHaveFocus();
    await user.keyboard(MOCK_CAPTCHA_ANSWER);
    await user.tab();
    expect(screen.getByRole('button', { name: uiEn.captcha.newImage })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('button', { name: uiEn.altcha.switchOn })).toHaveFocus();
    await user.tab();
    expect(input(uiEn.sms.label)).toHaveFocus();
    await user.tab();
    expect(getCodeButton()).toHaveFocus();
    await user.keyboard('{Enter}');
    await screen.findByText(en.sms.sentIfRegistered);
    expect(input(uiEn.sms.label)).toHaveFocus();
    await user.keyboard(db.outbox.get(ALICE.mobile)?.code ?? '');
    await user.tab(); // "Resend in 60 s" is disabled: skipped
    // Development builds (tests are one) link the dev outbox after the code.
    expect(screen.getByRole('link', { name: uiEn.sms.devLink })).toHaveFocus();
    await user.tab();
    expect(input(w.password)).toHaveFocus();
    await user.keyboard(NEW_PASSWORD);
    await user.tab();
    expect(input(w.passwordRepeat)).toHaveFocus();
    await user.keyboard(NEW_PASSWORD);
    await user.tab();
    expect(screen.getByRole('button', { name: w.submit })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent(en.reset.done);
  });

  it('is said in Chinese, the API’s answers too', async () => {
    const { user } = await openReset();
    await user.selectOptions(screen.getByRole('combobox', { name: uiEn.language.label }), 'zh-CN');
    const zh = accountUiZhCN.reset;
    expect(await screen.findByRole('heading', { level: 1, name: zh.title })).toBeInTheDocument();
    expect(document.title).toBe(`${zh.title} · 注册`);
    expect(input(zh.mobile)).toBeInTheDocument();
    expect(input(zh.password)).toBeInTheDocument();
    expect(input(zh.passwordRepeat)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: zh.submit })).toBeInTheDocument();
    await user.type(input(zh.mobile), ALICE.mobile);
    await user.type(input('图形验证码'), MOCK_CAPTCHA_ANSWER);
    await user.click(screen.getByRole('button', { name: '获取验证码' }));
    expect(await screen.findByText(zhCN.sms.sentIfRegistered)).toBeInTheDocument();
    await user.type(input('短信验证码'), '000001');
    await user.type(input(zh.password), NEW_PASSWORD);
    await user.type(input(zh.passwordRepeat), NEW_PASSWORD);
    // The code check comes first: whatever the code was, a refusal in Chinese beside it.
    db.codes.delete(`reset:${ALICE.mobile}`);
    await user.click(screen.getByRole('button', { name: zh.submit }));
    await waitFor(() => expect(document.getElementById('sms_code-message')).toHaveTextContent(zhCN.reset.codeInvalid));
    const form = input(zh.mobile).closest('form');
    expect(within(form as HTMLElement).queryByRole('alert')).not.toBeInTheDocument();
  });
});
