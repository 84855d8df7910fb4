// Checks a request part (body, params, query) against its schema, then runs the route's
// cross-field rules. Validity is TypeBox's: the checks passed in are TypeBox-compiled JSON
// Schema validators, one for the whole object and one per field, either compiled at start
// (compile.ts, the API and the mock) or generated at build time as standalone code (the SPA,
// standalone.ts), so no compiler ships to browsers. This wrapper adds only what a person needs:
// raw input is normalised first (each field's `x-normalize`: trimmed, `+86` dropped), a blank
// field counts as missing, and each failing field gets its own message, all at once, keyed by
// field, in the catalog's language (the context's `messages`, English by default). Keys the
// schema does not name are dropped, as Fastify's own validator does.
import type { TObject, TSchema } from 'typebox';
import { type FieldKey, NORMALIZERS, type Normalizer } from './fields.ts';
import { en } from './i18n/en.ts';
import type { CheckResult, CrossFieldRule, FieldErrors, RuleContext } from './rules.ts';

/** A compiled JSON Schema check. */
export type ValueCheck = (value: unknown) => boolean;
/** The checks of one object schema: the whole object, and each of its fields. */
export interface ObjectChecks {
  object: ValueCheck;
  fields: Readonly<Record<string, ValueCheck>>;
}
export type RequestChecker<T> = (input: unknown) => CheckResult<T>;

interface FieldAnnotations {
  title?: string;
  errorMessage?: string;
  'x-field'?: FieldKey;
  'x-normalize'?: Normalizer;
}

export const NOT_AN_OBJECT = en.check.notAnObject;
export const INVALID_REQUEST = en.check.invalidRequest;

function isRecord(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/** The known fields, normalised; blank ones left out (so they count as missing). */
function normalise(schema: TObject, input: Record<string, unknown>): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.properties) as [string, TSchema & FieldAnnotations][]) {
    if (!Object.hasOwn(input, key)) continue;
    const raw = input[key];
    if (typeof raw !== 'string') {
      value[key] = raw;
      continue;
    }
    const normalised = NORMALIZERS[field['x-normalize'] ?? 'trim'](raw);
    // Blank is what the field's own normaliser leaves empty: spaces are blank in a username,
    // characters like any other in a password.
    if (normalised === '') continue;
    value[key] = normalised;
  }
  return value;
}

/** A checker for one request part from its compiled checks and its route's rules. */
export function checkerFrom<T>(
  schema: TObject,
  checks: ObjectChecks,
  rules?: CrossFieldRule<T>,
  context: RuleContext = {},
): RequestChecker<T> {
  const annotations = schema.properties as Record<string, FieldAnnotations>;
  const required = new Set<string>(schema.required ?? []);
  const says = context.messages ?? en;
  const entry = (key: string) => {
    const field = annotations[key]?.['x-field'];
    return field ? says.fields[field] : undefined;
  };
  const title = (key: string) => entry(key)?.title ?? annotations[key]?.title ?? key;
  const invalid = (key: string) => entry(key)?.invalid ?? annotations[key]?.errorMessage ?? says.check.invalid(title(key));

  return (input) => {
    if (!isRecord(input)) return { ok: false, fields: { _: says.check.notAnObject }, partial: {} };
    const value = normalise(schema, input);
    const fields: FieldErrors = {};
    if (!checks.object(value)) {
      for (const key of Object.keys(annotations)) {
        if (!Object.hasOwn(value, key)) {
          if (required.has(key)) fields[key] = says.check.required(title(key));
        } else if (!checks.fields[key]?.(value[key])) {
          fields[key] = invalid(key);
        }
      }
      // The object failed for a reason no single field explains: say so rather than pass it.
      if (Object.keys(fields).length === 0) fields._ = says.check.invalidRequest;
    }
    if (fields._) return { ok: false, fields, partial: {} };
    const passed = Object.fromEntries(Object.entries(value).filter(([key]) => !fields[key])) as Partial<T>;
    rules?.(passed, fields, context);
    return Object.keys(fields).length ? { ok: false, fields, partial: passed } : { ok: true, value: passed as T };
  };
}
