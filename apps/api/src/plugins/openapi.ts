// The OpenAPI 3.1 document (@fastify/swagger), built from the routes as Fastify registered them:
// each route's request schemas (params, querystring, JSON and form bodies) and success envelope
// are the very ones it validates and serialises with, and for each route the contracts' route
// table adds every errno it can answer, by HTTP status, with the code map's meanings
// (routeErrors, codes.ts). Only the table's routes are described: the 405 catch-alls, HEAD
// twins and the operational routes (metrics, this document, the docs UI) are hidden.
//
// Two of our schema annotations are not JSON Schema: `errorMessage` becomes the property's
// `description` (it is the rule in words), `x-normalize` stays (x- keywords are extensions).
import fastifySwagger from '@fastify/swagger';
import { Code, ErrorDataSchema, errorMap, type RouteName, type RouteSpec, routeErrors, routes } from '@register/contracts';
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([name, value]) => [value, name])) as Record<Code, string>;
const FORM_TYPES = ['application/json', 'application/x-www-form-urlencoded'];
const TAGS: Record<RouteName, string> = {
  index: 'meta',
  imageCode: 'captcha',
  altchaChallenge: 'captcha',
  checkUsername: 'availability',
  checkMobile: 'availability',
  sendSmsCode: 'sms',
  register: 'users',
  login: 'auth',
  logout: 'auth',
  me: 'auth',
  session: 'auth',
  health: 'health',
  healthz: 'health',
  readyz: 'health',
  devSms: 'development',
  passwordReset: 'account',
  changePassword: 'account',
  changeMobile: 'account',
  sessions: 'account',
  endSession: 'account',
  logoutAll: 'account',
  setEmail: 'account',
  verifyEmail: 'account',
  devMail: 'development',
  passkeyRegisterOptions: 'passkeys',
  passkeyRegisterVerify: 'passkeys',
  passkeyLoginOptions: 'passkeys',
  passkeyLoginVerify: 'passkeys',
  passkeys: 'passkeys',
  renamePasskey: 'passkeys',
  deletePasskey: 'passkeys',
};

const DESCRIPTION = `Every answer is the envelope \`{ "errno", "errmsg", "data" }\` with a meaningful HTTP status; \
errno "0" is success. Each operation lists the errno values it can answer under each status (and in \`x-errors\`). \
Besides those, an unknown path answers 404 NODATA (4002) and a known path with another method 405 METHERR (4005, \
with \`Allow\`). POST bodies are JSON or \`application/x-www-form-urlencoded\`. Every answer carries the request id \
in a response header (x-request-id by default).`;

/** A deep copy as JSON Schema: TypeBox's hidden keys dropped, `errorMessage` as the description. */
function toOpenApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApiSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'errorMessage') continue;
    out[key] = toOpenApiSchema(value);
  }
  const message = (schema as { errorMessage?: unknown }).errorMessage;
  if (typeof message === 'string' && out.description === undefined) out.description = message;
  return out;
}

const errorEnvelope = (codes: Code[]) => ({
  type: 'object',
  required: ['errno', 'errmsg', 'data'],
  properties: {
    errno: { type: 'string', enum: codes },
    errmsg: { type: 'string', description: 'What happened, in words for a person.' },
    data: { anyOf: [toOpenApiSchema(ErrorDataSchema), { type: 'null' }] },
  },
});

const describe = (codes: Code[]) => codes.map((code) => `${code} ${CODE_NAMES[code]}: ${errorMap[code]}`).join('; ');

/** The documented schema of one table route: its registered schema plus its error answers. */
function operationSchema(name: RouteName, spec: RouteSpec, registered: FastifySchema, imageType: string): FastifySchema {
  const clean = toOpenApiSchema(registered) as Record<string, unknown>;
  const success = (clean.response ?? {}) as Record<string, Record<string, unknown>>;
  const response: Record<string, unknown> = {};
  for (const [status, registeredEnvelope] of Object.entries(success)) {
    // A failure status with data is registered as (data envelope | error envelope), so that
    // refusals before the handler serialise (lib/route.ts); the error side is documented below.
    const envelope = (registeredEnvelope.anyOf as Record<string, unknown>[] | undefined)?.[0] ?? registeredEnvelope;
    response[status] = { ...envelope, description: status === '200' ? 'Success: errno "0".' : 'The data, with an error errno.' };
  }
  // The captcha answers an image, not an envelope, when it succeeds.
  if (!spec.data) {
    response[200] = {
      description: `A captcha image (${imageType}).`,
      content: { [imageType]: { schema: { type: 'string', contentMediaType: imageType } } },
    };
  }
  const errors = routeErrors(spec);
  for (const [status, codes] of Object.entries(errors)) {
    const envelope = errorEnvelope(codes);
    // A status that also carries the route's data (health's 503) answers either shape.
    const withData = response[status] as Record<string, unknown> | undefined;
    const { description: _, ...dataEnvelope } = withData ?? {};
    response[status] = {
      description: describe(codes),
      ...(withData ? { anyOf: [dataEnvelope, envelope] } : envelope),
      ...(status === '429'
        ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds until a retry may succeed.' } } }
        : {}),
    };
  }
  const { response: _registered, ...parts } = clean;
  return {
    ...parts,
    operationId: name,
    tags: [TAGS[name]],
    ...(spec.body ? { consumes: FORM_TYPES } : {}),
    response,
    'x-errors': errors,
  } as FastifySchema;
}

export default fp(
  async function openapi(app: FastifyInstance) {
    const { prefix } = app.config;
    // Fastify registers the index (`/` under the prefix) as `/api`: keys ignore a trailing slash.
    const key = (method: string, url: string) => `${method} ${url.replace(/\/$/, '')}`;
    const byRoute = new Map(
      (Object.keys(routes) as RouteName[]).map((name) => [key(routes[name].method, `${prefix}${routes[name].path}`), name]),
    );
    const imageType = `image/${app.config.captcha.format}`;
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Register API', version: '1.0.0', description: DESCRIPTION },
        tags: [...new Set(Object.values(TAGS))].map((name) => ({ name })),
      },
      // 3.1 is JSON Schema 2020-12: the schemas stay exactly as the routes validate with them.
      convertConstToEnum: false,
      transform: ({ schema, url, route }) => {
        const name = typeof route.method === 'string' ? byRoute.get(key(route.method, url)) : undefined;
        // Not in the table: a 405 catch-all, or an operational route; hidden.
        if (!name || !schema) return { schema: { ...schema, hide: true } as FastifySchema, url };
        // Under the table's path (the seed's trailing slash; either form is answered).
        return { schema: operationSchema(name, routes[name], schema, imageType), url: `${prefix}${routes[name].path}` };
      },
    });
  },
  { name: 'openapi', dependencies: ['config'] },
);
