// Route options from the contracts' route table, so path, request schemas and the success
// envelope's schema are written once, in packages/contracts/src/routes.ts.
import { EnvelopeSchema, type RouteSpec } from '@register/contracts';
import type { TNull, TObject, TSchema, TUnion } from 'typebox';

type EnvelopeOf<D extends TSchema> = TObject<{ errno: TSchema; errmsg: TSchema; data: TUnion<[D, TNull]> }>;

interface ContractSchema<R extends RouteSpec> {
  summary: string;
  params: R['params'];
  querystring: R['querystring'];
  body: R['body'];
  response?: { 200: EnvelopeOf<NonNullable<R['data']>> };
}

export function fromContract<const R extends RouteSpec>(spec: R) {
  const schema: Record<string, unknown> = { summary: spec.summary };
  // Only the parts a route has: Fastify warns about parts given as undefined.
  if (spec.params) schema.params = spec.params;
  if (spec.querystring) schema.querystring = spec.querystring;
  if (spec.body) schema.body = spec.body;
  if (spec.data) schema.response = { 200: EnvelopeSchema(spec.data) };
  return { method: spec.method, url: spec.path, schema: schema as unknown as ContractSchema<R> };
}
