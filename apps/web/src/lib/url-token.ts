// An email verification link carries its token in the fragment (`/verify-email#token=...`), so it
// never reaches a server's logs or a Referer. It is moved out of the address bar (and so out of
// the history, bookmarks and screenshots) the first time the page renders, before any request.
let taken: string | null = null;

/** The link's token, once taken from the address (and removed from it); null when there is none. */
export function takeFragmentToken(): string | null {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get('token');
  if (token !== null) {
    taken = token;
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }
  return taken;
}

/** Forgets the token taken (tests: each starts as a new page load). */
export function forgetFragmentToken(): void {
  taken = null;
}
