// Quality-first: the shared contract, then highest quality prior first.
import { describe, expect, it } from 'vitest';
import { qualityFirstStrategy, seededRandom } from '../../../../layers/core/src/index.ts';
import { candidate, tableOf } from '../fixtures.ts';
import { strategyContract } from '../strategy.contract.ts';

strategyContract(() => qualityFirstStrategy);

const q = (quality: number, score = 0.5) => candidate({ score, quality });

describe('quality-first strategy', () => {
  it('orders by the quality part, best first, ties by higher score', () => {
    const cs = [q(0.7), q(0.9, 0.3), q(0.5), q(0.9, 0.8)];
    expect(qualityFirstStrategy.select(tableOf(cs), seededRandom(1)).order).toEqual([3, 1, 0, 2]);
  });
});
