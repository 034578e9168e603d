// Consistent hashing with bounded loads (core affinity/bounded-ring.ts): the bound's arithmetic
// at its edges, the ring walk (first eligible member with room, clockwise), weights, and the
// ring's stability across releases (the same keys on the same members).
import { describe, expect, it } from 'vitest';
import {
  HashRing,
  hash32,
  loadBound,
  MAX_VNODES,
  pickOnRing,
  SKIP_NOT_ELIGIBLE,
  SKIP_OVER_BOUND,
  vnodesFor,
} from '../../../../layers/core/src/index.ts';

const four = () => new HashRing(['r1', 'r2', 'r3', 'r4'].map((id) => ({ id, weight: 1 })));
const ALL = [1, 1, 1, 1];
const IDLE = [0, 0, 0, 0];

describe('loadBound: ceil((1 + ε) × total × weight / total weight)', () => {
  it('rounds up a fractional share: 1.5 × 7 / 2 = 5.25 → 6', () => {
    expect(loadBound(7, 1, 2, 0.5)).toBe(6);
    expect(loadBound(8, 1, 2, 0.5)).toBe(6);
    expect(loadBound(9, 1, 2, 0.5)).toBe(7);
  });

  it('keeps an exact share: 1.5 × 4 / 2 = 3', () => {
    expect(loadBound(4, 1, 2, 0.5)).toBe(3);
  });

  it('does not round an exact share up for floating-point noise: 1.1 × 100 = 110, not 111', () => {
    // (1 + 0.1) * 100 is 110.00000000000001 in binary floating point.
    expect((1 + 0.1) * 100).toBeGreaterThan(110);
    expect(loadBound(100, 1, 1, 0.1)).toBe(110);
    expect(loadBound(101, 1, 1, 0.1)).toBe(112);
  });

  it('scales with the weight: a weight-2 member of total weight 3 gets two thirds', () => {
    expect(loadBound(9, 2, 3, 0.5)).toBe(9);
    expect(loadBound(9, 1, 3, 0.5)).toBe(5);
  });

  it('is 0 for a member without weight, or when no eligible member has any', () => {
    expect(loadBound(5, 0, 3, 0.25)).toBe(0);
    expect(loadBound(5, 1, 0, 0.25)).toBe(0);
  });

  it('one request on idle replicas: the bound is 1 at ε = 0.25, 3 at ε = 10 (11 / 4)', () => {
    expect(loadBound(1, 1, 4, 0.25)).toBe(1);
    expect(loadBound(1, 1, 4, 10)).toBe(3);
  });
});

describe('vnodesFor', () => {
  it('400 points per unit of weight, at least 1 for any positive weight, none for 0, at most MAX_VNODES', () => {
    expect(vnodesFor(1)).toBe(400);
    expect(vnodesFor(2)).toBe(800);
    expect(vnodesFor(0.5)).toBe(200);
    expect(vnodesFor(0.001)).toBe(1);
    expect(vnodesFor(0)).toBe(0);
    expect(vnodesFor(10)).toBe(4000);
    expect(vnodesFor(10.01)).toBe(MAX_VNODES);
    expect(MAX_VNODES).toBe(4000);
  });

  it('a ring holds every member`s points, sorted', () => {
    const ring = new HashRing([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2 },
      { id: 'c', weight: 0 },
    ]);
    expect(ring.points.length).toBe(1200);
    expect(ring.owners.filter((o) => o === 0).length).toBe(400);
    expect(ring.owners.filter((o) => o === 1).length).toBe(800);
    expect(ring.owners.filter((o) => o === 2).length).toBe(0);
    for (let i = 1; i < ring.points.length; i++)
      expect(ring.points[i] as number).toBeGreaterThanOrEqual(ring.points[i - 1] as number);
  });
});

describe('HashRing.start', () => {
  it('finds the first point at or after a hash, and wraps past the last', () => {
    const ring = four();
    const p5 = ring.points[5] as number;
    expect(ring.start(p5)).toBe(5);
    // Points 5 and 6 differ (distinct hashes): one past point 5 is point 6's turn.
    expect(ring.points[6]).toBeGreaterThan(p5);
    expect(ring.start(p5 + 1)).toBe(6);
    expect(ring.start(0)).toBe(0);
    expect(ring.start((ring.points[ring.points.length - 1] as number) + 1)).toBe(0);
  });
});

describe('pickOnRing', () => {
  it('is stable across releases: these keys land on these replicas of an idle ring', () => {
    const ring = four();
    const at = (key: string) => pickOnRing(ring, hash32(key), IDLE, ALL, 0.25).member;
    expect(['conv-a', 'conv-b', 'conv-c', 'conv-d', 'conv-e'].map(at)).toEqual([0, 3, 2, 3, 2]);
  });

  it('an idle ring gives the key`s owner: the member of the first point at or after its hash', () => {
    const ring = four();
    const i = 17;
    const owner = ring.owners[i] as number;
    const pick = pickOnRing(ring, ring.points[i] as number, IDLE, ALL, 0.25);
    expect(pick).toMatchObject({ member: owner, bound: 1, skipped: [] });
  });

  it('walks past members that are not eligible, in ring order, and says so', () => {
    const ring = four();
    const owner = ring.owners[0] as number;
    const eligible = ALL.map((_, j) => (j === owner ? 0 : 1));
    const pick = pickOnRing(ring, ring.points[0] as number, IDLE, eligible, 0.25);
    expect(pick.member).not.toBe(owner);
    expect(pick.member).toBe(nextOtherOwner(ring, 0, [owner]));
    expect(pick.skipped).toEqual([owner]);
    expect(pick.skippedWhy).toEqual([SKIP_NOT_ELIGIBLE]);
  });

  // Two members, ε = 0.5: the owner holds L, the other 1; total = L + 2; bound = ceil(0.75 (L + 2)).
  const pair = () =>
    new HashRing([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
    ]);
  const ownerCase = (ownerLoad: number) => {
    const ring = pair();
    const owner = ring.owners[0] as number;
    const load = [0, 0];
    load[owner] = ownerLoad;
    load[1 - owner] = 1;
    return { owner, pick: pickOnRing(ring, ring.points[0] as number, load, [1, 1], 0.5) };
  };

  it('takes the owner exactly at its bound: 5 in flight + this one = 6 = ceil(1.5 × 7 / 2)', () => {
    const { owner, pick } = ownerCase(5);
    expect(pick).toMatchObject({ member: owner, bound: 6, skipped: [] });
  });

  it('passes the owner over one above it: 6 + 1 = 7 > ceil(1.5 × 8 / 2) = 6', () => {
    const { owner, pick } = ownerCase(6);
    expect(pick.member).toBe(1 - owner);
    expect(pick.bound).toBe(6);
    expect(pick.skipped).toEqual([owner]);
    expect(pick.skippedWhy).toEqual([SKIP_OVER_BOUND]);
    expect(pick.skippedBound).toEqual([6]);
  });

  it('counts only eligible members in the total: an excluded replica`s queue does not raise the bound', () => {
    const ring = four();
    const owner = ring.owners[0] as number;
    const other = nextOtherOwner(ring, 0, [owner]);
    const load = [0, 0, 0, 0];
    load[owner] = 1;
    // 100 in flight on an ineligible replica: not counted. Total = 1 + 1 over three weight-1
    // members: the owner's bound is ceil(1.25 × 2 / 3) = 1, and it already holds 1.
    load[other] = 100;
    const eligible = ALL.map((_, j) => (j === other ? 0 : 1));
    const pick = pickOnRing(ring, ring.points[0] as number, load, eligible, 0.25);
    expect(pick.skipped[0]).toBe(owner);
    expect(pick.skippedBound[0]).toBe(1);
    expect(pick.member).not.toBe(owner);
    expect(pick.member).not.toBe(other);
  });

  it('returns -1 when no member is eligible, or the ring is empty', () => {
    expect(pickOnRing(four(), 123, IDLE, [0, 0, 0, 0], 0.25).member).toBe(-1);
    const empty = new HashRing([{ id: 'a', weight: 0 }]);
    expect(pickOnRing(empty, 123, [0], [1], 0.25)).toMatchObject({ member: -1, bound: 0 });
  });

  it('returns -1 when fractional loads leave no member a whole request of room', () => {
    const ring = pair();
    // total = 2.4 + 2.4 + 1 = 5.8; each bound is ceil(1.01 × 5.8 / 2) = ceil(2.929) = 3 < 2.4 + 1.
    const pick = pickOnRing(ring, 0, [2.4, 2.4], [1, 1], 0.01);
    expect(pick.member).toBe(-1);
    expect(pick.skippedWhy).toEqual([SKIP_OVER_BOUND, SKIP_OVER_BOUND]);
  });

  it('caps the skipped list, and the walk goes on past the cap', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const ring = new HashRing(ids.map((id) => ({ id, weight: 1 })));
    const eligible = ids.map(() => 0);
    // Only one eligible member, the one furthest along the walk from point 0.
    const order: number[] = [];
    for (let i = 0; order.length < ids.length; i++) {
      const o = ring.owners[i % ring.points.length] as number;
      if (!order.includes(o)) order.push(o);
    }
    eligible[order[11] as number] = 1;
    const pick = pickOnRing(
      ring,
      ring.points[0] as number,
      ids.map(() => 0),
      eligible,
      0.25,
      3,
    );
    expect(pick.member).toBe(order[11]);
    expect(pick.skipped).toEqual(order.slice(0, 3));
  });

  it('spreads keys by weight: a weight-2 member gets about two thirds', () => {
    const ring = new HashRing([
      { id: 'light', weight: 1 },
      { id: 'heavy', weight: 2 },
    ]);
    const counts = [0, 0];
    for (let i = 0; i < 30_000; i++) {
      const m = pickOnRing(ring, hash32(`k${i}`), [0, 0], [1, 1], 0.25).member;
      counts[m] = (counts[m] as number) + 1;
    }
    expect(counts).toEqual([9850, 20150]);
  });
});

/** The first owner after point `i` (inclusive) not in `except`. */
function nextOtherOwner(ring: HashRing, i: number, except: number[]): number {
  for (let k = 0; k < ring.points.length; k++) {
    const o = ring.owners[(i + k) % ring.points.length] as number;
    if (!except.includes(o)) return o;
  }
  return -1;
}
