// The learned router's pure parts: context vectors, learned state, refit and evaluation.
export * from './context.ts';
export * from './decision-record.ts';
export * from './lambda.ts';
export * from './learned-canary.ts';
export * from './learned-state.ts';
export * from './off-policy.ts';
export * from './refit.ts';
export * from './route-learning.ts';
