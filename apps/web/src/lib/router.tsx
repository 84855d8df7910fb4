// A router of a few lines instead of a library: the pathname is the only state, history.pushState
// changes it, popstate (back/forward) reports it, and components subscribe with useSyncExternalStore.
import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let navigations = 0;

function notify(): void {
  navigations++;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  if (listeners.size === 0) window.addEventListener('popstate', notify);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

const currentPath = () => window.location.pathname;

/** The current pathname; re-renders on navigate() and on back/forward. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, currentPath, () => '/');
}

/** True once the visitor has moved within the app (not on the first page load). */
export function hasNavigated(): boolean {
  return navigations > 0;
}

export interface NavigateOptions {
  replace?: boolean;
  /** Where to go once the visitor has logged in (a page that needs a session sent them to log in). */
  returnTo?: string;
}

export function navigate(to: string, options: NavigateOptions = {}): void {
  // Kept in the entry itself: it survives a reload of the login page, and Back forgets it.
  const state = options.returnTo ? { returnTo: options.returnTo } : null;
  if (options.replace) window.history.replaceState(state, '', to);
  else window.history.pushState(state, '', to);
  if (!options.replace) window.scrollTo?.(0, 0);
  notify();
}

/** The page to go back to after logging in, when one sent the visitor here (a path of this app only). */
export function returnPath(): string | null {
  const path = (window.history.state as { returnTo?: unknown } | null)?.returnTo;
  return typeof path === 'string' && /^\/[a-z-]*$/.test(path) ? path : null;
}

/** A plain click navigates in place; modified clicks, middle clicks and targets stay the browser's. */
function isPlainLeftClick(event: MouseEvent<HTMLAnchorElement>): boolean {
  return (
    !event.defaultPrevented &&
    event.button === 0 &&
    !event.metaKey &&
    !event.ctrlKey &&
    !event.shiftKey &&
    !event.altKey &&
    (!event.currentTarget.target || event.currentTarget.target === '_self')
  );
}

export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  to: string;
}

/** A real <a href>, so it can be opened in a new tab, copied and crawled. */
export function Link({ to, onClick, ...props }: LinkProps) {
  return (
    <a
      {...props}
      href={to}
      onClick={(event) => {
        onClick?.(event);
        if (!isPlainLeftClick(event)) return;
        event.preventDefault();
        if (to !== window.location.pathname) navigate(to);
      }}
    />
  );
}

/** Replaces the current entry, so Back does not bounce the visitor straight back here. */
export function Redirect({ to, returnTo }: { to: string; returnTo?: string }) {
  useEffect(() => navigate(to, { replace: true, returnTo }), [to, returnTo]);
  return null;
}
