// The OpenAPI document against a maintained 3.1 validator, against the routes Fastify really
// registered (seen through an onRoute hook) and against the contracts' route table; and the
// API reference UI: served with its own policy in development, absent in production.
import { createHash } from 'node:crypto';
import { type Code, errorMap, httpStatus, type RouteName, type RouteSpec, routeErrors, routes } from '@register/contracts';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, PRODUCTION_ENV } from './helper.ts';

type Json = Record<string, unknown>;
type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema: Json; description?: string }[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Json }>; headers?: Json }>;
  'x-errors': Record<string, Code[]>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** A schema's constraints as JSON Schema says them: no annotations in words, no hidden keys. */
function constraints(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(constraints);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== 'description' && key !== 'errorMessage')
      .map(([key, value]) =>
        // A record of any keys (TypeBox's Type.Record(Type.String(), ...), the ALTCHA challenge's
        // parameters) is `patternProperties: { "^.*$": ... }`, which @fastify/swagger writes as the
        // same constraint in OpenAPI's words, `additionalProperties`.
        key === 'patternProperties' && Object.keys(value as object).join() === '^.*$'
          ? ['additionalProperties', constraints((value as Record<string, unknown>)['^.*$'])]
          : [key, constraints(value)],
      ),
  );
}

const openapiPath = (path: string) => `/api${path}`.replace(/:([A-Za-z_]+)/g, '{$1}');
const tableKey = (method: string, url: string) => `${method} ${url.replace(/\/$/, '')}`;
const byKey = new Map(
  (Object.keys(routes) as RouteName[]).map((name) => [tableKey(routes[name].method, `/api${routes[name].path}`), name]),
);

describe('the OpenAPI document', () => {
  let app: FastifyInstance;
  const registered: RouteOptions[] = [];
  let doc: Document;

  beforeAll(async () => {
    app = await buildTestApp({}, { onRoute: (route) => void registered.push(route) });
    const res = await app.inject('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.json();
  });
  afterAll(() => app.close());

  it('is valid OpenAPI 3.1 (a maintained validator)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    // The validator does check: a parameter without `in` is refused.
    const broken = structuredClone(doc);
    (broken.paths['/api/user/me/'] as Record<string, Json>).get = {
      ...broken.paths['/api/user/me/']?.get,
      parameters: [{ name: 'x' }],
    };
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });

  it('has exactly the table routes Fastify registered, and hides the rest (405 catch-alls, HEAD, operational routes)', () => {
    const fromTable = registered.filter((r) => typeof r.method === 'string' && byKey.has(tableKey(r.method, r.url)));
    // The test app runs the dev outbox, so every route of the table is mounted.
    expect(new Set(fromTable.map((r) => byKey.get(tableKey(r.method as string, r.url))))).toEqual(new Set(Object.keys(routes)));
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(documented.sort()).toEqual(
      (Object.keys(routes) as RouteName[]).map((n) => `${routes[n].method} ${openapiPath(routes[n].path)} ${n}`).sort(),
    );
    // What is hidden is really there: the 405 catch-alls and the operational routes.
    expect(registered.some((r) => Array.isArray(r.method) && r.url === '/api/sms_code/')).toBe(true);
    for (const url of ['/api/openapi.json', '/api/metrics', '/api/docs/']) {
      expect(registered.some((r) => r.url === url)).toBe(true);
      expect(Object.keys(doc.paths)).not.toContain(url);
    }
  });

  it("describes each route with the schemas Fastify validates and serialises it with, which are the table's", () => {
    for (const route of registered) {
      const name = typeof route.method === 'string' ? byKey.get(tableKey(route.method, route.url)) : undefined;
      if (!name) continue;
      const spec: RouteSpec = routes[name];
      const schema = route.schema as { params?: Json; querystring?: Json; body?: Json; response?: Record<string, Json> };
      // The route uses the table's schemas themselves.
      expect(schema.params).toBe(spec.params);
      expect(schema.querystring).toBe(spec.querystring);
      expect(schema.body).toBe(spec.body);
      const op = doc.paths[openapiPath(spec.path)]?.[spec.method.toLowerCase()] as Operation;
      expect(op, name).toBeDefined();

      for (const [where, part] of [
        ['path', schema.params],
        ['query', schema.querystring],
      ] as const) {
        const properties = (part?.properties ?? {}) as Record<string, Json>;
        const params = (op.parameters ?? []).filter((p) => p.in === where);
        expect(params.map((p) => p.name).sort(), name).toEqual(Object.keys(properties).sort());
        for (const param of params) {
          expect(constraints(param.schema), `${name} ${param.name}`).toEqual(constraints(properties[param.name]));
          expect(param.required ?? false).toBe(((part?.required ?? []) as string[]).includes(param.name));
          // The rule in words travels with it.
          expect(param.description).toBe(properties[param.name]?.errorMessage);
        }
      }

      if (schema.body) {
        const content = op.requestBody?.content ?? {};
        expect(Object.keys(content).sort(), name).toEqual(['application/json', 'application/x-www-form-urlencoded']);
        for (const media of Object.values(content)) expect(constraints(media.schema)).toEqual(constraints(schema.body));
      } else {
        expect(op.requestBody, name).toBeUndefined();
      }

      if (spec.data) {
        for (const status of spec.dataStatuses ?? [200]) {
          const documented = op.responses[status]?.content?.['application/json']?.schema as Json;
          // A failure status with data is registered as (data | error envelope): the data side
          // is the route's own; the error side is checked with the errno lists below.
          const registered = schema.response?.[status] as Json;
          const success = constraints((registered.anyOf as Json[] | undefined)?.[0] ?? registered);
          // A status that is also an error status (health's 503) answers either shape.
          const shapes = (documented.anyOf as Json[] | undefined) ?? [documented];
          expect(shapes.map(constraints), `${name} ${status}`).toContainEqual(success);
        }
      } else {
        expect(Object.keys(op.responses[200]?.content ?? {}), name).toEqual(['image/png']);
      }
    }
  });

  it('lists, for each route, every errno it can answer, by HTTP status, with its meaning', () => {
    for (const name of Object.keys(routes) as RouteName[]) {
      const spec: RouteSpec = routes[name];
      const op = doc.paths[openapiPath(spec.path)]?.[spec.method.toLowerCase()] as Operation;
      const errors = routeErrors(spec);
      expect(op['x-errors'], name).toEqual(errors);
      for (const [status, codes] of Object.entries(errors)) {
        const response = op.responses[status];
        expect(response, `${name} ${status}`).toBeDefined();
        for (const code of codes) expect(response?.description).toContain(`${code} `);
        for (const code of codes) expect(response?.description).toContain(errorMap[code]);
        const schema = response?.content?.['application/json']?.schema as Json;
        const envelopes = (schema.anyOf as Json[] | undefined) ?? [schema];
        const errnos = envelopes.flatMap((e) => ((e.properties as Json).errno as { enum?: string[] }).enum ?? []);
        expect(errnos.sort(), `${name} ${status}`).toEqual([...codes].sort());
        if (status === '429') expect(response?.headers).toHaveProperty('retry-after');
      }
    }
    // The table's statuses agree with the code map: each code under its own status, or one of
    // the refinements codes.ts names (PARAMERR as 413/415, SERVERERR as 503).
    const refinements = new Set(['4103 413', '4103 415', '4500 503']);
    for (const spec of Object.values(routes) as RouteSpec[]) {
      for (const [status, codes] of Object.entries(routeErrors(spec))) {
        for (const code of codes) {
          expect(
            httpStatus[code] === Number(status) || refinements.has(`${code} ${status}`),
            `${spec.path} ${code} ${status}`,
          ).toBe(true);
        }
      }
    }
    // Route-specific answers are there, beside the shared ones.
    expect(Object.keys(doc.paths['/api/sms_code/']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '403', '409', '413', '415', '429', '502', '503']),
    );
    expect(doc.paths['/api/user/login/']?.post?.['x-errors'][401]).toEqual(['4102']);
  });
});

describe('the API reference UI', () => {
  it('is served in development from this API, under a policy of its own that allows only its scripts', async () => {
    const app = await buildTestApp();
    try {
      const redirect = await app.inject('/api/docs');
      expect(redirect.statusCode).toBe(301);
      const page = await app.inject('/api/docs/');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('/api/openapi.json');
      // No CDN: the one script file is this API's own.
      const sources = [...page.body.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
      expect(sources).toEqual(['js/scalar.js']);
      expect(page.body).not.toMatch(/https?:\/\//);
      const policy = String(page.headers['content-security-policy']);
      const inline = [...page.body.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
      expect(inline).toHaveLength(1);
      const hash = createHash('sha256')
        .update(inline[0] ?? '')
        .digest('base64');
      expect(policy).toContain(`script-src 'self' 'sha256-${hash}'`);
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain("frame-ancestors 'none'");
      const script = await app.inject('/api/docs/js/scalar.js');
      expect(script.statusCode).toBe(200);
      expect(script.headers['content-type']).toMatch(/^application\/javascript/);
      expect(script.body.length).toBeGreaterThan(100_000);
      // Every other answer keeps the strict policy.
      const json = await app.inject('/api/openapi.json');
      expect(json.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    } finally {
      await app.close();
    }
  });

  it('is absent in production (404 like any unknown path) unless API_DOCS_ENABLED, while the document stays', async () => {
    const production = PRODUCTION_ENV;
    const app = await buildTestApp(production);
    try {
      for (const url of ['/api/docs/', '/api/docs/js/scalar.js']) {
        const res = await app.inject(url);
        expect(res.statusCode, url).toBe(404);
        expect(res.json()).toMatchObject({ errno: '4002', data: null });
      }
      expect((await app.inject('/api/openapi.json')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const enabled = await buildTestApp({ ...production, API_DOCS_ENABLED: 'true' });
    try {
      expect((await enabled.inject('/api/docs/')).statusCode).toBe(200);
    } finally {
      await enabled.close();
    }
  });
});
