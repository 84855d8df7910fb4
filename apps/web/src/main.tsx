import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { preferredLocale, setLocale } from './i18n/locale';
import { takeFragmentToken } from './lib/url-token';
import './styles/global.css';
import './styles/forms.css';

// A verification link's token leaves the address bar before anything else happens: before the
// mock starts or a language's chunk is fetched (app.tsx then reads it from url-token.ts).
if (/^\/verify-email\/*$/.test(window.location.pathname)) takeFragmentToken();

// `vite --mode mock` answers /api in a service worker. The condition is a build-time constant,
// so a production build drops this import, and msw with it, entirely.
if (import.meta.env.MODE === 'mock') {
  const { startMockApi } = await import('./mocks/browser');
  await startMockApi();
}

// The visitor's language before the first paint: no flash of English for a Chinese reader.
await setLocale(preferredLocale(), { remember: false }).catch((error: unknown) => console.error(error));

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
