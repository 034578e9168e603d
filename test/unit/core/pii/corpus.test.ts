// Precision and recall of all detectors together (detectPii) on the labelled corpus and on its
// held-out part, per type and overall, against the target of 0.95 each. A finding counts
// only with its exact type and span. The figures are the README's.
import { describe, expect, it } from 'vitest';
import { detectPii, PII_TYPES } from '../../../../layers/core/src/index.ts';
import { CORPUS, parseMarked, scoreCorpus } from '../../../fixtures/pii/pii-corpus-eval.ts';
import { HELD_OUT_LABELLED, HELD_OUT_NEGATIVES } from '../../../fixtures/pii/pii-corpus-held-out.ts';

const TARGET = 0.95;
const HELD_OUT = [
  ...HELD_OUT_LABELLED.map(parseMarked),
  ...HELD_OUT_NEGATIVES.map((text) => ({ text, spans: [] })),
];

describe('PII corpus', () => {
  it('has 118 labelled values of every type in 113 sentences and 70 hard negatives', () => {
    expect(CORPUS.length).toBe(183);
    expect(CORPUS.filter((e) => e.spans.length === 0).length).toBe(70);
    expect(CORPUS.reduce((n, e) => n + e.spans.length, 0)).toBe(118);
    const types = new Set(CORPUS.flatMap((e) => e.spans.map((s) => s.type)));
    expect([...types].sort()).toEqual([...PII_TYPES].sort());
  });

  it('meets 0.95 precision and recall overall and for every type', () => {
    const score = scoreCorpus((t) => detectPii(t));
    expect(score.errors).toEqual([]);
    expect(score.overall.precision).toBeGreaterThanOrEqual(TARGET);
    expect(score.overall.recall).toBeGreaterThanOrEqual(TARGET);
    expect(score.overall.tp).toBe(118);
    for (const type of PII_TYPES) {
      expect(score.byType[type]?.precision, type).toBeGreaterThanOrEqual(TARGET);
      expect(score.byType[type]?.recall, type).toBeGreaterThanOrEqual(TARGET);
    }
  });

  it('meets 0.95 on the held-out part, written after the tuning (36 values, 30 negatives)', () => {
    expect(HELD_OUT.reduce((n, e) => n + e.spans.length, 0)).toBe(36);
    const score = scoreCorpus((t) => detectPii(t), HELD_OUT);
    expect(score.overall.precision).toBeGreaterThanOrEqual(TARGET);
    expect(score.overall.recall).toBeGreaterThanOrEqual(TARGET);
    expect(score.errors).toEqual([]);
  });

  it('scores a detector that finds nothing at recall 0 and one that finds everything twice at precision 1/2', () => {
    const none = scoreCorpus(() => []);
    expect(none.overall).toMatchObject({ tp: 0, fp: 0, fn: 118, precision: 1, recall: 0 });
    const byText = new Map(CORPUS.map((e) => [e.text, e.spans]));
    const doubled = scoreCorpus((t) => (byText.get(t) ?? []).flatMap((s) => [s, { ...s, end: s.end - 1 }]));
    expect(doubled.overall).toMatchObject({ tp: 118, fp: 118, fn: 0, precision: 0.5, recall: 1 });
  });
});
