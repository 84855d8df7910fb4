// The account page against the mock API: each form's success and a refusal shown inline, the
// sessions list's "Sign out" and "Sign out everywhere else", a session that ended meanwhile,
// the keyboard, and Chinese.
import { Code, en } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import { screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { uiEn } from '../../i18n/ui.en';
import { accountUiEn } from '../../i18n/ui-account.en';
import { accountUiZhCN } from '../../i18n/ui-account.zh-CN';
import {
  db,
  endCurrentSession,
  endSessionsOf,
  MOCK_CAPTCHA_ANSWER,
  MOCK_MAIL,
  MOCK_PASSWORD,
  MOCK_SEED_USERS,
} from '../../mocks/db';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render-app';

const a = accountUiEn.account;
const ALICE = MOCK_SEED_USERS[1];
const BOB = MOCK_SEED_USERS[2];
const NEW_PASSWORD = 'Quiet-lantern-harbour-42';
const FREE_MOBILE = '13612345678';
/** The API's sentence after a link was mailed (valid as long as the mock's links are). */
const sentTo = (email: string) => en.account.emailSent(email, MOCK_MAIL.tokenTtlSeconds / 3600);

function logInAs(username: string) {
  const user = db.users.find((u) => u.username === username);
  if (!user) throw new Error(`no mock user ${username}`);
  db.sessionUserId = user.id;
  return user;
}

async function openAccount(username: string = ALICE.username) {
  const account = logInAs(username);
  const view = renderApp('/account');
  await screen.findByRole('heading', { level: 1, name: a.title });
  return { ...view, account };
}
type User = Awaited<ReturnType<typeof openAccount>>['user'];

/** A section of the page by its heading. */
const section = (heading: string) => screen.getByRole('region', { name: heading });
const field = (heading: string, label: string) => within(section(heading)).getByLabelText(label, { exact: true });
const button = (heading: string, name: string | RegExp) => within(section(heading)).getByRole('button', { name });
/** The section's own status line (the mobile section also has the proof of work's). */
const statusOf = (heading: string) => {
  const status = section(heading).querySelector<HTMLElement>('.form-status');
  if (!status) throw new Error(`no status line in ${heading}`);
  return status;
};

/** The login page, as the visitor is sent to it: its heading focused and described by the notice. */
async function expectLoginPageSaying(notice: string) {
  const heading = await screen.findByRole('heading', { level: 1, name: 'Log in' });
  expect(window.location.pathname).toBe('/login');
  expect(screen.getByRole('status')).toHaveTextContent(notice);
  expect(heading).toHaveFocus();
  expect(heading).toHaveAccessibleDescription(notice);
}

/** Logs in on the login page, as the visitor would. */
async function logInAgain(user: User, username: string, password = MOCK_PASSWORD) {
  await user.type(screen.getByLabelText('Username or mobile'), username);
  await user.type(screen.getByLabelText('Password'), `${password}{Enter}`);
}

/** The API's success envelope, for an answer the mock never gives by itself. */
const answered = (errmsg: string, data: unknown) => HttpResponse.json({ errno: Code.OK, errmsg, data });

afterEach(() => {
  server.events.removeAllListeners();
});

describe('the account page', () => {
  it('sends a visitor to the login page, and back to the account page once logged in', async () => {
    const { user } = renderApp('/account');
    expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    await logInAgain(user, ALICE.username);
    expect(await screen.findByRole('heading', { level: 1, name: a.title })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/account');
  });

  it('notices a session that ended elsewhere as soon as it opens', async () => {
    const alice = logInAs(ALICE.username);
    const { user } = renderApp('/');
    const link = await screen.findByRole('link', { name: uiEn.home.account });
    endSessionsOf(alice.id); // a reset on another device, say
    await user.click(link);
    await expectLoginPageSaying(a.sessionLost);
  });

  it('is linked from the home page and shows the profile and one section per action', async () => {
    logInAs(ALICE.username);
    const { user } = renderApp('/');
    await user.click(await screen.findByRole('link', { name: uiEn.home.account }));
    expect(await screen.findByRole('heading', { level: 1, name: a.title })).toHaveFocus();
    expect(document.title).toBe(`${a.title} · Register`);
    const profile = section(a.profile);
    expect(within(profile).getByText(ALICE.username)).toBeInTheDocument();
    expect(within(profile).getByText('139****9000')).toBeInTheDocument();
    expect(within(profile).getByText(a.noEmail)).toBeInTheDocument();
    for (const heading of [a.emailHeading, a.passwordHeading, a.mobileHeading, a.sessionsHeading]) {
      expect(screen.getByRole('heading', { level: 2, name: heading })).toBeInTheDocument();
    }
    expect(screen.getByRole('link', { name: a.home })).toHaveAttribute('href', '/');
  });
});

describe('the account page: email', () => {
  it('sets the address, says a link was sent, shows it unverified, resends it, and links the dev mail outbox', async () => {
    const { user, account } = await openAccount();
    await user.type(field(a.emailHeading, a.emailLabel), '  Alice@Example.COM ');
    await user.click(button(a.emailHeading, a.saveEmail));
    expect(await within(statusOf(a.emailHeading)).findByText(sentTo('alice@example.com'))).toBeInTheDocument();
    expect(account.email).toBe('alice@example.com');
    expect(within(section(a.profile)).getByText(a.unverified)).toBeInTheDocument();
    const first = db.mail.get('alice@example.com');
    expect(first?.link).toMatch(/\/verify-email#token=[A-Za-z0-9_-]{43}$/);

    const link = within(section(a.emailHeading)).getByRole('link', { name: a.devMailLink });
    expect(link).toHaveAttribute('href', '/api/__dev/mail/alice%40example.com/');
    const outbox = await fetch(link.getAttribute('href') ?? '').then((r) => r.json());
    expect(outbox.data).toMatchObject({ to: 'alice@example.com', token: first?.token });

    await user.click(button(a.emailHeading, a.resend));
    await waitFor(() => expect(db.mail.get('alice@example.com')?.token).not.toBe(first?.token));
    expect(statusOf(a.emailHeading)).toHaveTextContent(sentTo('alice@example.com'));
  });

  it('shows the API’s refusals beside the field: an address another account verified, and the send budget in the alert', async () => {
    const bob = db.users.find((u) => u.username === BOB.username);
    Object.assign(bob ?? {}, { email: 'bob@example.com', emailActive: true });
    const { user } = await openAccount();
    const email = field(a.emailHeading, a.emailLabel);
    await user.type(email, 'not-an-address');
    await user.click(button(a.emailHeading, a.saveEmail));
    expect(await within(section(a.emailHeading)).findByText(en.fields.email.invalid)).toBeInTheDocument();

    await user.clear(email);
    await user.type(email, 'bob@example.com');
    await user.click(button(a.emailHeading, a.saveEmail));
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(document.getElementById('email-message')).toHaveTextContent(en.account.emailTaken);
    expect(email).toHaveFocus();

    // Asking about a taken address spent one of the account's sends (as on the API).
    await user.clear(email);
    await user.type(email, 'alice@example.com');
    for (let i = 0; i < MOCK_MAIL.perUserPerHour - 1; i++) {
      await user.click(button(a.emailHeading, a.saveEmail));
      await within(statusOf(a.emailHeading)).findByText(sentTo('alice@example.com'));
    }
    await user.click(button(a.emailHeading, a.resend));
    const alert = await within(section(a.emailHeading)).findByRole('alert');
    expect(alert).toHaveTextContent(en.account.emailLimit);
    expect(alert).toHaveTextContent(/Try again in \d+ minutes?\./);
  });
});

describe('the account page: password', () => {
  it('changes the password, stays logged in, and the other sessions are signed out', async () => {
    const { user, account } = await openAccount();
    const list = await within(section(a.sessionsHeading)).findAllByRole('listitem');
    expect(list).toHaveLength(3);
    await user.type(field(a.passwordHeading, a.oldPassword), MOCK_PASSWORD);
    await user.type(field(a.passwordHeading, a.newPassword), NEW_PASSWORD);
    await user.type(field(a.passwordHeading, a.newPasswordRepeat), NEW_PASSWORD);
    expect(within(section(a.passwordHeading)).getByText(/^Strength: /)).toBeInTheDocument();
    await user.click(button(a.passwordHeading, a.changePassword));

    expect(await within(statusOf(a.passwordHeading)).findByText(en.account.passwordChanged)).toBeInTheDocument();
    expect(account.password).toBe(NEW_PASSWORD);
    expect(field(a.passwordHeading, a.oldPassword)).toHaveValue('');
    await waitFor(() => expect(within(section(a.sessionsHeading)).getAllByRole('listitem')).toHaveLength(1));
    expect(within(section(a.sessionsHeading)).getByText(a.onlyThisOne)).toBeInTheDocument();
    expect(window.location.pathname).toBe('/account');
    expect(db.sessionUserId).toBe(account.id);
  });

  it('shows a wrong current password beside it, and the contracts’ rules before sending', async () => {
    const { user, account } = await openAccount();
    await user.type(field(a.passwordHeading, a.oldPassword), MOCK_PASSWORD);
    await user.type(field(a.passwordHeading, a.newPassword), MOCK_PASSWORD);
    await user.type(field(a.passwordHeading, a.newPasswordRepeat), MOCK_PASSWORD);
    await user.click(button(a.passwordHeading, a.changePassword));
    expect(await within(section(a.passwordHeading)).findByText(en.password.sameAsOld)).toBeInTheDocument();

    await user.clear(field(a.passwordHeading, a.oldPassword));
    await user.type(field(a.passwordHeading, a.oldPassword), 'Not-my-password-1');
    await user.clear(field(a.passwordHeading, a.newPassword));
    await user.type(field(a.passwordHeading, a.newPassword), NEW_PASSWORD);
    await user.clear(field(a.passwordHeading, a.newPasswordRepeat));
    await user.type(field(a.passwordHeading, a.newPasswordRepeat), NEW_PASSWORD);
    await user.click(button(a.passwordHeading, a.changePassword));
    const old = field(a.passwordHeading, a.oldPassword);
    await waitFor(() => expect(old).toHaveAttribute('aria-invalid', 'true'));
    expect(document.getElementById('old_password-message')).toHaveTextContent(en.account.oldPasswordWrong);
    expect(old).toHaveFocus();
    expect(account.password).toBe(MOCK_PASSWORD);
  });
});

describe('the account page: mobile', () => {
  async function requestMobileCode(user: User, mobile = FREE_MOBILE) {
    await user.type(field(a.mobileHeading, a.newMobile), mobile);
    await user.tab();
    await within(section(a.mobileHeading)).findByText(`${mobile} is available.`);
    await user.type(field(a.mobileHeading, uiEn.captcha.label), MOCK_CAPTCHA_ANSWER);
    await user.click(button(a.mobileHeading, uiEn.sms.getCode));
    await within(section(a.mobileHeading)).findByText(/We sent a 6-digit code to 136\*\*\*\*5678/);
  }

  it('changes the mobile with a code of purpose change_mobile and the current password', async () => {
    const { user, account } = await openAccount();
    await requestMobileCode(user);
    const sms = db.outbox.get(FREE_MOBILE);
    expect(sms?.purpose).toBe('change_mobile');
    await user.type(field(a.mobileHeading, uiEn.sms.label), sms?.code ?? '');
    await user.type(field(a.mobileHeading, a.mobilePassword), MOCK_PASSWORD);
    await user.click(button(a.mobileHeading, a.changeMobile));

    expect(await within(statusOf(a.mobileHeading)).findByText(en.account.mobileChanged)).toBeInTheDocument();
    expect(account.mobile).toBe(FREE_MOBILE);
    expect(within(section(a.profile)).getByText('136****5678')).toBeInTheDocument();
    expect(field(a.mobileHeading, a.newMobile)).toHaveValue('');
  });

  it('says a taken number and the account’s own at the field, and a wrong password beside it', async () => {
    const { user, account } = await openAccount();
    const mobile = field(a.mobileHeading, a.newMobile);
    await user.type(mobile, BOB.mobile);
    await user.tab();
    expect(await within(section(a.mobileHeading)).findByText(en.user.mobileTaken)).toBeInTheDocument();
    await user.type(field(a.mobileHeading, uiEn.captcha.label), MOCK_CAPTCHA_ANSWER);
    expect(button(a.mobileHeading, uiEn.sms.getCode)).toBeDisabled();
    await user.clear(mobile);
    await user.type(mobile, ALICE.mobile);
    expect(await within(section(a.mobileHeading)).findByText(a.sameMobile)).toBeInTheDocument();
    expect(button(a.mobileHeading, uiEn.sms.getCode)).toBeDisabled();

    await user.clear(mobile);
    await user.clear(field(a.mobileHeading, uiEn.captcha.label));
    await requestMobileCode(user);
    await user.type(field(a.mobileHeading, uiEn.sms.label), db.outbox.get(FREE_MOBILE)?.code ?? '');
    await user.type(field(a.mobileHeading, a.mobilePassword), 'Not-my-password-1');
    await user.click(button(a.mobileHeading, a.changeMobile));
    const password = field(a.mobileHeading, a.mobilePassword);
    await waitFor(() => expect(password).toHaveAttribute('aria-invalid', 'true'));
    expect(document.getElementById('mobile_password-message')).toHaveTextContent(en.account.oldPasswordWrong);
    expect(account.mobile).toBe(ALICE.mobile);
  });
});

describe('the account page: sessions', () => {
  it('lists the sessions with this device marked; signs out one, then every other', async () => {
    const { user, account } = await openAccount();
    const sessions = section(a.sessionsHeading);
    const items = await within(sessions).findAllByRole('listitem');
    expect(items).toHaveLength(3);
    const [mine, ...others] = items as [HTMLElement, ...HTMLElement[]];
    expect(within(mine).getByText(a.thisDevice)).toBeInTheDocument();
    expect(within(mine).queryByRole('button', { name: a.signOut })).not.toBeInTheDocument();
    expect(within(mine).getByText(a.signedIn)).toBeInTheDocument();
    expect(within(mine).getByText(a.lastSeen)).toBeInTheDocument();
    expect(within(mine).getByText(a.network)).toBeInTheDocument();
    expect(mine.querySelectorAll('time[datetime]')).toHaveLength(2);
    expect(within(others[0] as HTMLElement).getByText('Safari on iPhone')).toBeInTheDocument();

    const signOut = within(others[0] as HTMLElement).getByRole('button', { name: a.signOut });
    expect(signOut).toHaveAccessibleDescription('Safari on iPhone');
    await user.click(signOut);
    expect(await within(statusOf(a.sessionsHeading)).findByText(en.account.sessionEnded)).toBeInTheDocument();
    await waitFor(() => expect(within(sessions).getAllByRole('listitem')).toHaveLength(2));
    expect(screen.getByRole('heading', { level: 2, name: a.sessionsHeading })).toHaveFocus();
    expect(db.sessions.filter((s) => s.userId === account.id)).toHaveLength(2);

    await user.click(button(a.sessionsHeading, a.signOutOthers));
    expect(await within(statusOf(a.sessionsHeading)).findByText(en.account.othersEnded(1))).toBeInTheDocument();
    await waitFor(() => expect(within(sessions).getAllByRole('listitem')).toHaveLength(1));
    expect(within(sessions).getByText(a.onlyThisOne)).toBeInTheDocument();
    expect(within(sessions).queryByRole('button', { name: a.signOutOthers })).not.toBeInTheDocument();
    expect(db.sessionUserId).toBe(account.id);
  });

  it('says when a session was already gone, and sends the visitor to log in when its own ended elsewhere', async () => {
    const { user, account } = await openAccount();
    const items = await within(section(a.sessionsHeading)).findAllByRole('listitem');
    // Signed out from another device meanwhile: "No such session." and the list as it is now.
    db.sessions = db.sessions.filter((s) => s.device !== 'Safari on iPhone' || s.userId !== account.id);
    await user.click(within(items[1] as HTMLElement).getByRole('button', { name: a.signOut }));
    expect(await within(section(a.sessionsHeading)).findByRole('alert')).toHaveTextContent(en.account.noSuchSession);
    await waitFor(() => expect(within(section(a.sessionsHeading)).getAllByRole('listitem')).toHaveLength(2));

    // Now this very session is ended elsewhere (a password reset, say).
    db.sessions = db.sessions.filter((s) => s.userId !== account.id);
    db.sessionUserId = null;
    await user.click(button(a.sessionsHeading, a.signOutOthers));
    expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent(a.sessionLost);
  });
});

describe('the account page: when this session ends', () => {
  it('goes to log in at once with the API’s sentence when a password change could not keep this session', async () => {
    const { user, account } = await openAccount();
    // The API changed the password but could not save this browser's new session.
    server.use(
      http.post(
        '/api/user/password/',
        () => {
          endSessionsOf(account.id);
          const { password: _, ...view } = account;
          return answered(en.account.passwordChangedLoggedOut, view);
        },
        { once: true },
      ),
    );
    await user.type(field(a.passwordHeading, a.oldPassword), MOCK_PASSWORD);
    await user.type(field(a.passwordHeading, a.newPassword), NEW_PASSWORD);
    await user.type(field(a.passwordHeading, a.newPasswordRepeat), NEW_PASSWORD);
    await user.click(button(a.passwordHeading, a.changePassword));
    await expectLoginPageSaying(en.account.passwordChangedLoggedOut);
    expect(screen.getByRole('status')).toHaveAttribute('data-tone', 'success');

    await logInAgain(user, ALICE.username);
    expect(await screen.findByRole('heading', { level: 1, name: a.title })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/account');
  });

  it('goes to log in at once when "Sign out everywhere else" signed out this browser too', async () => {
    const { user, account } = await openAccount();
    await within(section(a.sessionsHeading)).findAllByRole('listitem');
    server.use(
      http.post('/api/user/logout_all/', () => answered(en.account.allEndedLoggedOut, { ended: endSessionsOf(account.id) }), {
        once: true,
      }),
    );
    await user.click(button(a.sessionsHeading, a.signOutOthers));
    await expectLoginPageSaying(en.account.allEndedLoggedOut);
  });

  it('goes to log in when the session ended before a code for the new mobile was asked for', async () => {
    const { user } = await openAccount();
    await user.type(field(a.mobileHeading, a.newMobile), FREE_MOBILE);
    await user.tab();
    await within(section(a.mobileHeading)).findByText(`${FREE_MOBILE} is available.`);
    await user.type(field(a.mobileHeading, uiEn.captcha.label), MOCK_CAPTCHA_ANSWER);
    endCurrentSession(); // signed out everywhere from another device
    await user.click(button(a.mobileHeading, uiEn.sms.getCode));
    await expectLoginPageSaying(a.sessionLost);
    expect(db.outbox.has(FREE_MOBILE)).toBe(false);
  });

  it('gives the focus back to the button pressed when the browser took it away while the request ran', async () => {
    const { user } = await openAccount();
    await user.type(field(a.passwordHeading, a.oldPassword), MOCK_PASSWORD);
    await user.type(field(a.passwordHeading, a.newPassword), NEW_PASSWORD);
    await user.type(field(a.passwordHeading, a.newPasswordRepeat), NEW_PASSWORD);
    const submit = button(a.passwordHeading, a.changePassword) as HTMLButtonElement;
    server.use(
      http.post(
        '/api/user/password/',
        () => {
          expect(submit).toBeDisabled();
          // As Chromium does with a focused button that becomes disabled: the focus goes to the
          // body (happy-dom keeps it, and will not blur a disabled button: enabled for a moment).
          submit.disabled = false;
          submit.blur();
          submit.disabled = true;
          expect(document.activeElement).toBe(document.body);
          return HttpResponse.json({ errno: Code.DBERR, errmsg: en.service.databaseDown, data: null }, { status: 503 });
        },
        { once: true },
      ),
    );
    submit.focus();
    await user.keyboard('{Enter}');
    expect(await within(section(a.passwordHeading)).findByRole('alert')).toHaveTextContent(en.service.databaseDown);
    await waitFor(() => expect(submit).toHaveFocus());
  });
});

describe('the account page: keyboard and languages', () => {
  it('reaches every control with Tab, in the order of the page', async () => {
    const { user } = await openAccount();
    await within(section(a.sessionsHeading)).findAllByRole('listitem');
    await user.type(field(a.emailHeading, a.emailLabel), 'alice@example.com{Enter}');
    await within(statusOf(a.emailHeading)).findByText(sentTo('alice@example.com'));
    document.body.focus();
    const expected = [
      field(a.emailHeading, a.emailLabel),
      button(a.emailHeading, a.saveEmail),
      button(a.emailHeading, a.resend),
      within(section(a.emailHeading)).getByRole('link', { name: a.devMailLink }),
      field(a.passwordHeading, a.oldPassword),
      field(a.passwordHeading, a.newPassword),
      field(a.passwordHeading, a.newPasswordRepeat),
      button(a.passwordHeading, a.changePassword),
      field(a.mobileHeading, a.newMobile),
      field(a.mobileHeading, uiEn.captcha.label),
      button(a.mobileHeading, uiEn.captcha.newImage),
      button(a.mobileHeading, uiEn.altcha.switchOn),
      field(a.mobileHeading, uiEn.sms.label),
      // "Get code" is disabled until a number and an image code are in: skipped.
      field(a.mobileHeading, a.mobilePassword),
      button(a.mobileHeading, a.changeMobile),
      ...within(section(a.sessionsHeading)).getAllByRole('button', { name: a.signOut }),
      button(a.sessionsHeading, a.signOutOthers),
      screen.getByRole('link', { name: a.home }),
    ];
    const start = screen.getByRole('combobox', { name: uiEn.language.label });
    start.focus();
    for (const [index, element] of expected.entries()) {
      await user.tab();
      expect({ index, focused: document.activeElement }).toEqual({ index, focused: element });
    }
    await user.keyboard('{Shift>}{Tab}{/Shift}');
    await user.keyboard('{Enter}'); // "Sign out everywhere else", by the keyboard
    expect(await within(statusOf(a.sessionsHeading)).findByText(en.account.othersEnded(2))).toBeInTheDocument();
  });

  it('is said in Chinese, the API’s answers too', async () => {
    const { user } = await openAccount();
    await user.selectOptions(screen.getByRole('combobox', { name: uiEn.language.label }), 'zh-CN');
    const zh = accountUiZhCN.account;
    expect(await screen.findByRole('heading', { level: 1, name: zh.title })).toBeInTheDocument();
    for (const heading of [zh.profile, zh.emailHeading, zh.passwordHeading, zh.mobileHeading, zh.sessionsHeading]) {
      expect(screen.getByRole('heading', { level: 2, name: heading })).toBeInTheDocument();
    }
    expect(await within(section(zh.sessionsHeading)).findByText(zh.thisDevice)).toBeInTheDocument();
    await user.click(button(zh.sessionsHeading, zh.signOutOthers));
    expect(await within(statusOf(zh.sessionsHeading)).findByText(zhCN.account.othersEnded(2))).toBeInTheDocument();
    await user.type(field(zh.passwordHeading, zh.oldPassword), 'Not-my-password-1');
    await user.type(field(zh.passwordHeading, zh.newPassword), NEW_PASSWORD);
    await user.type(field(zh.passwordHeading, zh.newPasswordRepeat), NEW_PASSWORD);
    await user.click(button(zh.passwordHeading, zh.changePassword));
    await waitFor(() => expect(document.getElementById('old_password-message')).toHaveTextContent(zhCN.account.oldPasswordWrong));
  });
});
