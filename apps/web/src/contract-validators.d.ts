// The build-time module of standalone request checks (contract-validators.ts, the Vite plugin).
declare module 'virtual:contract-validators' {
  import type { ObjectChecks, RequestSchemaName } from '@register/contracts';
  export const checks: Record<RequestSchemaName, ObjectChecks>;
}
