// Lease sizing and the demand rate (pure): a lease covers the container's demand over the
// horizon (longer when many leases share the item) or a few reservations, never more than a share
// of what is left (a smaller one when many leases share it), never less than what must fit now;
// near exhaustion it is a single reservation. Idle leases go back sooner for busy
// containers than for sparse ones (eight average gaps: a quiet spell that long is rare).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDemand,
  DEFAULT_LEASE_POLICY,
  demandPerMs,
  idleReturnAfterMs,
  leaseSize,
} from '../../../../layers/core/src/index.ts';

describe('leaseSize (default policy: 10 s horizon, 20 item writes/s, 8 reservations, share min(5%, 50% / leases))', () => {
  it.each([
    // need, amount per ms, available, leases on the item, lease
    [100, 0, 1_000_000, 1, 800], // no history: 8 reservations
    [100, 1, 1_000_000, 1, 10_000], // 1 unit/ms over 10 s
    [100, 1, 1_000_000, 200, 2_500], // 200 leases: each takes at most 0.25% of what is left
    [100, 1, 100_000_000, 200, 10_000], // ...which does not bind with plenty left: 10 s
    [100, 1, 100_000_000, 400, 20_000], // 400 leases x 1/20 s: each writes every 20 s
    [100, 1, 100_000, 1, 5_000], // capped at 5% of what is left
    [100, 1, 100_000, 10, 5_000], // 10 leases: 5% either way
    [100, 1, 100_000, 20, 2_500], // 20 leases: 2.5%
    [100, 0, 1_500, 1, 100], // near exhaustion: 5% is 75, less than the need: just the need
    [100, 0, 101, 1, 100],
    [100, 0, 100, 1, 100], // exactly what is available
    [101, 0, 100, 1, 101], // more than available: asked as is, and refused by the store
    [1, 0.0001, 1_000_000, 0, 8],
  ])('need %d at %d/ms, %d available, %d leases: %d', (need, amountPerMs, available, leases, size) => {
    expect(leaseSize({ need, amountPerMs, available, leases })).toBe(size);
  });

  it('takes the policy it is given', () => {
    const policy = { ...DEFAULT_LEASE_POLICY, horizonMs: 1_000, minReservations: 2, maxShare: 0.5 };
    const input = { need: 10, available: 1_000, leases: 1 };
    expect(leaseSize({ ...input, amountPerMs: 1 }, policy)).toBe(500);
    expect(leaseSize({ ...input, amountPerMs: 0 }, policy)).toBe(20);
    const crowded = { need: 100, amountPerMs: 1, available: 100_000, leases: 50 };
    expect(leaseSize(crowded)).toBe(1_000);
    expect(leaseSize(crowded, { ...DEFAULT_LEASE_POLICY, fairShare: 10 })).toBe(5_000);
    expect(
      leaseSize({ ...crowded, available: 100_000_000 }, { ...DEFAULT_LEASE_POLICY, itemWritesPerSecond: 1 }),
    ).toBe(50_000);
  });

  it('whenever the need fits: need <= lease <= available, and beyond the need at most the share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        (need, amountPerMs, extra, leases) => {
          const available = need + extra;
          const size = leaseSize({ need, amountPerMs, available, leases });
          expect(Number.isInteger(size)).toBe(true);
          expect(size).toBeGreaterThanOrEqual(need);
          expect(size).toBeLessThanOrEqual(available);
          const share = Math.min(0.05, 0.5 / Math.max(1, leases));
          expect(size).toBeLessThanOrEqual(Math.max(need, Math.floor(available * share)));
        },
      ),
    );
  });
});

describe('demand rate', () => {
  it('decays with the time constant', () => {
    const r = addDemand(undefined, 100, 0, 10_000);
    expect(r).toEqual({ amount: 100, count: 1, at: 0, since: 0 });
    const later = addDemand(r, 100, 10_000, 10_000);
    expect(later.amount).toBeCloseTo(100 * Math.exp(-1) + 100, 9);
    expect(later.count).toBeCloseTo(Math.exp(-1) + 1, 9);
    expect(later.since).toBe(0);
    const long = { amount: 10_000, count: 10, at: 0, since: -1e9 };
    expect(demandPerMs(long, 0, 10_000)).toEqual({ amount: 1, count: 0.001 });
    expect(demandPerMs(long, 10_000, 10_000).amount).toBeCloseTo(Math.exp(-1), 9);
    expect(demandPerMs(undefined, 5, 10_000)).toEqual({ amount: 0, count: 0 });
  });

  it('a young history is measured over the time it covers (at least 2 s), not the whole time constant', () => {
    const first = addDemand(undefined, 100, 0, 10_000);
    // 2 s of history at least: the decayed window is 10 s x (1 - e^-0.2) = 1812.7 ms
    expect(demandPerMs(first, 0, 10_000).amount).toBeCloseTo(100 / (10_000 * (1 - Math.exp(-0.2))), 9);
    expect(demandPerMs(first, 500, 10_000).amount).toBeCloseTo(
      (100 * Math.exp(-0.05)) / (10_000 * (1 - Math.exp(-0.2))),
      9,
    );
    expect(demandPerMs({ ...first, since: -10_000 }, 0, 10_000).amount).toBeCloseTo(
      100 / (10_000 * (1 - Math.exp(-1))),
      9,
    );
  });

  it('converges to a steady rate', () => {
    let r = addDemand(undefined, 5, 0, 10_000);
    for (let t = 10; t <= 100_000; t += 10) r = addDemand(r, 5, t, 10_000); // 0.5 per ms, 100 per s
    const rate = demandPerMs(r, 100_000, 10_000);
    expect(rate.amount).toBeGreaterThan(0.49);
    expect(rate.amount).toBeLessThan(0.51);
    expect(rate.count * 1000).toBeGreaterThan(99);
    expect(rate.count * 1000).toBeLessThan(101);
    // ...and from the first seconds on, not after a slow warm-up.
    let young = addDemand(undefined, 5, 0, 10_000);
    for (let t = 10; t <= 3_000; t += 10) young = addDemand(young, 5, t, 10_000);
    expect(demandPerMs(young, 3_000, 10_000).amount).toBeGreaterThan(0.49);
    expect(demandPerMs(young, 3_000, 10_000).amount).toBeLessThan(0.51);
  });
});

describe('idleReturnAfterMs', () => {
  it.each([
    [undefined, 2_000], // one reservation so far: no gap known
    [100, 2_000], // 10 reservations a second: the 2 s floor
    [250, 2_000], // 4 a second: eight gaps are exactly the floor
    [1_000, 8_000], // one a second: eight gaps
    [20_000, 30_000], // one every 20 s: capped at the renewal margin
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
