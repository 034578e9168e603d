// Lease sizing and the demand rate (pure): a lease covers the container's demand over the
// horizon or a few reservations, never more than a share of what is left, never less than what
// must fit now; near exhaustion it is a single reservation. Idle leases go back sooner for busy
// containers than for sparse ones.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDemand,
  DEFAULT_LEASE_POLICY,
  demandPerMs,
  idleReturnAfterMs,
  leaseSize,
} from '../../../../layers/core/src/index.ts';

describe('leaseSize (default policy: 10 s horizon, 8 reservations, 5% share)', () => {
  it.each([
    // need, amount per ms, available, lease
    [100, 0, 1_000_000, 800], // no history: 8 reservations
    [100, 1, 1_000_000, 10_000], // 1 unit/ms over 10 s
    [100, 1, 100_000, 5_000], // capped at 5% of what is left
    [100, 0, 1_500, 100], // near exhaustion: 5% is 75, less than the need: just the need
    [100, 0, 101, 100],
    [100, 0, 100, 100], // exactly what is available
    [101, 0, 100, 101], // more than available: asked as is, and refused by the store
    [1, 0.0001, 1_000_000, 8],
  ])('need %d at %d/ms with %d available: %d', (need, amountPerMs, available, size) => {
    expect(leaseSize({ need, amountPerMs, available })).toBe(size);
  });

  it('takes the policy it is given', () => {
    const policy = { ...DEFAULT_LEASE_POLICY, horizonMs: 1_000, minReservations: 2, maxShare: 0.5 };
    expect(leaseSize({ need: 10, amountPerMs: 1, available: 1_000 }, policy)).toBe(500);
    expect(leaseSize({ need: 10, amountPerMs: 0, available: 1_000 }, policy)).toBe(20);
  });

  it('whenever the need fits: need <= lease <= available, and beyond the need at most the share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.integer({ min: 0, max: 100_000_000 }),
        (need, amountPerMs, extra) => {
          const available = need + extra;
          const size = leaseSize({ need, amountPerMs, available });
          expect(Number.isInteger(size)).toBe(true);
          expect(size).toBeGreaterThanOrEqual(need);
          expect(size).toBeLessThanOrEqual(available);
          expect(size).toBeLessThanOrEqual(Math.max(need, Math.floor(available * 0.05)));
        },
      ),
    );
  });
});

describe('demand rate', () => {
  it('decays with the time constant', () => {
    const r = addDemand(undefined, 100, 0, 10_000);
    expect(r).toEqual({ amount: 100, count: 1, at: 0 });
    const later = addDemand(r, 100, 10_000, 10_000);
    expect(later.amount).toBeCloseTo(100 * Math.exp(-1) + 100, 9);
    expect(later.count).toBeCloseTo(Math.exp(-1) + 1, 9);
    expect(demandPerMs({ amount: 10_000, count: 10, at: 0 }, 0, 10_000)).toEqual({ amount: 1, count: 0.001 });
    expect(demandPerMs({ amount: 10_000, count: 10, at: 0 }, 10_000, 10_000).amount).toBeCloseTo(
      Math.exp(-1),
      9,
    );
    expect(demandPerMs(undefined, 5, 10_000)).toEqual({ amount: 0, count: 0 });
  });

  it('converges to a steady rate', () => {
    let r = addDemand(undefined, 5, 0, 10_000);
    for (let t = 10; t <= 100_000; t += 10) r = addDemand(r, 5, t, 10_000); // 0.5 per ms, 100 per s
    const rate = demandPerMs(r, 100_000, 10_000);
    expect(rate.amount).toBeGreaterThan(0.49);
    expect(rate.amount).toBeLessThan(0.51);
    expect(rate.count * 1000).toBeGreaterThan(99);
    expect(rate.count * 1000).toBeLessThan(101);
  });
});

describe('idleReturnAfterMs', () => {
  it.each([
    [undefined, 2_000], // one reservation so far: no gap known
    [100, 2_000], // 10 reservations a second: the 2 s floor
    [1_000, 4_000], // one a second: four gaps
    [20_000, 30_000], // one every 20 s: capped at the drain time
  ])('with gaps of %s ms: %d ms', (gap, ms) => {
    expect(idleReturnAfterMs(gap)).toBe(ms);
  });

  it('averages the gaps, newest weighted 1/4', () => {
    let r = addDemand(undefined, 1, 0, 10_000);
    expect(r.gap_ms).toBeUndefined();
    r = addDemand(r, 1, 1_000, 10_000);
    expect(r.gap_ms).toBe(1_000);
    r = addDemand(r, 1, 1_200, 10_000);
    expect(r.gap_ms).toBe(800);
  });
});
