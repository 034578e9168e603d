// The Step Functions workflows' contracts (state names, error names, step inputs), shared by the
// CDK constructs that define the state machines and the handlers that run their steps.
export * from './job-workflow.names.ts';
export * from './rollout-workflow.names.ts';
