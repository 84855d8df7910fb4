// Fastify's validator for every request part: the contracts' checker (TypeBox's compiler, our
// field messages, the route's cross-field rules), the very one the SPA's forms run. Normalised
// values replace the raw ones; every field's problem comes back at once, in the envelope's
// `data.fields`.
import { Code, type CrossFieldRule } from '@register/contracts';
import { requestChecker } from '@register/contracts/compile';
import type { FastifySchemaCompiler } from 'fastify';
import type { TObject } from 'typebox';
import { AppError } from '../errors.ts';
import { isCommonPassword } from '../modules/users/passwords.ts';

/** The server's side of the rules' context: the leaked-password list lives here only. */
const context = { isCommonPassword };

/** `S` is only the route's schema type, as Fastify's typings want it; each part is a TObject. */
export function contractValidator<S = TObject>(rules?: CrossFieldRule<unknown>): FastifySchemaCompiler<S> {
  return ({ schema }) => {
    const check = requestChecker(schema as TObject, rules, context);
    return (data: unknown) => {
      const result = check(data);
      if (result.ok) return { value: result.value };
      const message = Object.values(result.fields).join(' ');
      return { error: new AppError(Code.PARAMERR, { message, fields: result.fields }) };
    };
  };
}
