import { act, screen } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { db, MOCK_SEED_USERS } from './mocks/db';
import { server } from './mocks/server';
import { renderApp } from './test/render-app';

/** The mock's single session: as if the visitor had logged in before opening the page. */
function logInAs(username: string) {
  const user = db.users.find((u) => u.username === username);
  if (!user) throw new Error(`no mock user ${username}`);
  db.sessionUserId = user.id;
}

describe('routing and the session', () => {
  it('sends an anonymous visitor from / to /login, with no failed request on the way', async () => {
    const statuses: number[] = [];
    const record = ({ response }: { response: Response }) => void statuses.push(response.status);
    server.events.on('response:mocked', record);
    try {
      renderApp('/');
      expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toBeInTheDocument();
      expect(window.location.pathname).toBe('/login');
      // The session question is a 200 for a visitor too: a page load logs nothing red.
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.filter((status) => status >= 400)).toEqual([]);
    } finally {
      server.events.removeListener('response:mocked', record);
    }
  });

  it('shows /register before the session answers, so a slow answer delays nothing', async () => {
    let answer: () => void = () => {};
    server.use(
      http.get('/api/user/session/', async () => {
        await new Promise<void>((resolve) => {
          answer = resolve;
        });
        return HttpResponse.json({ errno: '0', errmsg: 'Success', data: null });
      }),
    );
    renderApp('/register');
    expect(await screen.findByRole('heading', { level: 1, name: 'Create your account' })).toBeInTheDocument();
    expect(await screen.findByLabelText('Username')).toBeEnabled();
    answer();
  });

  it.each(['/register', '/login'])('sends a logged-in visitor from %s to /', async (path) => {
    logInAs(MOCK_SEED_USERS[1].username);
    renderApp(path);
    expect(await screen.findByRole('heading', { level: 1, name: 'Welcome, alice_1' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/');
    expect(document.title).toBe('Home · Register');
  });

  it('navigates by links without reloading, moves focus to the new heading, and follows Back', async () => {
    const { user } = renderApp('/login');
    await screen.findByRole('heading', { level: 1, name: 'Log in' });
    await user.click(screen.getByRole('link', { name: 'Create an account' }));

    const heading = await screen.findByRole('heading', { level: 1, name: 'Create your account' });
    expect(window.location.pathname).toBe('/register');
    expect(heading).toHaveFocus();
    expect(document.title).toBe('Create your account · Register');

    await act(async () => {
      const popped = new Promise((resolve) => window.addEventListener('popstate', resolve, { once: true }));
      window.history.back();
      await popped;
    });
    expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
  });

  it('leaves modified clicks (new tab) to the browser', async () => {
    const { user } = renderApp('/login');
    await screen.findByRole('heading', { level: 1, name: 'Log in' });
    const link = screen.getByRole('link', { name: 'Create an account' });
    // Seen after React's own handler (on the root), before the browser's default action.
    let defaultPrevented: boolean | undefined;
    const spy = (event: Event) => {
      defaultPrevented = event.defaultPrevented;
      event.preventDefault(); // the test environment cannot open tabs
    };
    window.addEventListener('click', spy);
    await user.keyboard('{Control>}');
    await user.click(link);
    await user.keyboard('{/Control}');
    window.removeEventListener('click', spy);
    expect(defaultPrevented).toBe(false);
    expect(window.location.pathname).toBe('/login');
  });

  it('logs out from the home page and lands on /login', async () => {
    logInAs('admin');
    const { user } = renderApp('/');
    await screen.findByRole('heading', { level: 1, name: 'Welcome, admin' });
    expect(screen.getByText('138****8000')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Log out' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Log in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    expect(db.sessionUserId).toBeNull();
  });

  it('shows a not-found page for unknown paths', async () => {
    renderApp('/nowhere');
    expect(await screen.findByRole('heading', { level: 1, name: 'Page not found' })).toBeInTheDocument();
    expect(document.title).toBe('Page not found · Register');
  });
});
