export * from './codes.ts';
export * from './envelope.ts';
export * from './fields.ts';
export * from './forms.ts';
export * from './messages.ts';
export * from './password-policy.ts';
export * from './routes.ts';
export * from './validate.ts';
