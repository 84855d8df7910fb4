// The account page's passkeys against the mock API, with a fake authenticator in place of the
// browser's (test/webauthn.ts; @simplewebauthn/browser itself runs between them): adding one,
// the list, renaming and deleting, a prompt dismissed, refusals, no section without WebAuthn,
// and Chinese.
import { en } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { uiEn } from '../../i18n/ui.en';
import { accountUiEn } from '../../i18n/ui-account.en';
import { accountUiZhCN } from '../../i18n/ui-account.zh-CN';
import { SESSION_NOTICE_ID } from '../../lib/session';
import { db, MOCK_SEED_USERS } from '../../mocks/db';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render-app';
import { installFakeAuthenticator, seedPasskey } from '../../test/webauthn';

const a = accountUiEn.account;
const ALICE = MOCK_SEED_USERS[1];

function logInAs(username: string) {
  const user = db.users.find((u) => u.username === username);
  if (!user) throw new Error(`no mock user ${username}`);
  db.sessionUserId = user.id;
  return user;
}

async function openAccount() {
  const account = logInAs(ALICE.username);
  const view = renderApp('/account');
  await screen.findByRole('heading', { level: 1, name: a.title });
  return { ...view, account };
}

const passkeys = () => screen.getByRole('region', { name: a.passkeysHeading });
const inPasskeys = () => within(passkeys());
const statusLine = () => {
  const status = passkeys().querySelector<HTMLElement>('.form-status');
  if (!status) throw new Error('no status line');
  return status;
};
const items = () => inPasskeys().queryAllByRole('listitem');

describe('the account page: passkeys', () => {
  it('is not there where the browser has no WebAuthn, and asks for no passkeys', async () => {
    const asked: string[] = [];
    server.events.on('request:start', ({ request }) => asked.push(new URL(request.url).pathname));
    await openAccount();
    await screen.findByRole('heading', { level: 2, name: a.sessionsHeading });
    expect(screen.queryByRole('heading', { name: a.passkeysHeading })).not.toBeInTheDocument();
    expect(asked).not.toContain('/api/user/passkeys/');
    server.events.removeAllListeners();
  });

  it('adds a passkey with the browser’s prompt and lists it', async () => {
    const fake = installFakeAuthenticator();
    const { user, account } = await openAccount();
    expect(await inPasskeys().findByText(a.noPasskeys)).toBeInTheDocument();
    const add = inPasskeys().getByRole('button', { name: a.addPasskey });
    await user.click(add);

    expect(await within(statusLine()).findByText(en.passkeys.added)).toBeInTheDocument();
    expect(fake.calls).toEqual([expect.objectContaining({ kind: 'create' })]);
    const [item] = await waitFor(() => {
      expect(items()).toHaveLength(1);
      return items();
    });
    const stored = db.passkeys.find((p) => p.userId === account.id);
    expect(stored).toBeDefined();
    expect(within(item!).getByText(stored!.name)).toBeInTheDocument();
    expect(within(item!).getByText(a.passkeySynced)).toBeInTheDocument();
    expect(within(item!).getByText(a.passkeyNeverUsed)).toBeInTheDocument();
    expect(within(item!).getByText('built into the device, phone or tablet nearby')).toBeInTheDocument();
    expect(inPasskeys().queryByText(a.noPasskeys)).not.toBeInTheDocument();
    expect(inPasskeys().queryByRole('alert')).not.toBeInTheDocument();
    expect(add).toBeEnabled();
    expect(add).toHaveFocus();
  });

  it('says calmly that nothing was added when the prompt is dismissed', async () => {
    const fake = installFakeAuthenticator();
    fake.next = 'NotAllowedError';
    const { user } = await openAccount();
    await inPasskeys().findByText(a.noPasskeys);
    await user.click(inPasskeys().getByRole('button', { name: a.addPasskey }));
    expect(await within(statusLine()).findByText(a.passkeyNotAdded)).toBeInTheDocument();
    expect(statusLine()).toHaveAttribute('data-tone', 'info');
    expect(inPasskeys().queryByRole('alert')).not.toBeInTheDocument();
    expect(db.passkeys).toHaveLength(0);
  });

  it('shows the API’s refusal of an answer for another origin, and the browser’s own failures, in the alert', async () => {
    const fake = installFakeAuthenticator();
    const { user } = await openAccount();
    await inPasskeys().findByText(a.noPasskeys);
    const add = inPasskeys().getByRole('button', { name: a.addPasskey });

    fake.origin = 'https://evil.example';
    await user.click(add);
    expect(await inPasskeys().findByRole('alert')).toHaveTextContent(en.passkeys.failed);
    expect(db.passkeys).toHaveLength(0);

    fake.origin = window.location.origin;
    fake.next = 'InvalidStateError'; // this authenticator holds one of the account's already
    await user.click(add);
    await waitFor(() => expect(inPasskeys().getByRole('alert')).toHaveTextContent(en.passkeys.duplicate));

    fake.next = 'NotSupportedError';
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await user.click(add);
    await waitFor(() => expect(inPasskeys().getByRole('alert')).toHaveTextContent(a.passkeyBrowserFailed));
    expect(warned).toHaveBeenCalledWith(expect.objectContaining({ name: 'NotSupportedError' }));
    warned.mockRestore();
    expect(statusLine()).toBeEmptyDOMElement();
  });

  it('renames a passkey in place: the contracts’ rule first, Escape to cancel, the focus back on its button', async () => {
    const fake = installFakeAuthenticator();
    const alice = logInAs(ALICE.username);
    const seeded = seedPasskey(fake, alice.id, { name: 'Chrome on Linux', lastUsedAt: new Date().toISOString() });
    const { user } = await openAccount();
    const rename = await inPasskeys().findByRole('button', { name: a.rename });
    expect(rename).toHaveAccessibleDescription(expect.stringContaining('Chrome on Linux'));

    await user.click(rename);
    const field = inPasskeys().getByLabelText(en.fields.passkeyName.title);
    expect(field).toHaveFocus();
    expect(field).toHaveValue('Chrome on Linux');
    await user.keyboard('{Escape}');
    expect(inPasskeys().queryByLabelText(en.fields.passkeyName.title)).not.toBeInTheDocument();
    expect(inPasskeys().getByRole('button', { name: a.rename })).toHaveFocus();

    await user.keyboard('{Enter}');
    await user.clear(inPasskeys().getByLabelText(en.fields.passkeyName.title));
    await user.click(inPasskeys().getByRole('button', { name: a.saveName }));
    expect(await inPasskeys().findByText(`${en.fields.passkeyName.title} is required.`)).toBeInTheDocument();

    await user.type(inPasskeys().getByLabelText(en.fields.passkeyName.title), '  Work laptop {Enter}');
    expect(await within(statusLine()).findByText(en.passkeys.renamed)).toBeInTheDocument();
    expect(inPasskeys().getByText('Work laptop')).toBeInTheDocument();
    expect(db.passkeys.find((p) => p.id === seeded.id)?.name).toBe('Work laptop');
    expect(inPasskeys().getByRole('button', { name: a.rename })).toHaveFocus();
  });

  it('deletes a passkey after a confirmation in the page, the harmless choice focused first', async () => {
    const fake = installFakeAuthenticator();
    const alice = logInAs(ALICE.username);
    seedPasskey(fake, alice.id, { name: 'Phone' });
    seedPasskey(fake, alice.id, { name: 'YubiKey', backedUp: false, transports: ['usb', 'nfc'] });
    const { user } = await openAccount();
    await waitFor(() => expect(items()).toHaveLength(2));
    const yubikey = items()[1]!;
    expect(within(yubikey).getByText(a.passkeyDeviceBound)).toBeInTheDocument();
    expect(within(yubikey).getByText('USB, NFC')).toBeInTheDocument();

    await user.click(within(yubikey).getByRole('button', { name: a.delete }));
    const question = within(yubikey).getByRole('group', { name: a.confirmDelete('YubiKey') });
    expect(within(question).getByRole('button', { name: a.cancel })).toHaveFocus();
    await user.keyboard('{Enter}'); // Cancel
    expect(within(yubikey).getByRole('button', { name: a.delete })).toHaveFocus();
    expect(db.passkeys).toHaveLength(2);

    await user.keyboard('{Enter}');
    await user.click(within(yubikey).getByRole('button', { name: a.deletePasskey }));
    expect(await within(statusLine()).findByText(en.passkeys.deleted)).toBeInTheDocument();
    await waitFor(() => expect(items()).toHaveLength(1));
    expect(inPasskeys().getByText('Phone')).toBeInTheDocument();
    expect(db.passkeys.map((p) => p.name)).toEqual(['Phone']);
    expect(screen.getByRole('heading', { level: 2, name: a.passkeysHeading })).toHaveFocus();
  });

  it('says when a passkey was deleted meanwhile, and lists the passkeys again', async () => {
    const fake = installFakeAuthenticator();
    const alice = logInAs(ALICE.username);
    seedPasskey(fake, alice.id, { name: 'Phone' });
    const { user } = await openAccount();
    await user.click(await inPasskeys().findByRole('button', { name: a.delete }));
    db.passkeys = []; // on another device
    await user.click(inPasskeys().getByRole('button', { name: a.deletePasskey }));
    expect(await inPasskeys().findByRole('alert')).toHaveTextContent(en.passkeys.notFound);
    expect(await inPasskeys().findByText(a.noPasskeys)).toBeInTheDocument();
  });

  it('sends the visitor to log in when the session ended before a passkey was added', async () => {
    installFakeAuthenticator();
    const { user } = await openAccount();
    await inPasskeys().findByText(a.noPasskeys);
    db.sessionUserId = null;
    db.currentSessionId = null;
    await user.click(inPasskeys().getByRole('button', { name: a.addPasskey }));
    expect(await screen.findByRole('heading', { level: 1, name: uiEn.login.title })).toBeInTheDocument();
    expect(document.getElementById(SESSION_NOTICE_ID)).toHaveTextContent(a.sessionLost);
  });

  it('sits between the password and mobile sections in the tab order, every control reached and used by keyboard', async () => {
    const fake = installFakeAuthenticator();
    const alice = logInAs(ALICE.username);
    seedPasskey(fake, alice.id, { name: 'Phone' });
    const { user } = await openAccount();
    const rename = await inPasskeys().findByRole('button', { name: a.rename });
    screen.getByRole('button', { name: a.changePassword }).focus();
    for (const expected of [
      rename,
      inPasskeys().getByRole('button', { name: a.delete }),
      inPasskeys().getByRole('button', { name: a.addPasskey }),
      screen.getByLabelText(a.newMobile),
    ]) {
      await user.tab();
      expect(document.activeElement).toBe(expected);
    }
    await user.tab({ shift: true });
    await user.keyboard('{Enter}'); // Add a passkey
    expect(await within(statusLine()).findByText(en.passkeys.added)).toBeInTheDocument();
    await waitFor(() => expect(items()).toHaveLength(2));
  });

  it('is said in Chinese, the API’s answers too', async () => {
    installFakeAuthenticator();
    const { user } = await openAccount();
    await user.selectOptions(screen.getByRole('combobox', { name: uiEn.language.label }), 'zh-CN');
    const zh = accountUiZhCN.account;
    const region = await screen.findByRole('region', { name: zh.passkeysHeading });
    expect(await within(region).findByText(zh.noPasskeys)).toBeInTheDocument();
    await user.click(within(region).getByRole('button', { name: zh.addPasskey }));
    expect(await within(region).findByText(zhCN.passkeys.added)).toBeInTheDocument();
    expect(await within(region).findByText(zh.passkeyNeverUsed)).toBeInTheDocument();
    expect(within(region).getByText('设备内置、附近的手机或平板')).toBeInTheDocument();
    await user.click(within(region).getByRole('button', { name: zh.rename }));
    expect(within(region).getByLabelText(zhCN.fields.passkeyName.title)).toHaveFocus();
  });
});
