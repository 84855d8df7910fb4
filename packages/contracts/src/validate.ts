// A small interpreter of the field schemas (fields.ts) that both the API and the SPA run:
// normalise each field, check it against its own schema, and collect every problem at once,
// keyed by field name, so a form can show each message beside its input.
import type { TObject, TSchema } from 'typebox';
import { NORMALIZERS, type Normalizer } from './fields.ts';

export type FieldErrors = Record<string, string>;
/** On failure, `partial` holds the normalised values of the fields that passed. */
export type FormResult<T> = { ok: true; value: T } | { ok: false; fields: FieldErrors; partial: Partial<T> };

interface FieldSchema extends TSchema {
  title?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  errorMessage?: string;
  'x-normalize'?: Normalizer;
}

const patterns = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source, 'u');
    patterns.set(source, re);
  }
  return re;
}

/** Length in characters as a person counts them (code points), not UTF-16 units. */
function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** Checks one raw value against one field schema: the normalised value, or a message. */
export function checkField(schema: TSchema, raw: unknown): { value: string } | { error: string } {
  const field = schema as FieldSchema;
  const message = field.errorMessage ?? `${field.title ?? 'This field'} is invalid.`;
  if (typeof raw !== 'string') return { error: message };
  const value = NORMALIZERS[field['x-normalize'] ?? 'trim'](raw);
  // Length first: a pattern never runs on an oversized string.
  const length = charLength(value);
  if (field.maxLength !== undefined && length > field.maxLength) return { error: message };
  if (field.minLength !== undefined && length < field.minLength) return { error: message };
  if (field.pattern !== undefined && !regex(field.pattern).test(value)) return { error: message };
  return { value };
}

function isRecord(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/**
 * Validates an object against an object schema of fields. Unknown keys are dropped; a missing,
 * null or blank required field gets "<title> is required."; an optional one may be absent.
 */
export function validateForm<T>(schema: TObject, input: unknown): FormResult<T> {
  const source = isRecord(input) ? input : {};
  const required = new Set<string>(schema.required ?? []);
  const value: Record<string, string> = {};
  const fields: FieldErrors = {};
  for (const [key, fieldSchema] of Object.entries(schema.properties) as [string, FieldSchema][]) {
    const raw = Object.hasOwn(source, key) ? source[key] : undefined;
    const blank = raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
    if (blank) {
      if (required.has(key)) fields[key] = `${fieldSchema.title ?? key} is required.`;
      continue;
    }
    const result = checkField(fieldSchema, raw);
    if ('error' in result) fields[key] = result.error;
    else value[key] = result.value;
  }
  if (!isRecord(input) && Object.keys(fields).length === 0) fields._ = 'Expected an object of fields.';
  return Object.keys(fields).length ? { ok: false, fields, partial: value as Partial<T> } : { ok: true, value: value as T };
}
