// Every component test runs against the mock API (the same handlers as dev:mock), from a fresh
// mock database and a fresh page at http://localhost/.
import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { setLocale } from '../i18n/locale';
import { forgetFragmentToken } from '../lib/url-token';
import { resetMockDb } from '../mocks/db';
import { server } from '../mocks/server';
import { removeFakeAuthenticator } from './webauthn';

// findBy*/waitFor give up after 1 s by default; on a 2-core machine running the API suites in
// parallel, a first render (session check, then the page) can take longer than that.
configure({ asyncUtilTimeout: 5000 });

// A request no handler answers is a bug in the test or the app, not something to let through.
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(async () => {
  cleanup();
  removeFakeAuthenticator();
  // Each test starts in English, with no remembered choice.
  await setLocale('en', { remember: false });
  localStorage.clear();
  server.resetHandlers();
  resetMockDb();
  forgetFragmentToken();
  window.history.replaceState(null, '', '/');
  document.title = '';
});
afterAll(() => server.close());
