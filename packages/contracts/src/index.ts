export * from './codes.ts';
export * from './envelope.ts';
export * from './fields.ts';
export * from './forms.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './password-policy.ts';
export * from './reserved-usernames.ts';
export * from './routes.ts';
export * from './validate.ts';
// password-strength.ts is imported by its own path (@register/contracts/password-strength): it
// carries zxcvbn's dictionaries, which the SPA loads lazily.
