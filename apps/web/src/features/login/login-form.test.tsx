import { AUTH_MESSAGES, Code } from '@register/contracts';
import { screen } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { MOCK_LOGIN, MOCK_PASSWORD } from '../../mocks/db';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render-app';

async function openLogin() {
  const view = renderApp('/login');
  await screen.findByRole('heading', { level: 1, name: 'Log in' });
  return view;
}

const input = (label: string) => screen.getByLabelText(label, { exact: true });
const submitButton = () => screen.getByRole('button', { name: 'Log in' });

describe('login form', () => {
  it('has labelled inputs with login autocomplete hints and a link to register', async () => {
    await openLogin();
    expect(document.title).toBe('Log in · Register');
    expect(input('Username or mobile')).toHaveAttribute('autocomplete', 'username');
    expect(input('Password')).toHaveAttribute('autocomplete', 'current-password');
    expect(input('Password')).toHaveAttribute('type', 'password');
    expect(screen.getByRole('link', { name: 'Create an account' })).toHaveAttribute('href', '/register');
  });

  it('reports empty fields beside them, without asking the server', async () => {
    let asked = false;
    server.events.on('request:start', ({ request }) => {
      if (request.url.endsWith('/api/user/login/')) asked = true;
    });
    const { user } = await openLogin();
    await user.click(submitButton());

    expect(await screen.findByText('Username or mobile is required.')).toBeInTheDocument();
    expect(screen.getByText('Password is required.')).toBeInTheDocument();
    expect(input('Username or mobile')).toHaveAttribute('aria-invalid', 'true');
    expect(input('Username or mobile')).toHaveFocus();
    expect(asked).toBe(false);
    server.events.removeAllListeners();
  });

  it('logs in with a username and shows who is logged in', async () => {
    const { user } = await openLogin();
    await user.type(input('Username or mobile'), 'alice_1');
    await user.type(input('Password'), MOCK_PASSWORD);
    await user.click(submitButton());

    expect(await screen.findByRole('heading', { level: 1, name: 'Welcome, alice_1' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/');
  });

  it('logs in with a mobile number given with a +86 prefix (normalised like the API does)', async () => {
    const { user } = await openLogin();
    await user.type(input('Username or mobile'), '+86 13800138000');
    await user.type(input('Password'), `${MOCK_PASSWORD}{Enter}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Welcome, admin' })).toBeInTheDocument();
  });

  it('shows a wrong password in the form-level alert and keeps the visitor on the page', async () => {
    const { user } = await openLogin();
    await user.type(input('Username or mobile'), 'alice_1');
    await user.type(input('Password'), 'not-the-password');
    await user.click(submitButton());

    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong username, mobile number or password.');
    expect(window.location.pathname).toBe('/login');
    expect(submitButton()).toBeEnabled();
  });

  it('says how long to wait after too many failures', async () => {
    const { user } = await openLogin();
    await user.type(input('Username or mobile'), 'alice_1');
    for (let attempt = 0; attempt <= MOCK_LOGIN.maxFailures; attempt++) {
      await user.clear(input('Password'));
      await user.type(input('Password'), `wrong-${attempt}{Enter}`);
      await screen.findByRole('alert');
    }
    expect(screen.getByRole('alert')).toHaveTextContent(`${AUTH_MESSAGES.throttled} Try again in 15 minutes.`);
  });

  it('disables the button while logging in, and reports an unreachable server', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      http.post('/api/user/login/', async () => {
        await released;
        return HttpResponse.error();
      }),
    );
    const { user } = await openLogin();
    await user.type(input('Username or mobile'), 'alice_1');
    await user.type(input('Password'), MOCK_PASSWORD);
    await user.click(submitButton());
    expect(submitButton()).toBeDisabled();
    release();
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server');
    expect(submitButton()).toBeEnabled();
  });

  it("shows the server's field messages beside their fields", async () => {
    server.use(
      http.post('/api/user/login/', () =>
        HttpResponse.json(
          {
            errno: Code.PARAMERR,
            errmsg: 'Enter your username or mobile number.',
            data: { fields: { account: 'Enter your username or mobile number.' } },
          },
          { status: 400 },
        ),
      ),
    );
    const { user } = await openLogin();
    await user.type(input('Username or mobile'), 'x');
    await user.type(input('Password'), 'y{Enter}');
    expect(await screen.findByText('Enter your username or mobile number.')).toBeInTheDocument();
    expect(input('Username or mobile')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
