// Latency-first: the shared contract, then fastest expected latency first.
import { describe, expect, it } from 'vitest';
import { latencyFirstStrategy, seededRandom } from '../../../../layers/core/src/index.ts';
import { candidate, tableOf } from '../fixtures.ts';
import { strategyContract } from '../strategy.contract.ts';

strategyContract(() => latencyFirstStrategy);

describe('latency-first strategy', () => {
  it('orders by expected latency, fastest first, ties by higher score', () => {
    const cs = [
      candidate({ latency: 900 }),
      candidate({ latency: 120, score: 0.1 }),
      candidate({ latency: 450 }),
      candidate({ latency: 120, score: 0.6 }),
    ];
    expect(latencyFirstStrategy.select(tableOf(cs), seededRandom(1)).order).toEqual([3, 1, 2, 0]);
  });
});
