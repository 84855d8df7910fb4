import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import './styles/global.css';
import './styles/forms.css';

// `vite --mode mock` answers /api in a service worker. The condition is a build-time constant,
// so a production build drops this import, and msw with it, entirely.
if (import.meta.env.MODE === 'mock') {
  const { startMockApi } = await import('./mocks/browser');
  await startMockApi();
}

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
