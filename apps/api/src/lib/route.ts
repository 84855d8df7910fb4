// Route options from the contracts' route table, so path, request schemas and the success
// envelope's schema are written once, in packages/contracts/src/routes.ts.
import { EnvelopeSchema, ErrorDataSchema, type RouteSpec } from '@register/contracts';
import { type TNull, type TObject, type TSchema, type TString, type TUnion, Type } from 'typebox';
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
    // A failure status that answers with data (a health report's 503) may also be any error's:
    // a route refused before its handler (busy, shutting down, past the deadline) is answered
    // with the error envelope, which the serializer must accept too.
    const orError = Type.Union([envelope, EnvelopeSchema(ErrorDataSchema)]);
    schema.response = Object.fromEntries(
      (spec.dataStatuses ?? [200]).map((status) => [status, status >= 400 ? orError : envelope]),
    );
  }
  return {
    method: spec.method,
    url: spec.path,
    schema: schema as unknown as ContractSchema<R>,
    // The body's cross-field rules sit next to its schema in the route table.
    ...(spec.rules ? { validatorCompiler: contractValidator<ContractSchema<R>>(spec.rules) } : {}),
  };
}
