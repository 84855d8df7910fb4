// `pnpm start` / `pnpm dev`: the API and the SPA together, one command, one Ctrl-C.
//   pnpm start   API + the built SPA, as a visitor would use them: served by the production web
//                server (nginx, deploy/nginx/) when this machine has it, else by vite preview
//   pnpm dev     API with --watch + Vite's dev server with hot reload
// PORT (API, default 3000), WEB_PORT (default 5173) and WEB_HOST (default localhost) pick the
// addresses; everything else (DATABASE_URL, REDIS_URL, ...) goes to the API as documented. The SPA
// is at http://localhost:5173 by default, not 127.0.0.1: passkeys are bound to the page's domain
// name, and an IP address can never be one (scripts/spa-address.ts).
// A .env at the root, when present, fills in what the environment leaves unset (as for the API).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../apps/api/src/config.ts';
import { API_RUNTIME, BUILT_API } from '../apps/api/src/runtime.ts';
import { findNginx, NGINX_INSTALL_HINT, nginxArgs, writeNginxConfig } from '../deploy/nginx/nginx-config.ts';
import { buildApi } from './build-api.ts';
import { DEFAULT_WEB_HOST, spaAddress } from './spa-address.ts';

const root = path.resolve(import.meta.dirname, '..');
const envFile = path.join(root, '.env');
if (process.env.NODE_ENV !== 'test' && fs.existsSync(envFile)) process.loadEnvFile(envFile);
const dev = process.argv.includes('--dev');
const apiPort = process.env.PORT ?? '3000';
const webPort = process.env.WEB_PORT ?? '5173';
// localhost: vite and nginx listen on what it resolves to (::1 or 127.0.0.1), browsers open it.
const webHost = process.env.WEB_HOST ?? DEFAULT_WEB_HOST;
const spa = spaAddress(webHost, webPort);
// Browsers may POST only from ALLOWED_ORIGINS: unless told otherwise, that is where this SPA runs,
// http://localhost:PORT first (the default RP ID, and APP_URL). Passkey ceremonies come only from
// the origins that RP ID covers (never 127.0.0.1), which is what WEBAUTHN_ORIGINS then says.
// Production names its origins itself (ALLOWED_ORIGINS is required there). Empty is unset, as
// for the API (.env.example has `ALLOWED_ORIGINS=`).
const spaEnv: NodeJS.ProcessEnv = {};
if (!process.env.ALLOWED_ORIGINS && process.env.NODE_ENV !== 'production') {
  spaEnv.ALLOWED_ORIGINS = spa.origins.join(',');
  if (!process.env.WEBAUTHN_ORIGINS && spa.passkeyOrigins.length > 0) {
    spaEnv.WEBAUTHN_ORIGINS = spa.passkeyOrigins.join(',');
  }
}
// The SPA's server (nginx or Vite) is the one proxy in front of the API: the API takes the
// client's address from the X-Forwarded-For it writes, one hop.
const trustProxy = process.env.TRUST_PROXY ?? '1';

// The SPA's server proxies /api to the API: whatever address it listens on, the API faces too.
// So the API's configuration must hold for that address (off loopback: real secrets, no SMS
// outbox, no fixed captcha), checked by the API's own rules before anything starts.
let config: ReturnType<typeof loadConfig>;
try {
  loadConfig({ ...process.env, ...spaEnv, TRUST_PROXY: trustProxy, HOST: webHost });
  config = loadConfig({ ...process.env, ...spaEnv, TRUST_PROXY: trustProxy, PORT: apiPort });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(
    `${error.message}\n(WEB_HOST=${webHost}: the SPA's server passes /api on to the API, so the API faces that address too.)`,
  );
  process.exit(78);
}
const apiHost = config.host.includes(':') ? `[${config.host}]` : config.host;
const apiUrl = `http://${apiHost}:${apiPort}`;
const children: ChildProcess[] = [];
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}

function start(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, name = args[0] ?? command): ChildProcess {
  const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
  child.on('exit', (code) => {
    if (!stopping) console.error(`${path.basename(name)} exited (${code}); stopping.`);
    stopAll(code ?? 1);
  });
  children.push(child);
  return child;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => stopAll(0));
}

// pnpm dev runs the sources (and reloads them); pnpm start compiles them first and runs the build.
if (!dev) {
  try {
    buildApi();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
const apiArgs = dev ? ['--watch', 'src/server.ts'] : [...BUILT_API.execArgv, BUILT_API.entry];
start(process.execPath, [...API_RUNTIME.execArgv, ...apiArgs], path.join(root, 'apps/api'), {
  ...API_RUNTIME.env,
  ...process.env,
  PORT: apiPort,
  ...spaEnv,
  TRUST_PROXY: trustProxy,
});

// The SPA proxies /api to the API; start it once the API answers.
const deadline = Date.now() + 120_000;
while (!stopping) {
  try {
    const res = await fetch(`${apiUrl}/api/health/`);
    if (res.ok || res.status === 503) break;
  } catch {}
  if (Date.now() > deadline) {
    console.error(`The API did not answer at ${apiUrl} within 120 s.`);
    stopAll(1);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}

if (stopping) process.exit(process.exitCode ?? 1);
// The built SPA behind the production web server: nginx (precompressed brotli and gzip, cache
// lifetimes, the page's security headers, /api proxied) where it is installed, else vite preview.
const nginx = dev ? null : findNginx();
let webServer = dev ? 'Vite dev server' : 'vite preview (gzip only, no cache lifetimes or page security headers)';
if (nginx) {
  const prefix = path.join(root, '.data/nginx');
  const conf = writeNginxConfig({
    listen: `${webHost.includes(':') ? `[${webHost}]` : webHost}:${webPort}`,
    root: path.join(root, 'apps/web/dist'),
    apiUpstream: `${apiHost}:${apiPort}`,
    prefix,
    errorLog: 'stderr',
  });
  start(nginx, nginxArgs(conf, prefix), root, process.env, 'nginx');
  webServer = `nginx, brotli + gzip (${path.relative(root, prefix)}/nginx.conf)`;
} else {
  if (!dev) console.log(`nginx is not installed: serving the SPA with vite preview instead (for nginx: ${NGINX_INSTALL_HINT}).`);
  const vite = path.join(root, 'apps/web/node_modules/.bin/vite');
  start(vite, [dev ? 'dev' : 'preview', '--port', webPort, '--strictPort', '--host', webHost], path.join(root, 'apps/web'), {
    ...process.env,
    API_URL: apiUrl,
  });
}
const web = spa.url;
const production = config.env === 'production';
const outbox = config.sms.gateway === 'outbox';
const captchaText = config.captcha.testText;
const lines = [
  '',
  '  Registration service ready',
  `    the form      ${web}/register`,
  `    the API       ${apiUrl}/api/  (its route table; /api/health/ for the backends)`,
  `    web server    ${webServer}`,
];
if (spa.passkeyNote) lines.push(`    passkeys      ${spa.passkeyNote}`);
if (!production) {
  lines.push(
    captchaText
      ? `    captcha       every image's answer is ${captchaText} (CAPTCHA_TEST_TEXT)`
      : `    captcha       to try the form without reading images, start with CAPTCHA_TEST_TEXT=ABCD (e.g. CAPTCHA_TEST_TEXT=ABCD ./pnpm ${dev ? 'dev' : 'start'})`,
  );
  if (outbox) lines.push(`    SMS codes     ${web}/api/__dev/sms/<mobile>/  (the dev outbox: no SMS leaves this machine)`);
}
lines.push('  Ctrl-C stops both.', '');
console.log(lines.join('\n'));
