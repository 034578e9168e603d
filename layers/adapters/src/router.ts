// `@switchyard/adapters/router`: the adapters the router function uses, and nothing else, so its
// cold start loads no SQS, Step Functions, SageMaker control-plane or API Gateway client (the
// package root re-exports every adapter). A module the router starts to use is added here.
export * from './aws-clients.ts';
export * from './budget-leases.ts';
export * from './budgets.dynamodb.ts';
export * from './decisions.dynamodb.ts';
export * from './health.cached.ts';
export * from './health.dynamodb.ts';
export * from './inference.by-kind.ts';
export * from './inflight-reporter.ts';
export * from './learned-state.dynamodb.ts';
export * from './metrics.emf.ts';
export * from './outcome-buffer.ts';
export * from './registry.cached.ts';
export * from './registry.dynamodb.ts';
export * from './tenant-budgets.cached.ts';
export * from './tenant-budgets.dynamodb.ts';
export * from './usage.dynamodb.ts';
export * from './usage-writer.ts';
