// Route options from the contracts' route table, so path, request schemas and the success
// envelope's schema are written once, in packages/contracts/src/routes.ts.
import { EnvelopeSchema, type RouteSpec } from '@register/contracts';
import type { TNull, TObject, TSchema, TString, TUnion } from 'typebox';
import { contractValidator } from './validation.ts';

type EnvelopeOf<D extends TSchema> = TObject<{ errno: TString; errmsg: TString; data: TUnion<[D, TNull]> }>;

/**
 * The route's schema as the TypeBox type provider reads it: `request.body`, `params` and
 * `querystring` are typed from the table, and a handler returning another `data` shape than
 * the route's fails typecheck (routes without `data`, the captcha image, answer what they send).
 */
type ContractSchema<R extends RouteSpec> = {
  summary: string;
  params: R['params'];
  querystring: R['querystring'];
  body: R['body'];
} & (R['data'] extends TSchema ? { response: { [S in DataStatus<R>]: EnvelopeOf<R['data']> } } : unknown);
type DataStatus<R extends RouteSpec> = R extends { dataStatuses: readonly (infer S extends number)[] } ? S : 200;

export function fromContract<const R extends RouteSpec>(spec: R) {
  const schema: Record<string, unknown> = { summary: spec.summary };
  // Only the parts a route has: Fastify warns about parts given as undefined.
  if (spec.params) schema.params = spec.params;
  if (spec.querystring) schema.querystring = spec.querystring;
  if (spec.body) schema.body = spec.body;
  if (spec.data) {
    const envelope = EnvelopeSchema(spec.data);
    schema.response = Object.fromEntries((spec.dataStatuses ?? [200]).map((status) => [status, envelope]));
  }
  return {
    method: spec.method,
    url: spec.path,
    schema: schema as unknown as ContractSchema<R>,
    // The body's cross-field rules sit next to its schema in the route table.
    ...(spec.rules ? { validatorCompiler: contractValidator<ContractSchema<R>>(spec.rules) } : {}),
  };
}
