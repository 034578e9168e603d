// Public surface of the routing core (`@switchyard/core`): pure TypeScript, no AWS, no I/O.

// The schema library the core's schemas are built with, re-exported so functions validate with
// the same single copy the core layer ships (function bundles then carry no zod of their own).
export * as z from 'zod';
export * from './affinity/index.ts';
export * from './api.schema.ts';
export * from './attempt-outcome.ts';
export * from './budget/index.ts';
export * from './canary.ts';
export * from './chat.schema.ts';
export * from './compile.ts';
export * from './completion.schema.ts';
export * from './embeddings/index.ts';
export * from './errors.ts';
export * from './execute-plan.ts';
export * from './health/index.ts';
export * from './hints.ts';
export * from './input-problem.ts';
export * from './json-limits.ts';
export * from './learning/index.ts';
export * from './metrics/metrics.contract.ts';
export * from './pii/index.ts';
export * from './plan.ts';
export * from './policy-match.ts';
export type * from './ports.ts';
export * from './random.ts';
export * from './registry.schema.ts';
export * from './rollout/index.ts';
export * from './route.ts';
export type * from './route.types.ts';
export * from './route-request.ts';
export * from './score.ts';
export * from './sse-format.ts';
export * from './strategies/index.ts';
export * from './stream-convert.ts';
export * from './stream-plan.ts';
export * from './tenant-view.ts';
export * from './tenants/tenant.schema.ts';
export * from './tenants/tenant-policy.ts';
export * from './tokens.ts';
export * from './understanding/index.ts';
export * from './usage/index.ts';
export * from './workflows/index.ts';
