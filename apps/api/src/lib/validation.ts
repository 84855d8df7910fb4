// Fastify's validator for every request part: the contracts' checker (TypeBox's compiler, our
// field messages, the route's cross-field rules), the very one the SPA's forms run. Normalised
// values replace the raw ones; every field's problem comes back at once, in the envelope's
// `data.fields`, in the visitor's language.
import { type Catalog, Code, type CrossFieldRule, checkerFrom, en, type RequestChecker } from '@register/contracts';
import { compileChecks } from '@register/contracts/compile';
import type { FastifySchemaCompiler } from 'fastify';
import type { TObject } from 'typebox';
import { AppError } from '../errors.ts';
import { isCommonPassword } from '../modules/users/passwords.ts';
import { CATALOGS } from './catalogs.ts';

/** `S` is only the route's schema type, as Fastify's typings want it; each part is a TObject. */
export function contractValidator<S = TObject>(rules?: CrossFieldRule<unknown>): FastifySchemaCompiler<S> {
  return ({ schema }) => {
    // One checker per language over the same compiled schema: a refusal is checked again in the
    // visitor's language when it is answered (validation runs before the request is known).
    const checks = compileChecks(schema as TObject);
    const checkers = new Map<Catalog, RequestChecker<unknown>>(
      // The server's side of the rules' context: the leaked-password list lives here only.
      Object.values(CATALOGS).map((messages) => [
        messages,
        checkerFrom(schema as TObject, checks, rules, { isCommonPassword, messages }),
      ]),
    );
    const checkerIn = (messages: Catalog) => checkers.get(messages) ?? (checkers.get(en) as RequestChecker<unknown>);
    const check = checkerIn(en);
    return (data: unknown) => {
      const result = check(data);
      if (result.ok) return { value: result.value };
      let last: { catalog: Catalog; fields: Record<string, string> } | undefined;
      const fieldsIn = (catalog: Catalog) => {
        if (last?.catalog !== catalog) {
          const again = catalog === en ? result : checkerIn(catalog)(data);
          last = { catalog, fields: again.ok ? {} : again.fields };
        }
        return last.fields;
      };
      const message = (catalog: Catalog) => Object.values(fieldsIn(catalog)).join(catalog.sentenceGap);
      return { error: new AppError(Code.PARAMERR, { message, fields: fieldsIn }) };
    };
  };
}
