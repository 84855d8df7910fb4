// The image code's alternative (a proof of work the browser solves), as a visitor meets it: the
// switch, what the live region says, what "Get code" sends, and the API having it off.
import { CAPTCHA_MESSAGES, Code, en, SMS_MESSAGES } from '@register/contracts';
import { act, screen, waitFor } from '@testing-library/react';
import { type Payload, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/web/pbkdf2';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uiEn } from '../../i18n/ui.en';
import { MOCK_ALTCHA } from '../../mocks/db';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render-app';

const FREE_MOBILE = '13612345678';
const PASSWORD = 'Blue-harbour-77';
const SWITCH_ON = "Can't read the image? Verify another way";
const SWITCH_OFF = 'Use the image code instead';
const VERIFYING = 'Verifying… this takes a few seconds.';
const VERIFIED = 'Verified. You can now get the code.';

async function openRegister(options?: Parameters<typeof renderApp>[1]) {
  const view = renderApp('/register', options);
  await screen.findByRole('heading', { level: 1, name: 'Create your account' });
  return view;
}
type User = Awaited<ReturnType<typeof openRegister>>['user'];

const input = (label: string) => screen.getByLabelText(label, { exact: true });
const liveRegion = () => screen.getByRole('status');
const getCodeButton = () => screen.getByRole('button', { name: /^(Get code|Resend in \d+ s)$/ });

/** The bodies of the SMS requests the page sends. */
function recordSmsRequests(): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  server.events.on('request:start', ({ request }) => {
    if (new URL(request.url).pathname === '/api/sms_code/')
      void request
        .clone()
        .json()
        .then((body) => bodies.push(body));
  });
  return bodies;
}

const decode = (payload: unknown): Payload => JSON.parse(atob(String(payload)));

async function typeFreeMobile(user: User) {
  await user.type(input('Mobile number'), FREE_MOBILE);
  await user.tab();
  await screen.findByText(`${FREE_MOBILE} is available.`);
}

/** Holds GET /api/captcha/altcha/ until released, to see the page while it waits. */
function holdChallenges() {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  server.use(
    http.get('/api/captcha/altcha/', async () => {
      await released;
      // Falls through to the mock's own handler, which issues a real challenge.
      return undefined;
    }),
  );
  return () => release();
}

afterEach(() => {
  vi.useRealTimers();
  server.events.removeAllListeners();
});

describe('register form: the image code’s alternative', () => {
  it('swaps the image field for the proof of work and back, the rest of the form as it was', async () => {
    const { user } = await openRegister();
    await user.type(input('Username'), 'carol_99');
    const toggle = screen.getByRole('button', { name: SWITCH_ON });
    expect(toggle).toHaveAttribute('type', 'button');
    // The live region is in the page before it has anything to say.
    expect(liveRegion()).toBeEmptyDOMElement();

    await user.click(toggle);
    expect(screen.queryByLabelText('Image code', { exact: true })).not.toBeInTheDocument();
    expect(screen.queryByRole('img', { name: uiEn.captcha.alt })).not.toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Verification' })).toHaveTextContent(uiEn.altcha.explain);
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));
    // The same button, relabelled: focus stays where the visitor is.
    expect(toggle).toHaveAccessibleName(SWITCH_OFF);
    expect(toggle).toHaveFocus();
    expect(input('Username')).toHaveValue('carol_99');

    await user.click(toggle);
    expect(toggle).toHaveAccessibleName(SWITCH_ON);
    await waitFor(() => expect(input('Image code')).toHaveFocus());
    expect(screen.getByRole('img', { name: uiEn.captcha.alt })).toHaveAttribute('src', expect.stringMatching(/rand=/));
    expect(screen.queryByRole('group', { name: 'Verification' })).not.toBeInTheDocument();
    expect(liveRegion()).toBeEmptyDOMElement();
    expect(input('Username')).toHaveValue('carol_99');
  });

  it('announces the progress and the result in the live region, and enables "Get code" once verified', async () => {
    const release = holdChallenges();
    const { user } = await openRegister();
    await typeFreeMobile(user);
    await user.click(screen.getByRole('button', { name: SWITCH_ON }));

    expect(liveRegion()).toHaveTextContent(VERIFYING);
    expect(getCodeButton()).toBeDisabled();
    expect(screen.getByText(uiEn.sms.hintAltcha)).toBeInTheDocument();
    release();
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));
    expect(liveRegion()).toHaveAttribute('data-tone', 'success');
    expect(getCodeButton()).toBeEnabled();
  });

  it('says when the verification failed and offers to try again, focus kept in the block', async () => {
    let fail = true;
    server.use(http.get('/api/captcha/altcha/', () => (fail ? HttpResponse.error() : undefined)));
    const { user } = await openRegister();
    await user.click(screen.getByRole('button', { name: SWITCH_ON }));

    await waitFor(() => expect(liveRegion()).toHaveTextContent(`${uiEn.altcha.failed} ${uiEn.api.cannotReach}`));
    const retry = screen.getByRole('button', { name: 'Try again' });
    fail = false;
    await user.click(retry);
    expect(screen.getByRole('group', { name: 'Verification' })).toHaveFocus();
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));
    expect(screen.queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
  });

  it('sends { mobile, altcha } with a solution the API can verify, single-use, solved again for the resend', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const bodies = recordSmsRequests();
    const { user } = await openRegister({ advanceTimers: vi.advanceTimersByTime });
    await typeFreeMobile(user);
    await user.click(screen.getByRole('button', { name: SWITCH_ON }));
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));

    await user.click(getCodeButton());
    expect(await screen.findByText(/We sent a 6-digit code to 136\*\*\*\*5678/)).toBeInTheDocument();
    expect(input('SMS code')).toHaveFocus();
    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(Object.keys(bodies[0] ?? {}).sort()).toEqual(['altcha', 'mobile']);
    expect(bodies[0]?.mobile).toBe(FREE_MOBILE);
    const first = decode(bodies[0]?.altcha);
    expect(Object.keys(first.challenge).sort()).toEqual(['parameters', 'signature']);
    expect(first.solution).toMatchObject({ counter: expect.any(Number), derivedKey: expect.stringMatching(/^[0-9a-f]+$/) });
    const check = await verifySolution({ ...first, deriveKey, hmacSignatureSecret: MOCK_ALTCHA.hmacSecret });
    expect(check.verified).toBe(true);

    // Spent: nothing is solved while "Resend" waits, and the page says why.
    expect(liveRegion()).toBeEmptyDOMElement();
    expect(screen.getByRole('group', { name: 'Verification' })).toHaveTextContent(uiEn.altcha.spent);
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));
    expect(getCodeButton()).toHaveTextContent('Get code');
    expect(getCodeButton()).toBeEnabled();

    // The same mobile may be texted again after its cooldown; the second request has a new proof.
    await user.click(getCodeButton());
    await waitFor(() => expect(bodies).toHaveLength(2));
    const second = decode(bodies[1]?.altcha);
    expect(second.challenge.signature).not.toBe(first.challenge.signature);
    expect(await screen.findByText(/We sent a 6-digit code/)).toBeInTheDocument();
  });

  it('shows the API refusing the proof at the control, and solves a new one at once', async () => {
    server.use(
      http.post(
        '/api/sms_code/',
        () =>
          HttpResponse.json(
            {
              errno: Code.PARAMERR,
              errmsg: CAPTCHA_MESSAGES.altchaFailed,
              data: { fields: { altcha: CAPTCHA_MESSAGES.altchaFailed } },
            },
            { status: 400 },
          ),
        { once: true },
      ),
    );
    const { user } = await openRegister();
    await typeFreeMobile(user);
    await user.click(screen.getByRole('button', { name: SWITCH_ON }));
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));
    await user.click(getCodeButton());

    const group = screen.getByRole('group', { name: 'Verification' });
    await waitFor(() => expect(group).toHaveFocus());
    expect(group).toHaveAccessibleDescription(expect.stringContaining(CAPTCHA_MESSAGES.altchaFailed));
    expect(document.getElementById('altcha-message')).toHaveTextContent(CAPTCHA_MESSAGES.altchaFailed);
    expect(input('Mobile number')).not.toHaveAttribute('aria-invalid');
    // A new proof, and the refusal goes once it is there.
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));
    expect(document.getElementById('altcha-message')).toBeEmptyDOMElement();
    await user.click(getCodeButton());
    expect(await screen.findByText(/We sent a 6-digit code/)).toBeInTheDocument();
  });

  it('keeps the SMS step as it is: a cooldown counts down beside the button', async () => {
    server.use(
      http.post('/api/sms_code/', () =>
        HttpResponse.json(
          { errno: Code.SMSERROR, errmsg: SMS_MESSAGES.unconfirmed(60), data: { retryAfter: 60 } },
          { status: 502, headers: { 'retry-after': '60' } },
        ),
      ),
    );
    const { user } = await openRegister();
    await typeFreeMobile(user);
    await user.click(screen.getByRole('button', { name: SWITCH_ON }));
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));
    await user.click(getCodeButton());
    expect(await screen.findByText(SMS_MESSAGES.unconfirmed(60))).toBeInTheDocument();
    expect(getCodeButton()).toHaveTextContent(/Resend in \d+ s/);
    expect(getCodeButton()).toBeDisabled();
  });

  it('hides itself when the API has the alternative off (404), and the image is back', async () => {
    server.use(
      http.get('/api/captcha/altcha/', () =>
        HttpResponse.json({ errno: Code.NODATA, errmsg: en.codes[Code.NODATA], data: null }, { status: 404 }),
      ),
    );
    const { user } = await openRegister();
    await user.click(screen.getByRole('button', { name: SWITCH_ON }));

    await waitFor(() => expect(screen.queryByRole('button', { name: SWITCH_ON })).not.toBeInTheDocument());
    expect(screen.queryByRole('button', { name: SWITCH_OFF })).not.toBeInTheDocument();
    await waitFor(() => expect(input('Image code')).toHaveFocus());
    expect(input('Image code')).toHaveAccessibleDescription(expect.stringContaining(CAPTCHA_MESSAGES.altchaOff));
    expect(screen.getByRole('img', { name: uiEn.captcha.alt })).toBeInTheDocument();
  });

  it('works with the keyboard alone: Tab to the switch, Enter, Tab on to the code and "Get code"', async () => {
    const bodies = recordSmsRequests();
    const { user } = await openRegister();
    await user.type(input('Username'), 'carol_99');
    await user.type(input('Password'), PASSWORD);
    await user.type(input('Repeat password'), PASSWORD);
    await typeFreeMobile(user); // leaves the focus after the mobile: on the image field

    const toggle = screen.getByRole('button', { name: SWITCH_ON });
    for (let i = 0; i < 5 && document.activeElement !== toggle; i++) await user.tab();
    expect(toggle).toHaveFocus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(liveRegion()).toHaveTextContent(VERIFIED));
    expect(toggle).toHaveFocus();

    await user.tab();
    expect(input('SMS code')).toHaveFocus();
    await user.tab();
    expect(getCodeButton()).toHaveFocus();
    await user.keyboard('{Enter}');
    await screen.findByText(/We sent a 6-digit code/);
    expect(input('SMS code')).toHaveFocus();
    await waitFor(() => expect(bodies[0]).toMatchObject({ mobile: FREE_MOBILE, altcha: expect.any(String) }));

    const code = ((await (await fetch(`/api/__dev/sms/${FREE_MOBILE}/`)).json()) as { data: { code: string } }).data.code;
    await user.keyboard(code);
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('heading', { level: 1, name: 'Welcome, carol_99' })).toBeInTheDocument();
  });

  it('is said in Chinese too', async () => {
    const { user } = await openRegister();
    await user.selectOptions(screen.getByLabelText('Language'), 'zh-CN');
    const toggle = await screen.findByRole('button', { name: '看不清图片？换一种方式验证' });
    await user.click(toggle);
    await waitFor(() => expect(liveRegion()).toHaveTextContent('验证通过，现在可以获取验证码了。'));
    expect(toggle).toHaveAccessibleName('改用图形验证码');
  });
});

describe('the mock API’s proof of work', () => {
  it('issues a signed v2 challenge and takes each solution once', async () => {
    const challenge = (await (await fetch('/api/captcha/altcha/')).json()).data;
    expect(challenge).toEqual({
      parameters: expect.objectContaining({
        algorithm: MOCK_ALTCHA.algorithm,
        cost: MOCK_ALTCHA.cost,
        expiresAt: expect.any(Number),
      }),
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const { solveAltcha } = await import('../../lib/altcha/solver');
    const { payload } = await solveAltcha(challenge);
    const send = (body: unknown) =>
      fetch('/api/sms_code/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await send({ mobile: FREE_MOBILE, altcha: payload })).status).toBe(200);
    const replayed = await send({ mobile: '13612345679', altcha: payload });
    expect(replayed.status).toBe(400);
    expect(await replayed.json()).toMatchObject({ data: { fields: { altcha: CAPTCHA_MESSAGES.altchaFailed } } });
    const both = await send({ mobile: FREE_MOBILE, altcha: payload, captcha: 'MOCK' });
    expect(await both.json()).toMatchObject({ errno: Code.PARAMERR, data: { fields: { _: CAPTCHA_MESSAGES.oneOfTwo } } });
    const forged = await send({ mobile: '13612345679', altcha: btoa('{"challenge":{},"solution":{}}') });
    expect(forged.status).toBe(400);
  });
});
