// The contract every PII detector keeps, run by each detector's own test file (like the
// strategies' contract): exactly the listed values in its positives (type, span and text), nothing
// in its hard negatives, and for any text at all: spans of its own type, inside the text, sorted,
// never overlapping, the same twice; and a positive sentence's findings the same wherever the
// sentence is put between other words.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PiiDetector } from '../../../../layers/core/src/index.ts';
import { parseMarked } from '../../../fixtures/pii/pii-corpus-eval.ts';

export interface DetectorCases {
  /** Sentences with the detector's values marked `⟦type:value⟧` (pii-corpus-eval.ts). */
  positives: readonly string[];
  /** Sentences holding nothing of the detector's type. */
  negatives: readonly string[];
}

const arbText = fc.string({
  unit: fc.constantFrom(...'abcXYZ019@.:-_+ ()[]/=\n'.split('')),
  maxLength: 80,
});

export function detectorContract(detector: PiiDetector, cases: DetectorCases): void {
  describe(`${detector.type} detector: the PII detector contract`, () => {
    const positives = cases.positives.map(parseMarked);

    it.each(positives.map((p) => [p.text, p] as const))('finds exactly the marked values: %s', (_text, p) => {
      const found = detector.detect(p.text).map((s) => [s.type, p.text.slice(s.start, s.end)]);
      const expected = p.spans
        .filter((s) => s.type === detector.type)
        .map((s) => [s.type, p.text.slice(s.start, s.end)]);
      expect(expected.length).toBeGreaterThan(0);
      expect(found).toEqual(expected);
    });

    it.each(cases.negatives.map((n) => [n]))('finds nothing in the hard negative: %s', (text) => {
      expect(detector.detect(text)).toEqual([]);
    });

    it('returns its own type, inside the text, sorted and not overlapping, the same each time', () => {
      fc.assert(
        fc.property(arbText, (text) => {
          const spans = detector.detect(text);
          let reached = 0;
          for (const s of spans) {
            expect(s.type).toBe(detector.type);
            expect(s.start).toBeGreaterThanOrEqual(reached);
            expect(s.end).toBeGreaterThan(s.start);
            expect(s.end).toBeLessThanOrEqual(text.length);
            reached = s.end;
          }
          expect(detector.detect(text)).toEqual(spans);
        }),
      );
    });

    it('finds the same values in a positive sentence put between any texts', () => {
      const words = fc.string({ unit: fc.constantFrom(...'abc xyz.'.split('')), maxLength: 20 });
      fc.assert(
        fc.property(words, fc.constantFrom(...positives), words, (before, p, after) => {
          const text = `${before} ${p.text} ${after}`;
          const at = before.length + 1;
          const shifted = detector
            .detect(p.text)
            .map((s) => ({ ...s, start: s.start + at, end: s.end + at }));
          expect(detector.detect(text)).toEqual(shifted);
        }),
      );
    });
  });
}
