// The strategies' shared helpers: RankedWalk (the ranked head, then the unranked rest ascending,
// each index once) against a filter oracle, and Scratch (zero-filled views of the requested
// length, reused for the same length, regrown past the buffer).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RankedWalk, Scratch } from '../../../../layers/core/src/strategies/index.ts';

const drain = (walk: RankedWalk): number[] => {
  const out: number[] = [];
  for (let i = walk.next(); i >= 0; i = walk.next()) out.push(i);
  return out;
};

describe('RankedWalk', () => {
  it('the head in its order, then the rest ascending, then -1 for good', () => {
    const walk = new RankedWalk([4, 1, 6], 8);
    expect(drain(walk)).toEqual([4, 1, 6, 0, 2, 3, 5, 7]);
    expect(walk.next()).toBe(-1);
  });

  it('skips head indexes at both ends of the range, and a full head leaves nothing', () => {
    expect(drain(new RankedWalk([0, 7], 8))).toEqual([0, 7, 1, 2, 3, 4, 5, 6]);
    expect(drain(new RankedWalk([2, 0, 1], 3))).toEqual([2, 0, 1]);
    expect(drain(new RankedWalk([], 2))).toEqual([0, 1]);
    expect(drain(new RankedWalk([], 0))).toEqual([]);
  });

  it('property: visits every index once, head first, rest ascending', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 40 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i))),
          ),
        ([n, head]) => {
          const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !head.includes(i));
          expect(drain(new RankedWalk(head, n))).toEqual([...head, ...rest]);
        },
      ),
    );
  });
});

describe('Scratch', () => {
  it('hands out zero-filled views of the requested length, the same view for the same length', () => {
    const s = new Scratch();
    const a = s.f64(3);
    a.set([1, 2, 3]);
    const b = s.f64(3);
    expect(b).toBe(a);
    expect(Array.from(b)).toEqual([0, 0, 0]);
    const c = s.f64(2);
    expect(c.length).toBe(2);
    expect(c.buffer).toBe(a.buffer);
    const u = s.u8(4);
    u.set([9, 9, 9, 9]);
    expect(Array.from(s.u8(4))).toEqual([0, 0, 0, 0]);
    expect(s.i32(5).length).toBe(5);
  });

  it('regrows past the buffer (64 at first) with a fresh zeroed view', () => {
    const s = new Scratch();
    const small = s.f64(64);
    small.fill(7);
    const big = s.f64(65);
    expect(big.length).toBe(65);
    expect(big.buffer).not.toBe(small.buffer);
    expect(big.buffer.byteLength).toBe(128 * 8);
    expect(big.every((v) => v === 0)).toBe(true);
    expect(s.u8(65).length).toBe(65);
    expect(s.i32(65).length).toBe(65);
  });
});
