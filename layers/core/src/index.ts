// Public surface of the routing core (`@switchyard/core`): pure TypeScript, no AWS, no I/O.
export * from './api.schema.ts';
export * from './canary.ts';
export * from './compile.ts';
export * from './errors.ts';
export * from './execute-plan.ts';
export * from './hints.ts';
export * from './plan.ts';
export * from './policy-match.ts';
export type * from './ports.ts';
export * from './random.ts';
export * from './registry.schema.ts';
export * from './route.ts';
export type * from './route.types.ts';
export * from './route-request.ts';
export * from './score.ts';
export * from './strategies/index.ts';
export * from './tokens.ts';
