// The learned router's pure parts: context vectors, learned state, refit and evaluation.
export * from './context.ts';
export * from './learned-state.ts';
export * from './route-learning.ts';
