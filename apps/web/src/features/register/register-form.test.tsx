import {
  Code,
  DEFAULT_LIMITS,
  Mobile,
  PasswordRepeat,
  RATE_LIMIT_MESSAGES,
  SMS_MESSAGES,
  USER_MESSAGES,
  Username,
} from '@register/contracts';
import { requestChecker } from '@register/contracts/compile';
import { act, screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { type TSchema, Type } from 'typebox';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uiEn } from '../../i18n/ui.en';
import { db, MOCK_CAPTCHA_ANSWER } from '../../mocks/db';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render-app';

const FREE_MOBILE = '13612345678';
const PASSWORD = 'Blue-harbour-77';

/** The contract's message for a bad value: the test expects exactly what the API would say. */
const messageFor = (schema: TSchema, raw: string) => {
  const result = requestChecker(Type.Object({ value: schema }))({ value: raw });
  if (result.ok || !result.fields.value) throw new Error(`${raw} is valid`);
  return result.fields.value;
};

/** The text of the element(s) an input names in aria-describedby. */
function descriptionOf(input: HTMLElement): string {
  const ids = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
}

async function openRegister(options?: Parameters<typeof renderApp>[1]) {
  const view = renderApp('/register', options);
  await screen.findByRole('heading', { level: 1, name: 'Create your account' });
  return view;
}

const input = (label: string) => screen.getByLabelText(label, { exact: true });
const getCodeButton = () => screen.getByRole('button', { name: /^(Get code|Resend in \d+ s)$/ });

type User = Awaited<ReturnType<typeof openRegister>>['user'];

/** Fills the mobile and the captcha so that "Get code" may be pressed. */
async function prepareSmsRequest(user: User, mobile = FREE_MOBILE) {
  await user.type(input('Mobile number'), mobile);
  await user.tab();
  await screen.findByText(`${mobile} is available.`);
  await user.type(input('Image code'), MOCK_CAPTCHA_ANSWER.toLowerCase());
}

async function fillAccount(user: User, username = 'carol_99') {
  await user.type(input('Username'), username);
  await user.type(input('Password'), PASSWORD);
  await user.type(input('Repeat password'), PASSWORD);
}

async function lastSmsCode(mobile: string): Promise<string> {
  const response = await fetch(`/api/__dev/sms/${mobile}/`);
  return ((await response.json()) as { data: { code: string } }).data.code;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('register form: client-side validation', () => {
  it('has the page title, one h1, labelled inputs with the right autocomplete hints', async () => {
    await openRegister();
    expect(document.title).toBe('Create your account · Register');
    expect(screen.getAllByRole('heading', { level: 1 })).toHaveLength(1);
    expect(input('Username')).toHaveAttribute('autocomplete', 'username');
    expect(input('Password')).toHaveAttribute('autocomplete', 'new-password');
    expect(input('Repeat password')).toHaveAttribute('autocomplete', 'new-password');
    expect(input('Mobile number')).toHaveAttribute('autocomplete', expect.stringMatching(/^tel/));
    expect(input('SMS code')).toHaveAttribute('autocomplete', 'one-time-code');
    expect(input('SMS code')).toHaveAttribute('inputmode', 'numeric');
    expect(screen.getByRole('img', { name: uiEn.captcha.alt })).toHaveAttribute(
      'src',
      expect.stringMatching(/^\/api\/image_code\/\?rand=/),
    );
    expect(screen.getByRole('link', { name: 'Log in' })).toHaveAttribute('href', '/login');
    expect(screen.getByRole('main')).toBeInTheDocument();
  });

  it('shows the contract message beside a field when it loses focus, tied by aria-describedby', async () => {
    const { user } = await openRegister();
    const username = input('Username');
    await user.type(username, 'ab');
    await user.tab();

    const expected = messageFor(Username, 'ab');
    await waitFor(() => expect(username).toHaveAttribute('aria-invalid', 'true'));
    const message = document.getElementById('username-message');
    expect(message).toHaveTextContent(expected);
    expect(message).toHaveAttribute('aria-live', 'polite');
    expect(username.getAttribute('aria-describedby')?.split(' ')).toContain('username-message');
    // The rule is not also repeated as help text while it is the error.
    expect(screen.getAllByText(expected)).toHaveLength(1);

    const mobile = input('Mobile number');
    await user.type(mobile, '12345');
    await user.tab();
    await waitFor(() => expect(mobile).toHaveAttribute('aria-invalid', 'true'));
    expect(descriptionOf(mobile)).toContain(messageFor(Mobile, '12345'));
  });

  it('reports every missing field on submit and focuses the first one', async () => {
    const { user } = await openRegister();
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByText('Username is required.')).toBeInTheDocument();
    for (const message of [
      'Password is required.',
      'Repeat password is required.',
      'Mobile number is required.',
      'SMS code is required.',
    ]) {
      expect(screen.getByText(message)).toBeInTheDocument();
    }
    expect(input('Username')).toHaveFocus();
  });

  it('does not call a field missing just because the visitor tabbed past it', async () => {
    const { user } = await openRegister();
    await user.click(input('SMS code'));
    await user.tab();
    expect(screen.queryByText('SMS code is required.')).not.toBeInTheDocument();
    expect(input('SMS code')).not.toHaveAttribute('aria-invalid');
  });

  it('applies the shared password policy (entirely numeric, too similar to the username)', async () => {
    const { user } = await openRegister();
    await user.type(input('Password'), '1234567890');
    await user.tab();
    expect(await screen.findByText('This password is entirely numeric.')).toBeInTheDocument();

    await user.type(input('Username'), 'harbourmaster');
    await user.clear(input('Password'));
    await user.type(input('Password'), 'harbourmaster1');
    expect(await screen.findByText('The password is too similar to the username.')).toBeInTheDocument();
  });

  it('compares the repeated password while it is typed, and shows a strength hint', async () => {
    const { user } = await openRegister();
    await user.type(input('Password'), PASSWORD);
    await waitFor(() => expect(descriptionOf(input('Password'))).toMatch(/Strength: (Strong|Very strong)$/));

    const repeat = input('Repeat password');
    await user.type(repeat, PASSWORD.slice(0, 4));
    expect(repeat).not.toHaveAttribute('aria-invalid');

    await user.type(repeat, 'X');
    const mismatch = messageFor(PasswordRepeat, 'x'.repeat(200));
    expect(await screen.findByText(mismatch)).toBeInTheDocument();
    expect(repeat).toHaveAttribute('aria-invalid', 'true');

    await user.clear(repeat);
    await user.type(repeat, PASSWORD);
    expect(await screen.findByText('Passwords match.')).toBeInTheDocument();
    expect(repeat).not.toHaveAttribute('aria-invalid');
  });
});

describe('register form: password strength', () => {
  it('explains why a password is too easy to guess, with zxcvbn loaded on demand', async () => {
    const { user } = await openRegister();
    expect(descriptionOf(input('Password'))).toMatch(/several uncommon words/);
    await user.type(input('Password'), 'Password2026');
    await waitFor(() =>
      expect(descriptionOf(input('Password'))).toMatch(
        /Strength: Weak \(too easy to guess\)\. This is similar to a commonly used password\. Add another word/,
      ),
    );
  });

  it('does not send a guessable password: the reason goes beside the field, as the API would say it', async () => {
    const asked: string[] = [];
    server.events.on('request:start', ({ request }) => void asked.push(new URL(request.url).pathname));
    const { user } = await openRegister();
    await user.type(input('Username'), 'carol_99');
    await user.type(input('Password'), 'Password2026');
    await user.type(input('Repeat password'), 'Password2026');
    await user.type(input('Mobile number'), FREE_MOBILE);
    await user.type(input('SMS code'), '123456');
    await waitFor(() => expect(descriptionOf(input('Password'))).toMatch(/too easy to guess/));
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText(/^This password is too easy to guess\. /)).toBeInTheDocument();
    expect(input('Password')).toHaveAttribute('aria-invalid', 'true');
    expect(asked).not.toContain('/api/user/register/');
    server.events.removeAllListeners();
  });
});

describe('register form: reserved usernames', () => {
  it('refuses a reserved name without asking the API', async () => {
    const asked: string[] = [];
    server.events.on('request:start', ({ request }) => void asked.push(new URL(request.url).pathname));
    const { user } = await openRegister();
    await user.type(input('Username'), 'Support');
    await user.tab();
    expect(await screen.findByText(USER_MESSAGES.usernameReserved)).toBeInTheDocument();
    expect(asked.filter((p) => p.startsWith('/api/username/'))).toEqual([]);
    server.events.removeAllListeners();
  });
});

describe('register form: availability', () => {
  it('says whether the username and the mobile are free when the field loses focus', async () => {
    const { user } = await openRegister();
    await user.type(input('Username'), 'Alice_1');
    await user.tab();
    expect(await screen.findByText(USER_MESSAGES.usernameTaken)).toBeInTheDocument();
    expect(input('Username')).toHaveAttribute('aria-invalid', 'true');

    await user.clear(input('Username'));
    await user.type(input('Username'), 'carol_99');
    await user.tab();
    expect(await screen.findByText('carol_99 is available.')).toBeInTheDocument();
    expect(input('Username')).not.toHaveAttribute('aria-invalid');
    expect(descriptionOf(input('Username'))).toContain('carol_99 is available.');

    await user.type(input('Mobile number'), '+86 13800138000');
    await user.tab();
    expect(await screen.findByText(/This mobile number is already registered/)).toBeInTheDocument();
  });

  it('asks after a 400 ms pause in typing, not at every keystroke', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const asked: string[] = [];
    server.events.on('request:start', ({ request }) => {
      if (request.url.includes('/api/username/')) asked.push(new URL(request.url).pathname);
    });
    const { user } = await openRegister({ advanceTimers: vi.advanceTimersByTime });

    await user.type(input('Username'), 'dave_42');
    await act(() => vi.advanceTimersByTimeAsync(300));
    expect(asked).toEqual([]);
    await act(() => vi.advanceTimersByTimeAsync(150));
    expect(await screen.findByText('dave_42 is available.')).toBeInTheDocument();
    expect(asked).toEqual(['/api/username/dave_42/']);
    server.events.removeAllListeners();
  });

  it('never lets a slow, older answer overwrite the answer for the newer value', async () => {
    let releaseSlow: () => void = () => {};
    const slowAnswered = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    server.use(
      http.get('/api/username/slow_name/', async () => {
        await slowAnswered;
        return HttpResponse.json({ errno: Code.OK, errmsg: 'Success', data: { username: 'slow_name', count: 1 } });
      }),
    );
    const { user } = await openRegister();
    await user.type(input('Username'), 'slow_name');
    await user.tab();
    expect(await screen.findByText('Checking availability…')).toBeInTheDocument();

    await user.clear(input('Username'));
    await user.type(input('Username'), 'fast_name');
    await user.tab();
    expect(await screen.findByText('fast_name is available.')).toBeInTheDocument();

    releaseSlow();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.getByText('fast_name is available.')).toBeInTheDocument();
    expect(screen.queryByText(USER_MESSAGES.usernameTaken)).not.toBeInTheDocument();
  });
});

describe('register form: availability limit', () => {
  it('stays calm when the checks are paused, asks again when allowed, and the form keeps working', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let paused = true;
    server.use(
      http.get('/api/mobile/:mobile/', ({ params }) =>
        paused
          ? HttpResponse.json(
              { errno: Code.THROTTLED, errmsg: RATE_LIMIT_MESSAGES.availability, data: { retryAfter: 20 } },
              { status: 429, headers: { 'retry-after': '20' } },
            )
          : HttpResponse.json({ errno: Code.OK, errmsg: 'Success', data: { mobile: params.mobile, count: 0 } }),
      ),
    );
    const { user } = await openRegister({ advanceTimers: vi.advanceTimersByTime });
    await user.type(input('Mobile number'), FREE_MOBILE);
    await user.tab();
    expect(await screen.findByText(RATE_LIMIT_MESSAGES.availability)).toBeInTheDocument();
    expect(input('Mobile number')).not.toHaveAttribute('aria-invalid');
    // Not knowing does not block the code request: the API checks the mobile again then.
    await user.type(input('Image code'), MOCK_CAPTCHA_ANSWER);
    expect(getCodeButton()).toBeEnabled();

    paused = false;
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(await screen.findByText(`${FREE_MOBILE} is available.`)).toBeInTheDocument();
  });

  it('the mock API enforces the same budget as the API', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= DEFAULT_LIMITS.availabilityMax; i++) statuses.push((await fetch(`/api/username/name_${i}_x/`)).status);
    expect(statuses.slice(0, -1).every((s) => s === 200)).toBe(true);
    const refused = await fetch('/api/mobile/13612345678/');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      errno: Code.THROTTLED,
      errmsg: RATE_LIMIT_MESSAGES.availability,
      data: { retryAfter: expect.any(Number) },
    });
  });
});

describe('register form: SMS code', () => {
  it('enables "Get code" only for an available mobile with an image code typed', async () => {
    const { user } = await openRegister();
    expect(getCodeButton()).toBeDisabled();

    await user.type(input('Mobile number'), '13900139000');
    await user.type(input('Image code'), 'MOCK');
    await waitFor(() => expect(screen.getByText(/This mobile number is already registered/)).toBeInTheDocument());
    expect(getCodeButton()).toBeDisabled();

    await user.clear(input('Mobile number'));
    await user.type(input('Mobile number'), FREE_MOBILE);
    await user.tab();
    await screen.findByText(`${FREE_MOBILE} is available.`);
    expect(getCodeButton()).toBeEnabled();

    await user.clear(input('Image code'));
    expect(getCodeButton()).toBeDisabled();
  });

  it('shows a wrong image code beside its input and loads a new image', async () => {
    const { user } = await openRegister();
    await user.type(input('Mobile number'), FREE_MOBILE);
    await user.tab();
    await screen.findByText(`${FREE_MOBILE} is available.`);
    await user.type(input('Image code'), 'ZZZZ');
    const image = screen.getByRole('img', { name: uiEn.captcha.alt });
    const firstSrc = image.getAttribute('src');

    await user.click(getCodeButton());
    const message = await screen.findByText('The image code is wrong. A new image has been requested.');
    expect(descriptionOf(input('Image code'))).toContain(message.textContent);
    expect(input('Image code')).toHaveAttribute('aria-invalid', 'true');
    expect(input('Image code')).toHaveValue('');
    expect(input('Image code')).toHaveFocus();
    expect(image.getAttribute('src')).not.toBe(firstSrc);
  });

  it('refreshes the captcha with the "New image" button and by clicking the image', async () => {
    const { user } = await openRegister();
    const image = screen.getByRole('img', { name: uiEn.captcha.alt });
    const sources = new Set([image.getAttribute('src')]);
    await user.click(screen.getByRole('button', { name: 'New image' }));
    sources.add(image.getAttribute('src'));
    await user.click(image);
    sources.add(image.getAttribute('src'));
    expect(sources.size).toBe(3);
  });

  it('in a development build, links to the dev outbox that holds the code just sent', async () => {
    const { user } = await openRegister();
    expect(screen.queryByRole('link', { name: /dev outbox/ })).not.toBeInTheDocument();
    await prepareSmsRequest(user);
    await user.click(getCodeButton());
    const link = await screen.findByRole('link', { name: 'See the code in the dev outbox' });
    expect(link).toHaveAttribute('href', `/api/__dev/sms/${FREE_MOBILE}/`);
    const outbox = await fetch(link.getAttribute('href') ?? '').then((r) => r.json());
    expect(outbox.data.code).toMatch(/^\d{6}$/);
  });

  it('counts down from the server\'s resendIn after a send, then offers "Get code" again', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { user } = await openRegister({ advanceTimers: vi.advanceTimersByTime });
    await prepareSmsRequest(user);
    const srcBefore = screen.getByRole('img', { name: uiEn.captcha.alt }).getAttribute('src');

    await user.click(getCodeButton());
    expect(await screen.findByText(/We sent a 6-digit code to 136\*\*\*\*5678/)).toBeInTheDocument();
    expect(getCodeButton()).toHaveTextContent('Resend in 60 s');
    expect(getCodeButton()).toBeDisabled();
    expect(input('SMS code')).toHaveFocus();
    // The captcha is single-use: a new one is shown and the old answer cleared.
    expect(screen.getByRole('img', { name: uiEn.captcha.alt }).getAttribute('src')).not.toBe(srcBefore);
    expect(input('Image code')).toHaveValue('');

    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(getCodeButton()).toHaveTextContent('Resend in 59 s');
    await act(() => vi.advanceTimersByTimeAsync(59_000));
    expect(getCodeButton()).toHaveTextContent('Get code');
    await user.type(input('Image code'), MOCK_CAPTCHA_ANSWER);
    expect(getCodeButton()).toBeEnabled();
  });

  it("shows a 429's retryAfter and counts down from it", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    // A code went to this mobile 18 s ago (say, from another tab): the server's cooldown runs on.
    db.cooldownUntil.set(FREE_MOBILE, Date.now() + 42_000);
    const { user } = await openRegister({ advanceTimers: vi.advanceTimersByTime });
    await prepareSmsRequest(user);
    await user.click(getCodeButton());

    expect(await screen.findByText('A code was just sent. Please wait 42 s before requesting another.')).toBeInTheDocument();
    expect(getCodeButton()).toHaveTextContent('Resend in 42 s');
    expect(getCodeButton()).toBeDisabled();
    // A cooldown is not the mobile's fault: the field stays valid.
    expect(input('Mobile number')).not.toHaveAttribute('aria-invalid');
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(getCodeButton()).toHaveTextContent('Resend in 40 s');
  });

  it('says a code may still arrive when the SMS provider did not confirm, and waits before offering another', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    server.use(
      http.post('/api/sms_code/', () =>
        HttpResponse.json(
          { errno: Code.SMSERROR, errmsg: SMS_MESSAGES.unconfirmed(60), data: { retryAfter: 60 } },
          { status: 502, headers: { 'retry-after': '60' } },
        ),
      ),
    );
    const { user } = await openRegister({ advanceTimers: vi.advanceTimersByTime });
    await prepareSmsRequest(user);
    await user.click(getCodeButton());
    expect(await screen.findByText(SMS_MESSAGES.unconfirmed(60))).toBeInTheDocument();
    expect(getCodeButton()).toHaveTextContent('Resend in 60 s');
    expect(input('SMS code')).toBeEnabled();
  });
});

describe('register form: submitting', () => {
  it('creates the account and lands on the home page, logged in', async () => {
    const { user } = await openRegister();
    await fillAccount(user);
    await prepareSmsRequest(user);
    await user.click(getCodeButton());
    await screen.findByText(/We sent a 6-digit code/);
    await user.type(input('SMS code'), await lastSmsCode(FREE_MOBILE));
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Welcome, carol_99' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/');
    expect(document.title).toBe('Home · Register');
  });

  it('when the account was created but the session could not be started, goes to login with a word', async () => {
    server.use(
      http.post('/api/user/register/', () =>
        HttpResponse.json({
          errno: Code.OK,
          errmsg: USER_MESSAGES.registeredNotLoggedIn,
          data: { id: 42, username: 'carol_99', mobile: FREE_MOBILE, loggedIn: false },
        }),
      ),
    );
    const { user } = await openRegister();
    await fillAccount(user);
    await prepareSmsRequest(user);
    await user.click(getCodeButton());
    await screen.findByText(/We sent a 6-digit code/);
    await user.type(input('SMS code'), await lastSmsCode(FREE_MOBILE));
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    expect(screen.getByRole('status')).toHaveTextContent(USER_MESSAGES.registeredNotLoggedIn);
  });

  it("puts the server's field messages beside their fields (wrong SMS code)", async () => {
    const { user } = await openRegister();
    await fillAccount(user);
    await prepareSmsRequest(user);
    await user.click(getCodeButton());
    await screen.findByText(/We sent a 6-digit code/);
    const code = await lastSmsCode(FREE_MOBILE);
    const wrong = code === '000000' ? '111111' : '000000';
    await user.type(input('SMS code'), wrong);
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    const message = await screen.findByText('The SMS code is wrong. 4 attempts left.');
    expect(descriptionOf(input('SMS code'))).toContain(message.textContent);
    expect(input('SMS code')).toHaveAttribute('aria-invalid', 'true');
    expect(input('SMS code')).toHaveFocus();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows a username taken in a race beside the username, and a server failure in the alert', async () => {
    server.use(
      http.post('/api/user/register/', () =>
        HttpResponse.json(
          {
            errno: Code.DATAEXIST,
            errmsg: 'This username is already taken.',
            data: { fields: { username: 'This username is already taken.' } },
          },
          { status: 409 },
        ),
      ),
    );
    const { user } = await openRegister();
    await fillAccount(user);
    await user.type(input('Mobile number'), FREE_MOBILE);
    await user.type(input('SMS code'), '123456');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('This username is already taken.')).toBeInTheDocument();
    expect(input('Username')).toHaveAttribute('aria-invalid', 'true');
    expect(input('Username')).toHaveFocus();

    server.use(http.post('/api/user/register/', () => HttpResponse.error()));
    await user.clear(input('Username'));
    await user.type(input('Username'), 'erin_777');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server');
  });

  it('disables "Create account" while the request is pending', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      http.post('/api/user/register/', async () => {
        await released;
        return HttpResponse.json({ errno: Code.PARAMERR, errmsg: 'Nope.', data: null }, { status: 400 });
      }),
    );
    const { user } = await openRegister();
    await fillAccount(user);
    await user.type(input('Mobile number'), FREE_MOBILE);
    await user.type(input('SMS code'), '123456');
    const submit = screen.getByRole('button', { name: 'Create account' });
    await user.click(submit);
    await waitFor(() => expect(submit).toBeDisabled());
    release();
    expect(await screen.findByRole('alert')).toHaveTextContent('Nope.');
    expect(submit).toBeEnabled();
    expect(within(screen.getByRole('main')).getAllByRole('alert')).toHaveLength(1);
  });
});
