// Invariants of the request features, for any text (fast-check): every score in [0, 1] and
// rounded to 3 decimals, counts whole and non-negative, the task and domain only ever ones that
// exist and that clear their thresholds; complexity non-decreasing in each of its parts; a domain
// score non-decreasing when a neutral word becomes one of its terms; one more question counts one;
// whatever lies between a long prompt's head and tail changes nothing; the same input, the same
// features. (No timing here: speed is in `npm run bench -- --only features`.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RequestFeatures } from '../../../../layers/core/src/index.ts';
import {
  compileLexicon,
  complexityScore,
  extractFeatures,
  SCAN_HEAD_CHARS,
  SCAN_TAIL_CHARS,
  SCRIPTS,
  TASK_MIN_STRENGTH,
  TASK_SIGNALS,
} from '../../../../layers/core/src/index.ts';

const LEX = compileLexicon([
  { name: 'legal', min_score: 0.5, terms: { contract: 1, plaintiff: 2, 'breach of contract': 3 } },
  { name: 'medical', min_score: 0.7, terms: { patient: 1.5, diagnosis: 2 } },
  { name: 'finance', min_score: 0.5, terms: { dividend: 2, ebitda: 2 } },
]);
const features = (texts: string[], tokens = 100): RequestFeatures =>
  extractFeatures({ texts, turns: texts.length }, tokens, LEX);

const WORDS = [
  'the',
  'contract',
  'plaintiff',
  'patient',
  'diagnosis',
  'dividend',
  'summarize',
  'translate',
  'what',
  'how',
  'then',
  'step',
  'by',
  'const',
  'x',
  '2',
  '+',
  '=',
  '?',
  '.',
  '\n',
  '1.',
  '```',
  '=>',
  'Привет',
  '你好',
  'é',
  '🙂',
];
/** Text from a vocabulary that hits every feature, or any unicode at all. */
const text = fc.oneof(
  fc.array(fc.constantFrom(...WORDS), { maxLength: 80 }).map((w) => w.join(' ')),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
);
const inUnit = (x: number) => x >= 0 && x <= 1 && Math.round(x * 1000) / 1000 === x;

describe('request features (property)', () => {
  it('scores are in [0, 1] at 3 decimals; counts are whole; task and domain clear their thresholds', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), fc.nat(200_000), (texts, tokens) => {
        const f = features(texts, tokens);
        expect(inUnit(f.code) && inUnit(f.math) && inUnit(f.complexity)).toBe(true);
        for (const v of [...Object.values(f.tasks), ...Object.values(f.domains)])
          expect(inUnit(v)).toBe(true);
        expect(Object.keys(f.domains).sort()).toEqual(['finance', 'legal', 'medical']);
        for (const k of Object.keys(f.tasks)) expect(TASK_SIGNALS).toContain(k);
        expect(Number.isInteger(f.questions) && f.questions >= 0).toBe(true);
        expect(Number.isInteger(f.steps) && f.steps >= 0).toBe(true);
        expect(SCRIPTS).toContain(f.script);
        expect(f.tokens).toBe(tokens);
        expect(f.turns).toBe(texts.length);
        if (f.task !== undefined) expect(f.tasks[f.task] ?? 0).toBeGreaterThanOrEqual(TASK_MIN_STRENGTH);
        if (f.domain !== undefined) {
          const min = f.domain === 'medical' ? 0.7 : 0.5;
          expect(f.domains[f.domain]).toBeGreaterThanOrEqual(min);
          for (const [d, s] of Object.entries(f.domains))
            if (d !== f.domain) expect(s).toBeLessThan(f.domains[f.domain] as number);
        }
        if (f.language !== undefined) expect(f.script).toBe('latin');
      }),
      { numRuns: 300 },
    );
  });

  it('complexity is non-decreasing in each of its parts', () => {
    const part = fc.record({
      tokens: fc.nat(50_000),
      questions: fc.nat(50),
      steps: fc.nat(50),
      math: fc.double({ min: 0, max: 1, noNaN: true }),
      code: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    const c = (p: { tokens: number; questions: number; steps: number; math: number; code: number }) =>
      complexityScore(p.tokens, p.questions, p.steps, p.math, p.code);
    fc.assert(
      fc.property(
        part,
        fc.constantFrom('tokens', 'questions', 'steps', 'math', 'code'),
        fc.nat(1000),
        (p, k, d) => {
          const more = { ...p, [k]: k === 'math' || k === 'code' ? Math.min(1, p[k] + d / 1000) : p[k] + d };
          expect(c(more)).toBeGreaterThanOrEqual(c(p));
          expect(c(p)).toBeGreaterThanOrEqual(0);
          expect(c(p)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it("a neutral word turned into a domain's term never lowers that domain's score", () => {
    const neutral = fc.array(fc.constantFrom('alpha', 'beta', 'gamma', 'contract', 'plaintiff'), {
      minLength: 1,
      maxLength: 60,
    });
    fc.assert(
      fc.property(neutral, fc.nat(), fc.constantFrom('contract', 'plaintiff'), (words, at, term) => {
        const i = at % words.length;
        if (words[i] === 'contract' || words[i] === 'plaintiff') return;
        const after = [...words];
        after[i] = term;
        expect(features([after.join(' ')]).domains.legal).toBeGreaterThanOrEqual(
          features([words.join(' ')]).domains.legal as number,
        );
      }),
    );
  });

  it('one more question on its own line counts exactly one more', () => {
    fc.assert(
      fc.property(text, (t) => {
        const before = features([t], 50);
        const after = features([`${t}\nWhy is that?`], 50);
        expect(after.questions).toBe(before.questions + 1);
      }),
    );
  });

  it("what lies between a long prompt's head and tail changes nothing", () => {
    fc.assert(
      fc.property(text, text, (middleA, middleB) => {
        const head = 'Summarize the contract. '
          .repeat(Math.ceil(SCAN_HEAD_CHARS / 24))
          .slice(0, SCAN_HEAD_CHARS);
        const tail = 'What is the diagnosis? '
          .repeat(Math.ceil(SCAN_TAIL_CHARS / 23))
          .slice(0, SCAN_TAIL_CHARS);
        const a = features([`${head}${middleA}${'.'.repeat(100)}${tail}`]);
        const b = features([`${head}${middleB}${'.'.repeat(100)}${tail}`]);
        expect(a).toEqual(b);
      }),
      { numRuns: 30 },
    );
  });

  it('is deterministic: the same prompt, the same features', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 3 }), (texts) => {
        expect(features(texts)).toEqual(features([...texts]));
      }),
    );
  });
});
