// A Vite plugin: `virtual:contract-validators`, the contracts' request schemas as standalone
// TypeBox checks generated at build (and dev-server start) time, so the SPA validates with
// TypeBox's own checks without shipping its compiler (which would add ~13 kB gzipped to the
// first chunk, and ~21 kB more after it; README, The SPA).
//
// `virtual:contract-validators/<Name>[,<Name>…]`: the same for other object schemas the
// contracts export (the passkeys' bodies), a module of their own, imported only where a lazily
// loaded page (or the mock API) needs them: their checks stay out of the first chunk.
import * as contracts from '@register/contracts';
import { REQUEST_SCHEMAS } from '@register/contracts';
import { standaloneModule } from '@register/contracts/standalone';
import type { TObject } from 'typebox';
import type { Plugin } from 'vite';

const ID = 'virtual:contract-validators';
const RESOLVED = `\0${ID}`;

function isObjectSchema(value: unknown): value is TObject {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'object' && 'properties' in value;
}

/** The schemas a `virtual:contract-validators/A,B` id names, each an object schema the contracts export. */
function namedSchemas(list: string): Record<string, TObject> {
  const exported = contracts as Record<string, unknown>;
  return Object.fromEntries(
    list.split(',').map((name) => {
      const schema = exported[name];
      if (!isObjectSchema(schema)) throw new Error(`${ID}/${list}: ${name} is not an object schema of @register/contracts`);
      return [name, schema];
    }),
  );
}

export function contractValidators(): Plugin {
  return {
    name: 'contract-validators',
    resolveId: (id) => (id === ID || id.startsWith(`${ID}/`) ? `\0${id}` : undefined),
    load: (id) => {
      if (id === RESOLVED) return standaloneModule(REQUEST_SCHEMAS);
      if (id.startsWith(`${RESOLVED}/`)) return standaloneModule(namedSchemas(id.slice(RESOLVED.length + 1)));
      return undefined;
    },
  };
}
