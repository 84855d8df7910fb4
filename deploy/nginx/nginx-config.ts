// The SPA's production web server: deploy/nginx/nginx.conf.template rendered and, where this
// machine has nginx, run as a foreground child process with a prefix directory of its own (pid,
// logs, temp files), so it needs no system service and no root. Used by scripts/start.ts, the
// web-server test, bench:web and (through render.ts) the SPA's Docker image.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HERE = import.meta.dirname;
export const NGINX_TEMPLATE = path.join(HERE, 'nginx.conf.template');
/** Included by the template beside the rendered nginx.conf. */
const INCLUDES = ['spa-headers.conf'];
/** Debian's nginx and its dynamic modules (`apt-get install nginx libnginx-mod-http-brotli-*`). */
const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
export const NGINX_MODULES_DIR = '/usr/lib/nginx/modules';
const BROTLI_MODULES = ['ngx_http_brotli_filter_module.so', 'ngx_http_brotli_static_module.so'];
export const NGINX_INSTALL_HINT = 'apt-get install nginx libnginx-mod-http-brotli-static libnginx-mod-http-brotli-filter';
const BROTLI_TYPES = 'text/css text/javascript application/json application/manifest+json image/svg+xml text/plain';

export interface NginxOptions {
  /** Where it listens for plain HTTP: "127.0.0.1:5173", "8080", "[::]:8080". */
  listen: string;
  /** The built SPA (apps/web/dist). */
  root: string;
  /** The API, host:port (one server; several `server` lines are nginx's business, not ours). */
  apiUpstream: string;
  /** Its own directory: pid, temp files, logs (and the rendered config, by writeNginxConfig). */
  prefix: string;
  /** Also listen with TLS there; plain HTTP is then redirected to https://host/ when `redirect`. */
  tls?: { listen: string; certificate: string; key: string; redirect?: boolean };
  /** Load Debian's brotli modules (default: when they are installed here). */
  brotli?: boolean;
  /** Directory of the dynamic modules (default Debian's). */
  modulesDir?: string;
  /** "stderr" or a file; default: error.log in the prefix. */
  errorLog?: string;
  /** "off", "/dev/stdout" or a file; default: access.log in the prefix. */
  accessLog?: string;
  /** The `user` directive (only meaningful when the master runs as root; default: see below). */
  user?: string | null;
}

/** envsubst's ${NAME} substitution, strict: a name without a value, or a value never used, is an error. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const used = new Set<string>();
  const out = template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx template: no value for \${${name}}`);
    used.add(name);
    return value;
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length) throw new Error(`nginx template: ${unused.map((n) => `\${${n}}`).join(', ')} not in the template`);
  return out;
}

export function hasBrotliModules(modulesDir = NGINX_MODULES_DIR): boolean {
  return BROTLI_MODULES.every((file) => fs.existsSync(path.join(modulesDir, file)));
}

/** nginx.conf for these options, from the template. */
export function nginxConfig(options: NginxOptions, template = fs.readFileSync(NGINX_TEMPLATE, 'utf8')): string {
  const modulesDir = options.modulesDir ?? NGINX_MODULES_DIR;
  const brotli = options.brotli ?? hasBrotliModules(modulesDir);
  // As root, nginx would hand its workers to "nobody", who may not read a checkout under /root:
  // the workers then stay the user that started it (a developer's or CI's machine). The Docker
  // image never runs it as root.
  const user = options.user === undefined ? (process.getuid?.() === 0 ? 'root' : null) : options.user;
  const listen = [`    listen ${options.listen};`];
  if (options.tls) {
    listen.push(
      `    listen ${options.tls.listen} ssl;`,
      `    ssl_certificate ${options.tls.certificate};`,
      `    ssl_certificate_key ${options.tls.key};`,
      '    ssl_protocols TLSv1.2 TLSv1.3;',
      '    ssl_session_cache shared:tls:1m;',
    );
  }
  return renderTemplate(template, {
    MODULES: brotli
      ? BROTLI_MODULES.map((file) => `load_module ${path.join(modulesDir, file)};`).join('\n')
      : `# (no brotli: ${BROTLI_MODULES.join(' and ')} are not in ${modulesDir})`,
    USER: user ? `user ${user};` : '# (workers run as the user that starts nginx)',
    PREFIX: options.prefix,
    ERROR_LOG: options.errorLog ?? path.join(options.prefix, 'error.log'),
    ACCESS_LOG: options.accessLog ?? path.join(options.prefix, 'access.log'),
    BROTLI: brotli
      ? [
          '  brotli_static on;',
          '  brotli on;',
          '  brotli_comp_level 5;',
          '  brotli_min_length 512;',
          `  brotli_types ${BROTLI_TYPES};`,
        ].join('\n')
      : '  # (brotli modules not loaded: gzip only)',
    API_UPSTREAM: options.apiUpstream,
    LISTEN: listen.join('\n'),
    ROOT: options.root,
    HTTPS_REDIRECT: options.tls?.redirect
      ? '    if ($scheme = http) {\n      return 301 https://$host$request_uri;\n    }'
      : '    # (plain HTTP is served as it is)',
    API_BROTLI_OFF: brotli ? '      brotli off;' : '',
  });
}

/** Writes the config as `dir/name` with its includes beside it; returns its path. */
export function writeNginxFiles(options: NginxOptions, dir: string, name = 'nginx.conf'): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const file of INCLUDES) fs.copyFileSync(path.join(HERE, file), path.join(dir, file));
  const conf = path.join(dir, name);
  fs.writeFileSync(conf, nginxConfig(options));
  return conf;
}

/** Writes nginx.conf and its includes into the prefix, with its temp directory; returns the nginx.conf path. */
export function writeNginxConfig(options: NginxOptions): string {
  fs.mkdirSync(path.join(options.prefix, 'temp'), { recursive: true });
  return writeNginxFiles(options, options.prefix);
}

/** This machine's nginx binary, or null. */
export function findNginx(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'nginx');
    if (isExecutable(candidate)) return candidate;
  }
  return NGINX_CANDIDATES.find(isExecutable) ?? null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** nginx's arguments for a rendered config: foreground, its own prefix, early errors to stderr. */
export function nginxArgs(conf: string, prefix: string): string[] {
  return ['-p', prefix, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'];
}

export interface RunningNginx {
  process: ChildProcess;
  /** Graceful stop (SIGQUIT: finish what is in flight); resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Renders the config into its prefix, checks it (`nginx -t`), starts nginx in the foreground and
 * resolves once it accepts connections on `listen`; rejects with nginx's own message otherwise.
 */
export async function startNginx(
  options: NginxOptions,
  { binary = findNginx(), stdio = 'pipe' as 'pipe' | 'inherit', timeoutMs = 10_000 } = {},
): Promise<RunningNginx> {
  if (!binary) throw new Error(`nginx is not installed (${NGINX_INSTALL_HINT})`);
  const conf = writeNginxConfig(options);
  const args = nginxArgs(conf, options.prefix);
  const stderr: Buffer[] = [];
  const child = spawn(binary, args, { stdio: ['ignore', stdio, stdio] });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const { host, port } = listenAddress(options.listen);
  const deadline = Date.now() + timeoutMs;
  while (child.exitCode === null && child.signalCode === null) {
    if (await connects(host, port)) return { process: child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${options.listen} within ${timeoutMs} ms: ${Buffer.concat(stderr)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}): ${Buffer.concat(stderr).toString().trim()}`);
}

/** "127.0.0.1:8080" / "[::1]:8080" / "8080" as the address a client connects to. */
export function listenAddress(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(listen.trim()) ?? /^()()(\d+)$/.exec(listen.trim());
  if (!match) throw new Error(`not a listen address: ${listen}`);
  const host = match[1] || match[2] || '127.0.0.1';
  return { host: host === '0.0.0.0' || host === '*' ? '127.0.0.1' : host === '::' ? '::1' : host, port: Number(match[3]) };
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A fresh prefix directory under the system's temp dir (tests and benchmarks). */
export function tempPrefix(label = 'nginx'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
}
