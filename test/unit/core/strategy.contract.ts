// The contract every selection strategy keeps, run by each strategy's own test file (like a
// router's shared case suite): it only orders the given candidates, returns each exactly once
// (all of them without a limit, a distinct head with one), is deterministic for a seeded
// generator, reports exactly the draws it consumed, ranks the head as it would rank the whole
// list, and copes with 0, 1 and degenerate inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CandidateTable, SelectionStrategy } from '../../../layers/core/src/index.ts';
import { RankedWalk, seededRandom } from '../../../layers/core/src/index.ts';
import type { Row } from './fixtures.ts';
import { candidate, tableOf } from './fixtures.ts';

const arbCandidate: fc.Arbitrary<Row> = fc
  .record({
    score: fc.double({ min: 0, max: 1, noNaN: true }),
    quality: fc.double({ min: 0, max: 1, noNaN: true }),
    weight: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5, noNaN: true })),
    cost: fc.double({ min: 0, max: 1, noNaN: true }),
    latency: fc.integer({ min: 1, max: 10_000 }),
    peak: fc.integer({ min: 1, max: 10_000 }),
    inflight: fc.integer({ min: 0, max: 50 }),
  })
  .map((r) =>
    candidate({
      score: r.score,
      quality: r.quality,
      weight: r.weight,
      cost: r.cost,
      latency: r.latency,
      peak: r.peak,
      inflight: r.inflight,
    }),
  );

const arbCandidates = fc.array(arbCandidate, { minLength: 0, maxLength: 120 });

const isPermutation = (order: readonly number[], n: number): boolean =>
  order.length === n &&
  new Set(order).size === n &&
  order.every((i) => Number.isInteger(i) && i >= 0 && i < n);

const COLUMNS = ['score', 'quality', 'weight', 'cost', 'latency', 'peak', 'inflight', 'capacity'] as const;

/** The rows as a table of Float64Array columns, the form route() hands to strategies. */
function typedTableOf(rows: readonly Row[]): CandidateTable {
  const t = tableOf(rows);
  const col = (k: (typeof COLUMNS)[number]) => Float64Array.from(t[k] as ArrayLike<number>);
  return {
    length: t.length,
    score: col('score'),
    quality: col('quality'),
    weight: col('weight'),
    cost: col('cost'),
    latency: col('latency'),
    peak: col('peak'),
    inflight: col('inflight'),
    capacity: col('capacity'),
  };
}

/** Plain copies of every column. */
const columnsOf = (t: CandidateTable): Record<string, number[]> =>
  Object.fromEntries(COLUMNS.map((k) => [k, Array.from(t[k])]));

/** A generator that records what it handed out. */
function recording(seed: number): { random: () => number; given: number[] } {
  const inner = seededRandom(seed);
  const given: number[] = [];
  return {
    given,
    random: () => {
      const u = inner();
      given.push(u);
      return u;
    },
  };
}

/** Runs the shared strategy contract against a fresh strategy from `factory`. */
export function strategyContract(factory: () => SelectionStrategy): void {
  describe(`${factory().name}: selection strategy contract`, () => {
    it('returns an empty order for no candidates', () => {
      const s = factory().select(tableOf([]), seededRandom(1));
      expect(s.order).toEqual([]);
    });

    it('returns the single candidate without needing any draw beyond its own', () => {
      const s = factory().select(tableOf([candidate()]), () => {
        throw new Error('no draw is needed for one candidate');
      });
      expect(s.order).toEqual([0]);
      expect(s.draws).toEqual([]);
    });

    it('returns every candidate exactly once without a limit', () => {
      fc.assert(
        fc.property(arbCandidates, fc.integer(), (cs, seed) => {
          const s = factory().select(tableOf(cs), seededRandom(seed));
          expect(isPermutation(s.order, cs.length)).toBe(true);
        }),
        { numRuns: 150 },
      );
    });

    it('with a limit, returns a head of min(limit, n) distinct candidates; the walk covers the rest once', () => {
      fc.assert(
        fc.property(arbCandidates, fc.integer({ min: 0, max: 130 }), fc.integer(), (cs, limit, seed) => {
          const s = factory().select(tableOf(cs), seededRandom(seed), limit);
          const k = Math.min(limit, cs.length);
          expect(s.order).toHaveLength(k);
          expect(new Set(s.order).size).toBe(k);
          for (const i of s.order) expect(Number.isInteger(i) && i >= 0 && i < cs.length).toBe(true);
          const walk = new RankedWalk(s.order, cs.length);
          const walked: number[] = [];
          for (let i = walk.next(); i >= 0; i = walk.next()) walked.push(i);
          expect(isPermutation(walked, cs.length)).toBe(true);
          expect(walked.slice(0, k)).toEqual(s.order);
        }),
        { numRuns: 150 },
      );
    });

    it('is deterministic for a seeded generator', () => {
      fc.assert(
        fc.property(arbCandidates, fc.integer(), (cs, seed) => {
          const a = factory().select(tableOf(cs), seededRandom(seed));
          const b = factory().select(tableOf(cs), seededRandom(seed));
          expect(b).toEqual(a);
        }),
        { numRuns: 100 },
      );
    });

    it('reports exactly the draws it consumed, in order, all in [0, 1)', () => {
      fc.assert(
        fc.property(arbCandidates, fc.integer(), fc.integer({ min: 1, max: 40 }), (cs, seed, limit) => {
          const rng = recording(seed);
          const s = factory().select(tableOf(cs), rng.random, limit);
          expect(s.draws).toEqual(rng.given);
          for (const u of s.draws) expect(u >= 0 && u < 1).toBe(true);
        }),
        { numRuns: 100 },
      );
    });

    it('ranks the first `limit` positions as it would rank the whole list', () => {
      fc.assert(
        fc.property(arbCandidates, fc.integer(), fc.integer({ min: 1, max: 40 }), (cs, seed, limit) => {
          const full = factory().select(tableOf(cs), seededRandom(seed));
          const part = factory().select(tableOf(cs), seededRandom(seed), limit);
          const k = Math.min(limit, cs.length);
          expect(part.order.slice(0, k)).toEqual(full.order.slice(0, k));
        }),
        { numRuns: 100 },
      );
    });

    it('copes with generators at the edges of [0, 1)', () => {
      const cs = Array.from({ length: 9 }, (_, i) => candidate({ score: (i + 1) / 10, weight: i % 3 }));
      for (const edge of [0, 0.999_999_999_999]) {
        const s = factory().select(tableOf(cs), () => edge);
        expect(isPermutation(s.order, cs.length)).toBe(true);
      }
    });

    it('does not modify the candidates (every column, as typed arrays like route() passes them)', () => {
      fc.assert(
        fc.property(arbCandidates, fc.integer(), fc.integer({ min: 0, max: 130 }), (cs, seed, limit) => {
          const table = typedTableOf(cs);
          const before = columnsOf(table);
          factory().select(table, seededRandom(seed), limit);
          expect(columnsOf(table)).toEqual(before);
          expect(table.length).toBe(cs.length);
        }),
        { numRuns: 60 },
      );
    });

    it('orders identical candidates in a valid, reproducible way', () => {
      const cs = Array.from({ length: 6 }, () => candidate());
      const a = factory().select(tableOf(cs), seededRandom(5));
      expect(isPermutation(a.order, 6)).toBe(true);
      expect(factory().select(tableOf(cs), seededRandom(5))).toEqual(a);
    });
  });
}
