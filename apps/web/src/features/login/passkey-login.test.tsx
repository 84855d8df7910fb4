// Logging in with a passkey on the login page, against the mock API with a fake authenticator
// (test/webauthn.ts; @simplewebauthn/browser runs between them): the button, the autofill
// request started as the page opens where the browser offers it (and not where it does not),
// what ends that request, a dismissed prompt, refusals, and Chinese.
import { en } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import { screen, waitFor } from '@testing-library/react';
import { http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uiEn } from '../../i18n/ui.en';
import { uiZhCN } from '../../i18n/ui.zh-CN';
import { db, MOCK_SEED_USERS } from '../../mocks/db';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render-app';
import { installFakeAuthenticator, seedPasskey } from '../../test/webauthn';

const ALICE = MOCK_SEED_USERS[1];
const alice = () => db.users.find((u) => u.username === ALICE.username)!;
const OPTIONS_PATH = '/api/passkeys/login/options/';

/** The paths of the API requests made, in order. */
function requests() {
  const paths: string[] = [];
  server.events.on('request:start', ({ request }) => paths.push(new URL(request.url).pathname));
  return paths;
}

async function openLogin() {
  const view = renderApp('/login');
  await screen.findByRole('heading', { level: 1, name: uiEn.login.title });
  return view;
}

const passkeyButton = () => screen.getByRole('button', { name: uiEn.login.passkey });
const form = () => screen.getByRole('button', { name: uiEn.login.submit }).closest('form')!;

afterEach(() => {
  server.events.removeAllListeners();
});

describe('login with a passkey', () => {
  it('offers no passkey where the browser has no WebAuthn', async () => {
    const paths = requests();
    await openLogin();
    expect(screen.queryByRole('button', { name: uiEn.login.passkey })).not.toBeInTheDocument();
    expect(screen.getByLabelText(uiEn.login.account)).toHaveAttribute('autocomplete', 'username');
    expect(paths).not.toContain(OPTIONS_PATH);
  });

  it('logs in with "Sign in with a passkey", and makes no autofill request where the browser offers none', async () => {
    const fake = installFakeAuthenticator({ autofill: false });
    seedPasskey(fake, alice().id);
    const paths = requests();
    const { user } = await openLogin();
    expect(screen.getByLabelText(uiEn.login.account)).toHaveAttribute('autocomplete', 'username webauthn');
    expect(form()).toHaveAttribute('data-passkey-autofill', 'off');
    expect(paths).not.toContain(OPTIONS_PATH);

    await user.click(passkeyButton());
    expect(await screen.findByRole('heading', { level: 1, name: uiEn.home.welcome(ALICE.username) })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/');
    expect(fake.calls).toEqual([expect.objectContaining({ kind: 'get', mediation: undefined })]);
    expect(paths.filter((p) => p === OPTIONS_PATH)).toHaveLength(1);
    expect(db.passkeys[0]?.lastUsedAt).not.toBeNull();
  });

  it('starts the autofill request as the page opens, and logs in with the passkey picked there', async () => {
    const fake = installFakeAuthenticator({ autofill: true });
    seedPasskey(fake, alice().id);
    const paths = requests();
    await openLogin();
    await waitFor(() => expect(form()).toHaveAttribute('data-passkey-autofill', 'listening'));
    await waitFor(() => expect(fake.autofill).not.toBeNull());
    expect(paths.filter((p) => p === OPTIONS_PATH)).toHaveLength(1);
    expect(fake.calls).toEqual([expect.objectContaining({ kind: 'get', mediation: 'conditional' })]);

    fake.pickFromAutofill();
    expect(await screen.findByRole('heading', { level: 1, name: uiEn.home.welcome(ALICE.username) })).toBeInTheDocument();
  });

  it('ends the autofill request when the button is used, and starts it again when the button did not log in', async () => {
    const fake = installFakeAuthenticator({ autofill: true });
    seedPasskey(fake, alice().id);
    const { user } = await openLogin();
    await waitFor(() => expect(fake.autofill).not.toBeNull());
    const first = fake.autofill!.signal!;

    fake.next = 'NotAllowedError'; // the visitor dismisses the prompt
    await user.click(passkeyButton());
    expect(await screen.findByText(uiEn.login.passkeyNotUsed)).toBeInTheDocument();
    expect(first.aborted).toBe(true);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    // Waiting again, on a new challenge.
    await waitFor(() => expect(fake.autofill?.signal).not.toBe(first));
    await waitFor(() => expect(fake.autofill).not.toBeNull());
    expect(fake.calls.map((c) => c.mediation ?? 'modal')).toEqual(['conditional', 'modal', 'conditional']);
    expect(passkeyButton()).toBeEnabled();
  });

  it('logs in with the button pressed while the autofill request’s options are still on their way', async () => {
    const fake = installFakeAuthenticator({ autofill: true });
    seedPasskey(fake, alice().id);
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The autofill's options are held; then answered by the mock (a handler that returns nothing passes on).
    server.use(http.post(OPTIONS_PATH, () => released, { once: true }));
    const paths = requests();
    const { user } = await openLogin();
    await waitFor(() => expect(form()).toHaveAttribute('data-passkey-autofill', 'starting'));
    await user.click(passkeyButton());
    // The button's options are asked for only once the autofill's have come: its challenge is the session's.
    expect(paths.filter((p) => p === OPTIONS_PATH)).toHaveLength(1);
    release();
    expect(await screen.findByRole('heading', { level: 1, name: uiEn.home.welcome(ALICE.username) })).toBeInTheDocument();
    expect(paths.filter((p) => p === OPTIONS_PATH)).toHaveLength(2);
    expect(fake.calls.map((c) => c.mediation ?? 'modal')).toEqual(['modal']);
  });

  it('ends the autofill request when the page is left', async () => {
    const fake = installFakeAuthenticator({ autofill: true });
    const { user } = await openLogin();
    await waitFor(() => expect(fake.autofill).not.toBeNull());
    const signal = fake.autofill!.signal!;
    await user.click(screen.getByRole('link', { name: uiEn.login.createAccount }));
    await screen.findByRole('heading', { level: 1, name: uiEn.register.title });
    expect(signal.aborted).toBe(true);
    expect(fake.autofill).toBeNull();
  });

  it('says an unknown passkey and a request that expired in the form’s alert', async () => {
    const fake = installFakeAuthenticator();
    seedPasskey(fake, alice().id);
    db.passkeys = []; // deleted on another device: the authenticator still holds it
    const { user } = await openLogin();
    await user.click(passkeyButton());
    expect(await screen.findByRole('alert')).toHaveTextContent(en.passkeys.failed);
    expect(window.location.pathname).toBe('/login');

    // The challenge expires while the prompt is open.
    server.events.on('response:mocked', ({ request }) => {
      if (new URL(request.url).pathname === OPTIONS_PATH) db.passkeyChallenges.clear();
    });
    await user.click(passkeyButton());
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent(en.passkeys.expired));
    expect(passkeyButton()).toBeEnabled();
  });

  it('is said in Chinese', async () => {
    const fake = installFakeAuthenticator();
    seedPasskey(fake, alice().id);
    db.passkeys = []; // unknown to the API
    fake.next = 'NotSupportedError';
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { user } = await openLogin();
    await user.selectOptions(screen.getByRole('combobox', { name: uiEn.language.label }), 'zh-CN');
    const button = await screen.findByRole('button', { name: uiZhCN.login.passkey });
    await user.click(button);
    expect(await screen.findByRole('alert')).toHaveTextContent(uiZhCN.login.passkeyFailed);
    expect(warned).toHaveBeenCalledWith(expect.objectContaining({ name: 'NotSupportedError' }));
    warned.mockRestore();
    fake.next = 'answer';
    await user.click(button);
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent(zhCN.passkeys.failed));
  });
});
