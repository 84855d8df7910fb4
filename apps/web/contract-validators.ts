// A Vite plugin: `virtual:contract-validators`, the contracts' request schemas as standalone
// TypeBox checks generated at build (and dev-server start) time, so the SPA validates with
// TypeBox's own checks without shipping its compiler (which would add ~13 kB gzipped to the
// first chunk, and ~21 kB more after it; README, The SPA).
import { REQUEST_SCHEMAS } from '@register/contracts';
import { standaloneModule } from '@register/contracts/standalone';
import type { Plugin } from 'vite';

const ID = 'virtual:contract-validators';
const RESOLVED = `\0${ID}`;

export function contractValidators(): Plugin {
  return {
    name: 'contract-validators',
    resolveId: (id) => (id === ID ? RESOLVED : undefined),
    load: (id) => (id === RESOLVED ? standaloneModule(REQUEST_SCHEMAS) : undefined),
  };
}
