// Least outstanding requests: the shared contract, then the load share (in flight + 1 over
// capacity), ties by score, the one draw among exact ties for first place (rotating the tied group),
// no draw otherwise, and idle identical replicas sharing the primary evenly.
import { describe, expect, it } from 'vitest';
import {
  leastOutstandingStrategy,
  outstandingShare,
  seededRandom,
} from '../../../../layers/core/src/index.ts';
import { candidate, tableOf } from '../fixtures.ts';
import { strategyContract } from '../strategy.contract.ts';

strategyContract(() => leastOutstandingStrategy);

const noDraw = () => {
  throw new Error('no draw is needed');
};

describe('least-outstanding strategy', () => {
  it('measures load as (inflight + 1) / capacity', () => {
    expect(outstandingShare(3, 8)).toBe(0.5);
    expect(outstandingShare(0, 32)).toBe(0.03125);
    expect(outstandingShare(0, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('orders by in-flight relative to capacity, fewest first, without a draw', () => {
    const cs = [
      candidate({ inflight: 3, capacity: 8 }), // 0.5
      candidate({ inflight: 10, capacity: 32 }), // 0.34375
      candidate({ inflight: 0, capacity: 4 }), // 0.25
      candidate({ inflight: 6, capacity: 8 }), // 0.875
      candidate({ inflight: 1, capacity: 2 }), // 1
    ];
    const s = leastOutstandingStrategy.select(tableOf(cs), noDraw);
    expect(s.order).toEqual([2, 1, 0, 3, 4]);
    expect(s.draws).toEqual([]);
  });

  it('counts the request itself: of two idle endpoints the larger goes first', () => {
    const cs = [candidate({ capacity: 8 }), candidate({ capacity: 32 })];
    expect(leastOutstandingStrategy.select(tableOf(cs), noDraw).order).toEqual([1, 0]);
  });

  it('puts one more request in flight after one fewer: 2 of 8 after 1 of 8, not the reverse', () => {
    const cs = [candidate({ inflight: 2, capacity: 8 }), candidate({ inflight: 1, capacity: 8 })];
    expect(leastOutstandingStrategy.select(tableOf(cs), noDraw).order).toEqual([1, 0]);
  });

  it('breaks ties of load by the higher score, then the lower index', () => {
    const cs = [
      candidate({ inflight: 1, capacity: 8, score: 0.4 }),
      candidate({ inflight: 3, capacity: 16, score: 0.6 }), // same share 0.25, better score
      candidate({ inflight: 0, capacity: 1, score: 0.9 }), // share 1
      candidate({ inflight: 1, capacity: 8, score: 0.4 }), // exact tie with 0, after the first place
    ];
    const s = leastOutstandingStrategy.select(tableOf(cs), noDraw);
    expect(s.order).toEqual([1, 0, 3, 2]);
  });

  it('an endpoint with no capacity goes last', () => {
    const cs = [candidate({ capacity: 0 }), candidate({ inflight: 40, capacity: 8 })];
    expect(leastOutstandingStrategy.select(tableOf(cs), noDraw).order).toEqual([1, 0]);
  });

  it('rotates an exact tie for first place by one draw: the group starts at floor(u * size)', () => {
    const cs = [
      candidate({ inflight: 5, capacity: 8 }), // 0.75
      candidate({ inflight: 0, capacity: 8 }), // tied for first
      candidate({ inflight: 0, capacity: 8 }),
      candidate({ inflight: 0, capacity: 8, score: 0.4 }), // same load, lower score: not tied
      candidate({ inflight: 0, capacity: 8 }),
      candidate({ inflight: 0, capacity: 8 }),
    ];
    const t = tableOf(cs);
    expect(leastOutstandingStrategy.select(t, () => 0)).toEqual({ order: [1, 2, 4, 5, 3, 0], draws: [0] });
    expect(leastOutstandingStrategy.select(t, () => 0.5)).toEqual({
      order: [4, 5, 1, 2, 3, 0],
      draws: [0.5],
    });
    expect(leastOutstandingStrategy.select(t, () => 0.75)).toEqual({
      order: [5, 1, 2, 4, 3, 0],
      draws: [0.75],
    });
    // With a limit the head is the same rotation.
    expect(leastOutstandingStrategy.select(t, () => 0.5, 2)).toEqual({ order: [4, 5], draws: [0.5] });
  });

  it('draws among every tied candidate, also those beyond the ranked head', () => {
    const cs = Array.from({ length: 200 }, () => candidate({ capacity: 8 }));
    const s = leastOutstandingStrategy.select(tableOf(cs), () => 0.999, 3);
    expect(s.order).toEqual([199, 0, 1]);
  });

  it('spreads idle identical replicas evenly over the primary', () => {
    const cs = Array.from({ length: 4 }, () => candidate({ capacity: 16 }));
    const counts = [0, 0, 0, 0];
    const random = seededRandom(9);
    for (let i = 0; i < 8000; i++) {
      const first = leastOutstandingStrategy.select(tableOf(cs), random, 1).order[0] as number;
      counts[first] = (counts[first] as number) + 1;
    }
    for (const c of counts) expect(Math.abs(c / 8000 - 0.25)).toBeLessThan(0.025);
  });
});
