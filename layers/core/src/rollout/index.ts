// Rollouts (pure): the request and record shapes, the gates, the registry edits.
export * from './canary-edit.ts';
export * from './gates.ts';
export * from './policy-gates.ts';
export * from './rollout.schema.ts';
