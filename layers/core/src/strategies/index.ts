// The selection strategies by name, as policies refer to them.
import type { StrategyName } from '../registry.schema.ts';
import { costFirstStrategy } from './cost-first.ts';
import { latencyFirstStrategy } from './latency-first.ts';
import { learnedStrategy } from './learned.ts';
import { leastOutstandingStrategy } from './least-outstanding.ts';
import { p2cEwmaStrategy } from './p2c-ewma.ts';
import { qualityFirstStrategy } from './quality-first.ts';
import type { SelectionStrategy } from './strategy.ts';
import { weightedStrategy } from './weighted.ts';

export * from './cost-first.ts';
export * from './latency-first.ts';
export * from './learned.ts';
export * from './least-outstanding.ts';
export * from './p2c-ewma.ts';
export * from './quality-first.ts';
export * from './strategy.ts';
export * from './weighted.ts';

/** Every strategy a policy may name. */
export const STRATEGIES: Readonly<Record<StrategyName, SelectionStrategy>> = {
  weighted: weightedStrategy,
  'cost-first': costFirstStrategy,
  'latency-first': latencyFirstStrategy,
  'quality-first': qualityFirstStrategy,
  'p2c-ewma': p2cEwmaStrategy,
  'least-outstanding': leastOutstandingStrategy,
  learned: learnedStrategy,
};
