// /verify-email#token=...: the token leaves the address bar before any request, is sent once,
// and the page says what happened; the whole way from the account page through the mailed link.
import { en } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import { screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { accountUiEn } from '../../i18n/ui-account.en';
import { accountUiZhCN } from '../../i18n/ui-account.zh-CN';
import { db, MOCK_MAIL, MOCK_SEED_USERS, type MockUser } from '../../mocks/db';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render-app';

const v = accountUiEn.verify;
const a = accountUiEn.account;
let tokens = 0;
/** A new token per test: the page sends each token once per page load (and remembers its answer). */
const newToken = () => `tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ_${++tokens}`;
const sentTo = (email: string) => en.account.emailSent(email, MOCK_MAIL.tokenTtlSeconds / 3600);

function seedToken(username: string, email: string, token: string): MockUser {
  const user = db.users.find((u) => u.username === username);
  if (!user) throw new Error(`no mock user ${username}`);
  Object.assign(user, { email, emailActive: false });
  db.emailTokens.set(token, { userId: user.id, email, expiresAt: Date.now() + 60_000 });
  return user;
}

/** Each POST /user/email/verify/: its body, and the address bar when it was sent. */
function recordVerifications(): { body: unknown; href: string }[] {
  const seen: { body: unknown; href: string }[] = [];
  server.events.on('request:start', ({ request }) => {
    if (new URL(request.url).pathname !== '/api/user/email/verify/') return;
    const href = window.location.href;
    void request
      .clone()
      .json()
      .then((body) => seen.push({ body, href }));
  });
  return seen;
}

afterEach(() => {
  server.events.removeAllListeners();
});

describe('email verification', () => {
  it('takes the token out of the address bar first, sends it once, and says the address is verified', async () => {
    const token = newToken();
    const user = seedToken(MOCK_SEED_USERS[1].username, 'alice@example.com', token);
    const seen = recordVerifications();
    renderApp(`/verify-email#token=${token}`);
    // Synchronously, at the first render: before the page's chunk or any answer arrived.
    expect(window.location.hash).toBe('');
    expect(window.location.pathname).toBe('/verify-email');

    expect(await screen.findByRole('heading', { level: 1, name: v.title })).toBeInTheDocument();
    expect(await screen.findByText(en.account.emailVerified)).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent(en.account.emailVerified);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(user.emailActive).toBe(true);
    expect(seen).toEqual([{ body: { token }, href: 'http://localhost/verify-email' }]);
    expect(screen.getByRole('link', { name: v.toAccount })).toHaveAttribute('href', '/account');
    expect(document.title).toBe(`${v.title} · Register`);
  });

  it('says an invalid, used or expired link is one, and offers no pointless retry', async () => {
    renderApp('/verify-email#token=tok_not-a-token-we-ever-sent-1234');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(en.account.tokenInvalid);
    expect(window.location.hash).toBe('');
    expect(screen.queryByRole('button', { name: v.retry })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: v.toAccount })).toBeInTheDocument();
  });

  it('says when another account verified the address meanwhile', async () => {
    const token = newToken();
    seedToken(MOCK_SEED_USERS[1].username, 'shared@example.com', token);
    const bob = db.users.find((u) => u.username === MOCK_SEED_USERS[2].username);
    Object.assign(bob ?? {}, { email: 'shared@example.com', emailActive: true });
    renderApp(`/verify-email#token=${token}`);
    expect(await screen.findByRole('alert')).toHaveTextContent(en.account.emailTaken);
  });

  it('says a link without its token is incomplete, without asking the API', async () => {
    const seen = recordVerifications();
    renderApp('/verify-email');
    expect(await screen.findByRole('alert')).toHaveTextContent(en.fields.emailToken.invalid);
    expect(seen).toEqual([]);
  });

  it('offers a retry when the answer did not arrive, and the token is sent again then', async () => {
    const token = newToken();
    seedToken(MOCK_SEED_USERS[1].username, 'alice@example.com', token);
    server.use(http.post('/api/user/email/verify/', () => HttpResponse.error(), { once: true }));
    const { user } = renderApp(`/verify-email#token=${token}`);
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server');
    await user.click(screen.getByRole('button', { name: v.retry }));
    // The button went: the focus is at the top of the page, not lost.
    expect(screen.getByRole('heading', { level: 1, name: v.title })).toHaveFocus();
    expect(await screen.findByText(en.account.emailVerified)).toBeInTheDocument();
  });

  it('works the whole way: the address set on the account page, the mailed link opened, verified there', async () => {
    const alice = db.users.find((u) => u.username === MOCK_SEED_USERS[1].username);
    db.sessionUserId = alice?.id ?? null;
    const { user, unmount } = renderApp('/account');
    await user.type(await screen.findByLabelText(a.emailLabel), 'alice@example.com{Enter}');
    await screen.findByText(sentTo('alice@example.com'));
    const link = db.mail.get('alice@example.com')?.link ?? '';
    expect(link).toMatch(/^http:\/\/localhost\/verify-email#token=/);
    unmount();

    // As the browser opens the link from the email: a new page load.
    renderApp(new URL(link).pathname + new URL(link).hash);
    expect(await screen.findByText(en.account.emailVerified)).toBeInTheDocument();
    await user.click(screen.getByRole('link', { name: v.toAccount }));
    const profile = await screen.findByRole('region', { name: a.profile });
    await waitFor(() => expect(within(profile).getByText(a.verified)).toBeInTheDocument());
    expect(alice?.emailActive).toBe(true);
  });

  it('is said in Chinese', async () => {
    localStorage.setItem('locale', 'zh-CN');
    const { setLocale } = await import('../../i18n/locale');
    await setLocale('zh-CN');
    const token = newToken();
    seedToken(MOCK_SEED_USERS[1].username, 'alice@example.com', token);
    renderApp(`/verify-email#token=${token}`);
    expect(await screen.findByRole('heading', { level: 1, name: accountUiZhCN.verify.title })).toBeInTheDocument();
    expect(await screen.findByText(zhCN.account.emailVerified)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: accountUiZhCN.verify.toAccount })).toBeInTheDocument();
  });
});
