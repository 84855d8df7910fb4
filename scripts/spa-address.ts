// Where `pnpm start` / `pnpm dev` serve the SPA (WEB_HOST, WEB_PORT): the URL they print and the
// origins they give the API as ALLOWED_ORIGINS unless it is set. Passkeys (WebAuthn) are bound to
// a relying party id, a domain name and never an IP address, which by default is the host of the
// first allowed origin: so that origin is http://localhost:PORT whenever the SPA is reachable there.
import { isIP } from 'node:net';

/** WEB_HOST by default: a name (never an IP), bound to whatever it resolves to first, as Node's clients try it. */
export const DEFAULT_WEB_HOST = 'localhost';

const WILDCARDS = new Set(['0.0.0.0', '::']);
const LOOPBACK_IP = /^(127\.\d+\.\d+\.\d+|::1)$/;

function origin(host: string, port: string): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

export interface SpaAddress {
  /** The SPA's URL to open (no trailing slash). */
  url: string;
  /** ALLOWED_ORIGINS for the API: the first one is the default RP ID's and APP_URL's. */
  origins: string[];
  /** WEBAUTHN_ORIGINS for the API: those of `origins` a passkey can be used at (the first's host or under it). */
  passkeyOrigins: string[];
  /** When the printed URL is an IP address: where passkeys work instead (or why they cannot). */
  passkeyNote: string | null;
}

export function spaAddress(webHost: string, webPort: string): SpaAddress {
  const host = webHost.replace(/^\[|\]$/g, '');
  // Listening everywhere: this machine reaches it at localhost.
  const shown = WILDCARDS.has(host) ? 'localhost' : host;
  // A loopback address is reachable at localhost too (browsers try both families for it).
  const loopback = shown === 'localhost' || LOOPBACK_IP.test(shown);
  const first = loopback ? 'localhost' : shown;
  const hosts = [...new Set([first, shown, 'localhost', '127.0.0.1'])];
  let passkeyNote: string | null = null;
  if (isIP(shown)) {
    passkeyNote = loopback
      ? `only at ${origin('localhost', webPort)} (an IP address is never a passkey's RP ID)`
      : "need the SPA at a domain name (an IP address is never a passkey's RP ID): set WEB_HOST to one";
  }
  return {
    url: origin(shown, webPort),
    origins: hosts.map((h) => origin(h, webPort)),
    passkeyOrigins: isIP(first) ? [] : hosts.filter((h) => h === first || h.endsWith(`.${first}`)).map((h) => origin(h, webPort)),
    passkeyNote,
  };
}
