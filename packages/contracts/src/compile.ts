// Request checkers compiled at start with TypeBox's own compiler (the API; tests):
// check.ts's wrapper over `Compile(schema).Check` for the object and each of its fields.
import type { TObject } from 'typebox';
import { Compile } from 'typebox/compile';
import { checkerFrom, type RequestChecker } from './check.ts';
import type { CrossFieldRule, RuleContext } from './rules.ts';

export function compileChecks(schema: TObject) {
  const object = Compile(schema);
  const fields = Object.fromEntries(
    Object.entries(schema.properties).map(([key, field]) => {
      const validator = Compile(field);
      return [key, (value: unknown) => validator.Check(value)];
    }),
  );
  return { object: (value: unknown) => object.Check(value), fields };
}

export function requestChecker<T>(schema: TObject, rules?: CrossFieldRule<T>, context?: RuleContext): RequestChecker<T> {
  return checkerFrom(schema, compileChecks(schema), rules, context);
}
