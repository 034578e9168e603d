// Properties of consistent hashing with bounded loads (core affinity/bounded-ring.ts), for any
// sequence of arrivals, departures and members leaving or coming back:
//   - the load bound: every arrival goes to an eligible member whose load, this request included,
//     is at most ceil((1 + ε) × its weighted fair share of the eligible members' in-flight total);
//   - some member always has room (integer loads);
//   - the choice is the first member with room along the ring from the key's hash (a reference
//     walk over the points, written here independently);
//   - consistency: without load pressure, a member leaving moves only the keys it held.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashRing, hash32, pickOnRing } from '../../../../layers/core/src/index.ts';

type Op =
  | { kind: 'arrive'; key: number }
  | { kind: 'depart'; which: number }
  | { kind: 'toggle'; member: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('arrive' as const), key: fc.nat(500) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('depart' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('toggle' as const), member: fc.nat() }) },
);

const worldArb = fc.record({
  weights: fc.array(fc.constantFrom(0.5, 1, 1, 1, 2, 3), { minLength: 1, maxLength: 8 }),
  epsilon: fc.constantFrom(0.01, 0.1, 0.25, 0.5, 1, 3),
  ops: fc.array(opArb, { minLength: 1, maxLength: 300 }),
});

/** The reference walk: members in the order of their first point clockwise from `point`. */
function ringOrder(ring: HashRing, point: number): number[] {
  const n = ring.points.length;
  let start = 0;
  while (start < n && (ring.points[start] as number) < point) start++;
  const order: number[] = [];
  for (let k = 0; k < n; k++) {
    const o = ring.owners[(start + k) % n] as number;
    if (!order.includes(o)) order.push(o);
  }
  return order;
}

describe('bounded-load hashing, any arrival order', () => {
  it('every arrival lands within ceil((1 + ε) × fair share), on the first member with room along the ring', () => {
    fc.assert(
      fc.property(worldArb, ({ weights, epsilon, ops }) => {
        const ring = new HashRing(weights.map((weight, j) => ({ id: `m${j}`, weight })));
        const m = weights.length;
        const load = new Array<number>(m).fill(0);
        const eligible = new Array<number>(m).fill(1);
        const live: number[] = []; // the member of each request in flight
        for (const op of ops) {
          if (op.kind === 'depart') {
            if (live.length === 0) continue;
            const [member] = live.splice(op.which % live.length, 1);
            load[member as number] = (load[member as number] as number) - 1;
            continue;
          }
          if (op.kind === 'toggle') {
            const j = op.member % m;
            eligible[j] = eligible[j] === 1 ? 0 : 1;
            continue;
          }
          const point = hash32(`key-${op.key}`);
          const pick = pickOnRing(ring, point, load, eligible, epsilon);
          const open = weights.some((w, j) => w > 0 && eligible[j] === 1);
          if (!open) {
            expect(pick.member).toBe(-1);
            continue;
          }
          // Some member always has room: the bounds add up to at least the total.
          expect(pick.member).toBeGreaterThanOrEqual(0);
          const j = pick.member;
          expect(eligible[j]).toBe(1);
          // The bound, recomputed from its definition.
          let total = 1;
          let weightSum = 0;
          for (let k = 0; k < m; k++) {
            if (eligible[k] === 0) continue;
            total += load[k] as number;
            weightSum += weights[k] as number;
          }
          const share = (total * (weights[j] as number)) / weightSum;
          expect((load[j] as number) + 1).toBeLessThanOrEqual(Math.ceil((1 + epsilon) * share - 1e-9));
          expect(pick.bound).toBe(Math.ceil((1 + epsilon) * share - 1e-9));
          // The first member along the ring that is eligible and has room.
          const walk = ringOrder(ring, point);
          const firstWithRoom = walk.find((k) => {
            if (eligible[k] === 0 || (weights[k] as number) === 0) return false;
            const bound = Math.ceil(((1 + epsilon) * total * (weights[k] as number)) / weightSum - 1e-9);
            return (load[k] as number) + 1 <= bound;
          });
          expect(j).toBe(firstWithRoom);
          expect(pick.skipped).toEqual(walk.slice(0, walk.indexOf(j)).slice(0, 8));
          load[j] = (load[j] as number) + 1;
          live.push(j);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('consistency: with no load, a member leaving moves only the keys it held', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.nat(),
        fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 60 }),
        (m, gone, keys) => {
          const ring = new HashRing(Array.from({ length: m }, (_, j) => ({ id: `replica-${j}`, weight: 1 })));
          const idle = new Array<number>(m).fill(0);
          const all = new Array<number>(m).fill(1);
          const leaving = gone % m;
          const without = all.map((_, j) => (j === leaving ? 0 : 1));
          for (const key of keys) {
            const before = pickOnRing(ring, hash32(key), idle, all, 0.25).member;
            const after = pickOnRing(ring, hash32(key), idle, without, 0.25).member;
            if (before !== leaving) expect(after).toBe(before);
            else expect(after).not.toBe(leaving);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the ring depends on the members, not their order: the same key gets the same member id', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 }),
        fc.string(),
        (ids, key) => {
          const a = new HashRing(ids.map((id) => ({ id, weight: 1 })));
          const reversed = [...ids].reverse();
          const b = new HashRing(reversed.map((id) => ({ id, weight: 1 })));
          const idle = ids.map(() => 0);
          const all = ids.map(() => 1);
          const pa = pickOnRing(a, hash32(key), idle, all, 0.25).member;
          const pb = pickOnRing(b, hash32(key), idle, all, 0.25).member;
          expect(reversed[pb]).toBe(ids[pa]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
