// The mock API in the browser (`pnpm dev:mock`): a service worker answers /api with the same
// handlers as the tests, plus a realistic latency. Imported only in mock mode (see main.tsx).
import { setupWorker } from 'msw/browser';
import { MOCK_CAPTCHA_ANSWER, MOCK_PASSWORD, MOCK_SEED_USERS, onMockMail, onMockSms } from './db';
import { createHandlers } from './handlers';

export async function startMockApi(): Promise<void> {
  onMockSms(({ mobile, code, purpose }) => {
    console.info(`%c[mock SMS] ${mobile}: your ${purpose} code is ${code}`, 'font-weight: bold; color: #0b5cad');
  });
  onMockMail(({ to, link }) => {
    console.info(`%c[mock mail] ${to}: verify with ${link}`, 'font-weight: bold; color: #0b5cad');
  });
  const worker = setupWorker(...createHandlers({ latency: true }));
  // Anything not under /api (the app's own modules, fonts) goes to the network untouched.
  await worker.start({
    onUnhandledFrame: 'bypass',
    quiet: false,
  });
  console.info(
    `[mock API] captcha answer: ${MOCK_CAPTCHA_ANSWER}; taken: ${MOCK_SEED_USERS.map((u) => `${u.username}/${u.mobile}`).join(', ')}; ` +
      `their password: ${MOCK_PASSWORD}. SMS codes and email links are printed here when sent.`,
  );
}
