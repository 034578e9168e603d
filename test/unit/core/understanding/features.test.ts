// Request features from prompt text, with literal values: each feature on prompts that show it
// (and on ones that must not), the thresholds at which a task or domain is inferred, the scan
// window (head and tail of a long prompt), and what prompt text each kind of call contributes.
import { describe, expect, it } from 'vitest';
import type { InferenceCall, RequestFeatures } from '../../../../layers/core/src/index.ts';
import {
  BUILT_IN_LEXICON,
  compileLexicon,
  complexityScore,
  extractFeatures,
  lookupTerm,
  MAX_SCAN_CHARS,
  normalizeTerm,
  payloadTexts,
  promptOf,
  SCAN_HEAD_CHARS,
  SCAN_TAIL_CHARS,
  scanWindow,
} from '../../../../layers/core/src/index.ts';

const LEX = compileLexicon([
  {
    name: 'legal',
    min_score: 0.5,
    terms: { contract: 1, plaintiff: 2, 'breach of contract': 3, 'statute of limitations': 3 },
  },
  { name: 'medical', min_score: 0.5, terms: { patient: 1.5, diagnosis: 2, Dosage: 2 } },
]);
const f = (text: string, tokens = 10): RequestFeatures =>
  extractFeatures({ texts: [text], turns: 1 }, tokens, LEX);

describe('extractFeatures', () => {
  it('reads a legal question: question task, legal domain, English, literal scores', () => {
    expect(f('What is the statute of limitations for a breach of contract claim in California?', 20)).toEqual(
      {
        tokens: 20,
        chars: 80,
        turns: 1,
        script: 'latin',
        language: 'en',
        code: 0,
        math: 0,
        questions: 1,
        steps: 0,
        tasks: { question: 0.632 },
        task: 'question',
        // statute of limitations 3 + breach of contract 3 + contract 1 = 7 over 13 words.
        domains: { legal: 0.999, medical: 0 },
        domain: 'legal',
        complexity: 0.143,
      },
    );
  });

  it('task signals: summarize, translate, classify, extract, code; the strongest specific one wins', () => {
    expect(f('Summarize the following article.').task).toBe('summarize');
    expect(f('Summarize the following article.').tasks).toEqual({ summarize: 0.865 });
    // translate 2 + "into french" 1.5.
    expect(f('Please translate this into French.').tasks).toEqual({ translate: 0.97 });
    expect(f('Classify the sentiment of this review.').tasks).toEqual({ classify: 0.97 });
    expect(f('Extract the names and list all the dates.').tasks).toEqual({ extract: 0.95 });
    expect(f('Refactor this Python snippet.').tasks).toEqual({ code: 0.982 });
    // A question with a specific task: the specific task is inferred, the question still counted.
    const both = f('Can you summarize this? It is long.');
    expect(both.tasks).toEqual({ summarize: 0.865, question: 0.632 });
    expect(both.task).toBe('summarize');
  });

  it('infers a task only from TASK_MIN_STRENGTH (0.6) and only when strictly strongest', () => {
    // "recap" weighs 1: 1 - e^-1 = 0.632 >= 0.6.
    expect(f('A recap.').task).toBe('summarize');
    // "tag" is not a cue, "label" weighs 1 -> 0.632.
    expect(f('A label.').task).toBe('classify');
    // Equal signals: no task.
    expect(f('Summarize and translate.').tasks).toEqual({ summarize: 0.865, translate: 0.865 });
    expect(f('Summarize and translate.').task).toBeUndefined();
    // No cue at all.
    expect(f('Good morning.').task).toBeUndefined();
    expect(f('Good morning.').tasks).toEqual({});
  });

  it('counts questions: ? runs once, ？ and ؟, and sentences opening with an interrogative', () => {
    expect(f('Why??').questions).toBe(1);
    expect(f('Why? How? Where?').questions).toBe(3);
    expect(f('How do I sort a list.\nWhat about maps').questions).toBe(2);
    expect(f('今天天气怎么样？').questions).toBe(1);
    expect(f('ما هذا؟').questions).toBe(1);
    expect(f('I know what you did.').questions).toBe(0);
    // An interrogative alone is not a sentence.
    expect(f('What.').questions).toBe(0);
  });

  it('counts steps: numbered lines, sequence words, "step by step"', () => {
    expect(f('1. Read it\n2) Write it\n3. Ship it').steps).toBe(3);
    expect(f('First read it, then write it, finally ship it.').steps).toBe(2);
    expect(f('Explain it step by step.').steps).toBe(1);
    expect(f('Explain it step-by-step.').steps).toBe(1);
    // Not list items: a decimal, a number mid-line.
    expect(f('1.5 litres\nabout 2. maybe').steps).toBe(0);
  });

  it('code: fences and syntax markers score high, prose scores 0', () => {
    expect(f('```js\nconst x = (a) => a + 1;\nconsole.log(x(2));\n```').code).toBe(1);
    // const 1, snake_case 0.5, camelCase 0.5, call 0.5, line-end ; 1 over 4 words.
    expect(f('const total_sum = getTotal(items);').code).toBe(0.965);
    expect(f('The weather is nice and the sea is calm today.').code).toBe(0);
    // One `->` in twelve words: 1 - exp(-1 / 1.12).
    expect(f('Go left -> then right, and keep walking until you see the sea').code).toBe(0.591);
  });

  it('math: arithmetic between numbers, symbols, math words, quantities', () => {
    // Two operations over 3 words: 1 - exp(-2 / 1.03).
    expect(f('2 + 3 = 5').math).toBe(0.857);
    expect(f('Solve the equation').math).toBe(0.857);
    // Three symbols over 1 word: 1 - exp(-3 / 1.01).
    expect(f('∑ x ≤ π').math).toBe(0.949);
    // 0.5 each for 5 kg and 20%, over 6 words.
    expect(f('It weighs 5 kg and 20%.').math).toBe(0.611);
    expect(f('Call me at 5 tomorrow.').math).toBe(0);
    expect(f('a-b and c+d').math).toBe(0);
  });

  it('script: the writing system with most letters; other without letters', () => {
    expect(f('hello').script).toBe('latin');
    expect(f('Привет, как дела').script).toBe('cyrillic');
    expect(f('Καλημέρα').script).toBe('greek');
    expect(f('مرحبا بك').script).toBe('arabic');
    expect(f('שלום עולם').script).toBe('hebrew');
    expect(f('नमस्ते दुनिया').script).toBe('devanagari');
    expect(f('你好世界 こんにちは 안녕하세요').script).toBe('cjk');
    expect(f('ok 你好世界').script).toBe('cjk');
    expect(f('12345 !!! 🙂').script).toBe('other');
    expect(f('').script).toBe('other');
  });

  it('language: latin script only, at least two stop words and strictly the most', () => {
    expect(f('The cat and the dog').language).toBe('en');
    expect(f('Der Hund und die Katze').language).toBe('de');
    expect(f('Le chat et le chien dans la maison').language).toBe('fr');
    expect(f('El perro y el gato con los niños').language).toBe('es');
    // Exactly two stop words: a guess; one: none.
    expect(f('The cat and').language).toBe('en');
    expect(f('The cat').language).toBeUndefined();
    // Cyrillic: no guess.
    expect(f('и в не на я').language).toBeUndefined();
  });

  it('domains: registry terms in any case, phrases, at most 3 occurrences per term, min_score', () => {
    const one = f('The patient.');
    // patient 1.5 over 2 words: 1 - exp(-1.5 / 1.01).
    expect(one.domains).toEqual({ legal: 0, medical: 0.774 });
    expect(one.domain).toBe('medical');
    // dosage 2 over 1 word: 1 - exp(-2 / 1.005).
    expect(f('DOSAGE').domains.medical).toBe(0.863);
    // Counted 3 times at most: W = 3 over 4 words (uncapped it would be 4: 0.98).
    expect(f('contract contract contract contract').domains.legal).toBe(0.947);
    // contract alone weighs 1: 0.632 at 1 word, under 0.5 once the prompt is long enough.
    expect(f('contract').domain).toBe('legal');
    // 1 - exp(-1 / (1 + 161/200)).
    expect(f(`contract ${'word '.repeat(160)}`).domains.legal).toBe(0.425);
    expect(f(`contract ${'word '.repeat(160)}`).domain).toBeUndefined();
    // A tie between domains: none.
    expect(f('plaintiff diagnosis').domain).toBeUndefined();
  });

  it('a domain is inferred from exactly its min_score, not below', () => {
    // "contract" alone: 1 - exp(-1 / 1.005) = 0.63.
    const at = (min: number) =>
      extractFeatures(
        { texts: ['contract'], turns: 1 },
        1,
        compileLexicon([{ name: 'legal', min_score: min, terms: { contract: 1 } }]),
      );
    expect(at(0.63).domains.legal).toBe(0.63);
    expect(at(0.63).domain).toBe('legal');
    expect(at(0.631).domain).toBeUndefined();
  });

  it('without registry domains, the domains map is empty', () => {
    const plain = extractFeatures({ texts: ['a contract'], turns: 2 }, 5, BUILT_IN_LEXICON);
    expect(plain.domains).toEqual({});
    expect(plain.domain).toBeUndefined();
    expect(plain.turns).toBe(2);
  });

  it('complexity: the documented soft-or of length, questions, steps, math and code', () => {
    expect(complexityScore(0, 0, 0, 0, 0)).toBe(0);
    expect(complexityScore(8192, 0, 0, 0, 0)).toBe(0.6);
    expect(complexityScore(1_000_000, 0, 0, 0, 0)).toBe(0.6);
    expect(complexityScore(0, 3, 0, 0, 0)).toBe(0.253);
    expect(complexityScore(0, 0, 3, 0, 0)).toBe(0.316);
    expect(complexityScore(0, 0, 0, 1, 0)).toBe(0.5);
    expect(complexityScore(0, 0, 0, 0, 1)).toBe(0.4);
    expect(complexityScore(8192, 1000, 1000, 1, 1)).toBe(0.964);
  });
});

describe('the scan window', () => {
  it('keeps a short prompt whole, messages joined by newlines', () => {
    expect(scanWindow(['a', 'b'])).toBe('a\nb');
    expect(scanWindow(['x'.repeat(MAX_SCAN_CHARS)]).length).toBe(MAX_SCAN_CHARS);
  });

  it('reads the head and the tail of a long prompt, and nothing between', () => {
    const long = `${'a'.repeat(SCAN_HEAD_CHARS)}${'b'.repeat(50_000)}${'c'.repeat(SCAN_TAIL_CHARS)}`;
    const w = scanWindow([long]);
    expect(w).toBe(`${'a'.repeat(SCAN_HEAD_CHARS)}\n${'c'.repeat(SCAN_TAIL_CHARS)}`);
    const fs = f(`Summarize this. ${'filler '.repeat(20_000)} What is the plaintiff's claim?`);
    expect(fs.chars).toBe(MAX_SCAN_CHARS + 1);
    expect(fs.task).toBe('summarize');
    expect(fs.questions).toBe(1);
    expect(fs.domains.legal).toBeGreaterThan(0);
  });

  it('takes the head from the first messages and the tail from the last', () => {
    const w = scanWindow(['S'.repeat(30_000), 'M'.repeat(30_000), 'U'.repeat(100)]);
    expect(w.startsWith('S'.repeat(SCAN_HEAD_CHARS))).toBe(true);
    expect(w.endsWith(`\n${'U'.repeat(100)}`)).toBe(true);
    expect(w.length).toBe(MAX_SCAN_CHARS + 1);
  });
});

describe('the lexicon', () => {
  it('normalises terms like the scan reads words', () => {
    expect(normalizeTerm('  Breach-of  CONTRACT ')).toBe('breach of contract');
    expect(normalizeTerm('TL;DR')).toBe('tl dr');
    expect(lookupTerm(LEX, 'breach of contract')?.domains).toEqual([[0, 3]]);
    expect(lookupTerm(LEX, 'breach of')?.prefix).toBe(true);
    expect(lookupTerm(LEX, 'dosage')?.domains).toEqual([[1, 2]]);
    expect(lookupTerm(LEX, 'no such term')).toBeUndefined();
  });
});

describe('promptOf', () => {
  it('chat: text parts in order, images skipped, turns = messages', () => {
    const call = {
      kind: 'chat',
      body: {
        model: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look:' },
              { type: 'image_url', image_url: { url: 'https://x/y.png' } },
            ],
          },
        ],
      },
    } as InferenceCall;
    expect(promptOf(call)).toEqual({ texts: ['Be brief.', 'Look:'], turns: 2 });
  });

  it('completion, embedding and invocation calls', () => {
    expect(
      promptOf({ kind: 'completion', body: { model: 'm', prompt: ['a', 'b'] } } as InferenceCall),
    ).toEqual({
      texts: ['a', 'b'],
      turns: 1,
    });
    expect(promptOf({ kind: 'embedding', body: { input: ['x', 'y'] } })).toEqual({
      texts: ['x', 'y'],
      turns: 1,
    });
    expect(promptOf({ kind: 'embedding', body: { input: [[1, 2]] } })).toEqual({ texts: [], turns: 1 });
    expect(
      promptOf({
        kind: 'invocation',
        task: 'sentiment',
        payload: { text: 'great', meta: { lang: 'en', n: 3 } },
      }),
    ).toEqual({ texts: ['great', 'en'], turns: 1 });
  });

  it('stops collecting payload strings once the scan window is full', () => {
    const big = Array.from({ length: 100 }, () => 'z'.repeat(1000));
    expect(payloadTexts(big)).toHaveLength(Math.ceil(MAX_SCAN_CHARS / 1000));
  });
});
