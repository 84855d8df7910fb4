// What a contract field schema says about itself, for input attributes and help text: TypeBox
// schemas are plain JSON-schema objects, so the rule is read from them rather than restated.
import type { TSchema } from 'typebox';

export function fieldRule(schema: TSchema): { maxLength?: number; text?: string } {
  const { maxLength, errorMessage } = schema as { maxLength?: number; errorMessage?: string };
  return { maxLength, text: errorMessage };
}
