// Seeded PRNG and stable hashing: reproducible, in range, evenly spread.
import { describe, expect, it } from 'vitest';
import { fnv1a32, hashToUnit, seededRandom } from '../../../layers/core/src/index.ts';

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = seededRandom(123);
    const b = seededRandom(123);
    const c = seededRandom(124);
    const sa = Array.from({ length: 10 }, a);
    expect(Array.from({ length: 10 }, b)).toEqual(sa);
    expect(Array.from({ length: 10 }, c)).not.toEqual(sa);
  });

  it('stays in [0, 1) with a roughly uniform mean and spread', () => {
    const r = seededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = r();
      if (!(u >= 0 && u < 1)) outside++;
      const b = Math.floor(u * 10);
      buckets[b] = (buckets[b] as number) + 1;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(Math.abs(count / n - 0.1)).toBeLessThan(0.005);
  });
});

describe('hashing', () => {
  it('implements FNV-1a 32-bit (reference vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('maps similar keys evenly over [0, 1)', () => {
    const buckets = new Array<number>(20).fill(0);
    const n = 40_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = hashToUnit(`user-${i}`);
      if (!(u >= 0 && u < 1)) outside++;
      const b = Math.floor(u * 20);
      buckets[b] = (buckets[b] as number) + 1;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(Math.abs(count / n - 0.05)).toBeLessThan(0.006);
  });
});
