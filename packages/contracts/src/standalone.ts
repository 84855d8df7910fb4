// Build-time code generation for the SPA: TypeBox's `Code()` turns each request schema, and
// each of its fields, into a standalone check function, so the browser runs TypeBox's own
// checks without shipping its compiler. The result is the source of one ES module exporting
// `checks`, keyed by schema name, in the shape check.ts's `checkerFrom` takes.
import type { TObject, TSchema } from 'typebox';
import { Code } from 'typebox/compile';

/** One generated check, as an expression; its external values (patterns) inlined. */
function checkExpression(schema: TSchema): string {
  const { Code: source, External } = Code(schema);
  const variables = External.variables.map((variable) => {
    if (variable instanceof RegExp) return `new RegExp(${JSON.stringify(variable.source)}, ${JSON.stringify(variable.flags)})`;
    throw new Error(`standalone: cannot inline an external value of type ${typeof variable}`);
  });
  // The module body without its imports, SetExternal and export: its check_N consts remain.
  const body = source
    .split('\n')
    .filter((line) => !/^import |^export function SetExternal|^let External|^\/\/ @ts-ignore/.test(line))
    .join('\n')
    .replace(/export function Check\(value\) \{ return (check_\d+)\(value\) \}/, 'return $1;');
  return `(() => {\n  const External = [${variables.join(', ')}];\n${body}\n})()`;
}

export function standaloneModule(schemas: Readonly<Record<string, TObject>>): string {
  const entries = Object.entries(schemas).map(([name, schema]) => {
    const fields = Object.entries(schema.properties).map(
      ([key, field]) => `    ${JSON.stringify(key)}: ${checkExpression(field)},`,
    );
    return `  ${JSON.stringify(name)}: {\n    object: ${checkExpression(schema)},\n    fields: {\n${fields.join('\n')}\n    },\n  },`;
  });
  const body = `export const checks = {\n${entries.join('\n')}\n};`;
  // Only the runtime helpers the generated code calls (Guard for code-point lengths, Hashing for enums of objects).
  const imports = [
    body.includes('Hashing.') ? 'import { Hashing } from "typebox/system";' : '',
    body.includes('Guard.') ? 'import { Guard } from "typebox/guard";' : '',
  ].filter(Boolean);
  return [
    '// Generated at build time by @register/contracts/standalone from the request schemas. Do not edit.',
    ...imports,
    body,
    '',
  ].join('\n');
}
