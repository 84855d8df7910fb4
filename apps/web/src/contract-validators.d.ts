// The build-time modules of standalone request checks (contract-validators.ts, the Vite plugin).
declare module 'virtual:contract-validators' {
  import type { ObjectChecks, RequestSchemaName } from '@register/contracts';
  export const checks: Record<RequestSchemaName, ObjectChecks>;
}
/** `virtual:contract-validators/<Name>[,<Name>…]`: the checks of those schemas, by name. */
declare module 'virtual:contract-validators/*' {
  import type { ObjectChecks } from '@register/contracts';
  export const checks: Record<string, ObjectChecks>;
}
