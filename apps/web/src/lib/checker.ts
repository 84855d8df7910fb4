// The contracts' checker in the browser: check.ts's wrapper over standalone TypeBox checks that
// the build generated from the request schemas (virtual:contract-validators), so the forms
// validate exactly as the API does with no schema compiler in the bundle.

import { checks } from 'virtual:contract-validators';
import {
  type Catalog,
  type CheckResult,
  type CrossFieldRule,
  checkerFrom,
  type ObjectChecks,
  REQUEST_SCHEMAS,
  type RequestChecker,
  type ValueCheck,
} from '@register/contracts';
import type { TObject, TSchema } from 'typebox';
import { language } from '../i18n/locale';

const byObject = new Map<TObject, ObjectChecks>();
const byField = new Map<TSchema, ValueCheck>();
for (const [name, schema] of Object.entries(REQUEST_SCHEMAS) as [keyof typeof REQUEST_SCHEMAS, TObject][]) {
  byObject.set(schema, checks[name]);
  for (const [key, field] of Object.entries(schema.properties)) {
    const check = checks[name].fields[key];
    if (check) byField.set(field, check);
  }
}

// One checker per (schema, rules): the same schema checked without its rules is another checker.
const checkers = new WeakMap<TObject, Map<unknown, Map<Catalog, RequestChecker<unknown>>>>();
/**
 * The checker of one request schema (one of REQUEST_SCHEMAS) and its route's rules, saying its
 * messages in the visitor's current language (or the catalog given).
 */
export function checkerFor<T>(schema: TObject, rules?: CrossFieldRule<T>, messages = language().messages): RequestChecker<T> {
  const forSchema = checkers.get(schema) ?? new Map<unknown, Map<Catalog, RequestChecker<unknown>>>();
  checkers.set(schema, forSchema);
  const forRules = forSchema.get(rules) ?? new Map<Catalog, RequestChecker<unknown>>();
  forSchema.set(rules, forRules);
  let checker = forRules.get(messages) as RequestChecker<T> | undefined;
  if (!checker) {
    const compiled = byObject.get(schema);
    if (!compiled) throw new Error('checkerFor: not one of the contracts’ request schemas');
    checker = checkerFrom(schema, compiled, rules, { messages });
    forRules.set(messages, checker as RequestChecker<unknown>);
  }
  return checker;
}

export function checkRequest<T>(schema: TObject, input: unknown, rules?: CrossFieldRule<T>): CheckResult<T> {
  return checkerFor(schema, rules)(input);
}

/** The normalised value when `raw` meets one field's rule (a field of a request schema), else null. */
export function validFieldValue(schema: TSchema & { 'x-normalize'?: string }, raw: string): string | null {
  const check = byField.get(schema);
  if (!check) throw new Error('validFieldValue: not a field of the contracts’ request schemas');
  // The same normalisation the request checker applies, through a one-field request.
  const result = checkerFrom<{ value: string }>(
    { type: 'object', required: ['value'], properties: { value: schema } } as unknown as TObject,
    { object: (v) => check((v as { value?: unknown }).value), fields: { value: check } },
  )({ value: raw });
  return result.ok ? result.value.value : null;
}
