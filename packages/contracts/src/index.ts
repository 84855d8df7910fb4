export * from './check.ts';
export * from './codes.ts';
export * from './envelope.ts';
export * from './fields.ts';
export * from './i18n/catalog.ts';
export { en } from './i18n/en.ts';
export * from './lengths.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './passkeys.ts';
export * from './password-policy.ts';
export * from './reserved-usernames.ts';
export * from './routes.ts';
export * from './rules.ts';
export * from './schemas.ts';
// Imported by their own paths: compile.ts (@register/contracts/compile) and standalone.ts
// (@register/contracts/standalone) carry TypeBox's compiler, which the SPA never ships (its build
// generates standalone checks); password-strength.ts (@register/contracts/password-strength)
// carries zxcvbn's dictionaries, which the SPA loads lazily; i18n/zh-CN.ts
// (@register/contracts/i18n/zh-CN) is the Chinese catalog, which the SPA loads when chosen.
