// What a contract field schema says about itself, for input attributes and help text: TypeBox
// schemas are plain JSON-schema objects, so the rule is read from them rather than restated;
// its sentence comes from the catalog entry the schema names (`x-field`), in the visitor's language.
import type { Catalog, FieldKey } from '@register/contracts';
import type { TSchema } from 'typebox';

export function fieldRule(schema: TSchema, messages: Catalog): { maxLength?: number; text?: string } {
  const {
    maxLength,
    errorMessage,
    'x-field': field,
  } = schema as {
    maxLength?: number;
    errorMessage?: string;
    'x-field'?: FieldKey;
  };
  return { maxLength, text: field ? messages.fields[field].invalid : errorMessage };
}
