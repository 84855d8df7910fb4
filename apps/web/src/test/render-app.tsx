// Renders the whole app at a path, as a visitor opening that URL would see it.
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../app';

export function renderApp(path: string, options: { advanceTimers?: (ms: number) => unknown } = {}) {
  window.history.replaceState(null, '', path);
  const user = userEvent.setup(options.advanceTimers ? { advanceTimers: options.advanceTimers } : {});
  return { user, ...render(<App />) };
}
