// Request features from prompt text, in one pass over at most MAX_SCAN_CHARS characters (the
// first SCAN_HEAD_CHARS and the last SCAN_TAIL_CHARS of the prompt: instructions sit at the
// start or the end), so a 100 KB prompt costs about what a 32 KB one does. Pure: no I/O, no
// clock. Per character: one class lookup (script counts, question and sentence marks, fences,
// code and math operators, numbered lines); per word (letters, digits, `_`): one Map.get in the
// compiled lexicon (lexicon.ts), plus the phrases it may start or continue.
//
// Features (see features.types.ts; scores rounded to 3 decimals, all in [0, 1]):
//   tokens      the request's prompt token estimate (tokens.ts), passed in: the budget's figure
//   chars       characters scanned (the window), turns: messages (1 for a prompt)
//   script      the writing system with most letters (latin, cyrillic, greek, arabic, hebrew,
//               devanagari, cjk incl. kana and hangul, other); `other` when there are no letters
//   language    latin script only: the language with most stop-word hits (en, de, fr, es, it,
//               pt, nl), when at least 2 and strictly more than any other
//   code        1 - exp(-C / (1 + words/100)), C = 3 per ``` fence + operators (=> -> == != && ||
//               :: </ />), line-end `;` and `{`, `name(` calls, snake_case and camelCase words,
//               code keywords (lexicon.ts)
//   math        1 - exp(-M / (1 + words/100)), M = digit-operator-digit, math symbols (U+2200..,
//               × ÷ ± π), `$`, LaTeX commands and math words, 0.5 per number with a unit or %
//   questions   `?` runs (also ？ and ؟) plus sentences opening with what/how/why/... without one
//   steps       numbered lines (`1.` `2)`), sequence words (then, next, finally, ...), "step by step"
//   tasks       per task signal 1 - exp(-cue weights) (question: 1 - exp(-questions); code also
//               adds 2 x the code score); `task` = the strongest specific signal >= TASK_MIN_STRENGTH
//               when strictly stronger than the others, else `question` if that is
//   domains     per registry domain 1 - exp(-W / (1 + words/200)), W = sum over its terms of
//               weight x min(occurrences, 3); `domain` = the strongest at or above its min_score
//               when strictly stronger than every other domain
//   complexity  1 - (1 - 0.6 L)(1 - 0.4 Q)(1 - 0.5 S)(1 - 0.5 math)(1 - 0.4 code), with
//               L = min(1, log2(1 + tokens/64) / log2(1 + 8192/64)), Q = 1 - exp(-questions/3),
//               S = 1 - exp(-steps/3): non-decreasing in each part
// Cost: linear in the scanned characters, about 10 ns a character at the median on the build
// machine (1 KB ~12 µs, 10 KB ~105 µs, 100 KB ~360 µs: `npm run bench -- --only features`); the
// window bounds it at ~32 K characters whatever the prompt's size. No allocation per word or
// character: one reused tally, hashes folded in place, the features object itself.
import type { RequestFeatures, Script, TaskSignal } from './features.types.ts';
import { SCRIPTS, TASK_SIGNALS } from './features.types.ts';
import type { Cue, Lexicon } from './lexicon.ts';
import {
  BUILT_IN_LEXICON,
  findEntry,
  fold1,
  fold2,
  H1_SEED,
  H2_SEED,
  LANGUAGES,
  lowerCode,
} from './lexicon.ts';

/** Characters scanned at most: the prompt's head and tail. */
export const MAX_SCAN_CHARS = 32_768;
export const SCAN_TAIL_CHARS = 8_192;
export const SCAN_HEAD_CHARS = MAX_SCAN_CHARS - SCAN_TAIL_CHARS;
/** A task signal at least this strong can be inferred from. */
export const TASK_MIN_STRENGTH = 0.6;
/** Longest word looked up in the lexicon (longer ones still count as words). */
const MAX_WORD = 32;

/** The prompt as the scan reads it: its texts in order (system, user, ... messages) and turns. */
export interface PromptSource {
  readonly texts: readonly string[];
  readonly turns: number;
}

const SCRIPT_INDEX = Object.fromEntries(SCRIPTS.map((s, i) => [s, i])) as Record<Script, number>;
const LATIN = SCRIPT_INDEX.latin;
const CYRILLIC = SCRIPT_INDEX.cyrillic;
const GREEK = SCRIPT_INDEX.greek;
const ARABIC = SCRIPT_INDEX.arabic;
const HEBREW = SCRIPT_INDEX.hebrew;
const DEVANAGARI = SCRIPT_INDEX.devanagari;
const CJK = SCRIPT_INDEX.cjk;
const OTHER = SCRIPT_INDEX.other;
const QUESTION = TASK_SIGNALS.indexOf('question');
const CODE_TASK = TASK_SIGNALS.indexOf('code');

// ASCII character classes.
const C_NONE = 0;
const C_LOWER = 1;
const C_UPPER = 2;
const C_DIGIT = 3;
const C_UNDERSCORE = 4;
const ASCII = new Uint8Array(128);
for (let c = 97; c <= 122; c++) ASCII[c] = C_LOWER;
for (let c = 65; c <= 90; c++) ASCII[c] = C_UPPER;
for (let c = 48; c <= 57; c++) ASCII[c] = C_DIGIT;
ASCII[95] = C_UNDERSCORE;

/** Script of a non-ASCII code unit that is a letter, or -1 (not a word character / not counted). */
function scriptOf(c: number): number {
  if (c < 0x250) return c >= 0xc0 && c !== 0xd7 && c !== 0xf7 ? LATIN : -1;
  if (c < 0x370) return -1;
  if (c < 0x400) return c === 0x3c0 ? -1 : GREEK; // π is math
  if (c < 0x530) return CYRILLIC;
  if (c < 0x590) return OTHER;
  if (c < 0x600) return HEBREW;
  if (c < 0x700) return c === 0x61f || c === 0x60c ? -1 : ARABIC;
  if (c >= 0x900 && c < 0x980) return DEVANAGARI;
  if (c >= 0x1e00 && c < 0x1f00) return LATIN;
  if (c >= 0x3040 && c < 0x3100) return CJK;
  if (c >= 0x3400 && c < 0xa000) return CJK;
  if (c >= 0xac00 && c < 0xd7b0) return CJK;
  if (c < 0x2000) return OTHER;
  return -1;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Math symbols outside ASCII: × ÷ ± π and the Mathematical Operators block. */
const isMathSymbol = (c: number): boolean =>
  c === 0xd7 || c === 0xf7 || c === 0xb1 || c === 0x3c0 || (c >= 0x2200 && c < 0x2300);

/** The scanned window: the whole prompt when short, else its head and tail. */
export function scanWindow(texts: readonly string[]): string {
  let total = Math.max(0, texts.length - 1);
  for (const t of texts) total += t.length;
  if (total <= MAX_SCAN_CHARS) return texts.length === 1 ? (texts[0] as string) : texts.join('\n');
  let head = '';
  for (const t of texts) {
    const room = SCAN_HEAD_CHARS - head.length;
    if (room <= 0) break;
    head += head === '' ? t.slice(0, room) : `\n${t}`.slice(0, room);
  }
  let tail = '';
  for (let i = texts.length - 1; i >= 0; i--) {
    const room = SCAN_TAIL_CHARS - tail.length;
    if (room <= 0) break;
    const t = texts[i] as string;
    tail = tail === '' ? t.slice(Math.max(0, t.length - room)) : `${t}\n`.slice(-room) + tail;
  }
  return `${head}\n${tail}`;
}

/** Most phrase candidates followed at once. */
const MAX_OPEN = 8;

/** Running totals of one scan. */
class Tally {
  words = 0;
  codeMarks = 0;
  mathMarks = 0;
  questions = 0;
  steps = 0;
  readonly taskHits = new Float64Array(TASK_SIGNALS.length);
  readonly domainWeight: Float64Array;
  /** Occurrences per lexicon entry counted for domains (capped at 3 per term). */
  readonly termCounts: Uint8Array;
  readonly langHits = new Uint16Array(LANGUAGES.length);
  readonly scripts = new Uint32Array(SCRIPTS.length);
  /** Open phrase candidates: the hashes of the words read so far of phrases that may continue. */
  readonly open1 = new Int32Array(MAX_OPEN);
  readonly open2 = new Int32Array(MAX_OPEN);
  openCount = 0;
  readonly next1 = new Int32Array(MAX_OPEN);
  readonly next2 = new Int32Array(MAX_OPEN);
  /** The current sentence's first word was an interrogative. */
  interrogative = false;
  sentenceWords = 0;
  /** The previous token was a number, ending at this index (for units). */
  numberEnd = -2;

  constructor(domains: number, entries: number) {
    this.domainWeight = new Float64Array(domains);
    this.termCounts = new Uint8Array(entries);
  }

  /** Zeroes every total, for the next scan. */
  reset(): void {
    this.words = 0;
    this.codeMarks = 0;
    this.mathMarks = 0;
    this.questions = 0;
    this.steps = 0;
    this.taskHits.fill(0);
    this.domainWeight.fill(0);
    this.termCounts.fill(0);
    this.langHits.fill(0);
    this.scripts.fill(0);
    this.openCount = 0;
    this.interrogative = false;
    this.sentenceWords = 0;
    this.numberEnd = -2;
  }
}

/** One tally reused by every scan (extractFeatures is synchronous), regrown for larger lexicons. */
let shared = new Tally(0, 0);
function tallyFor(lexicon: Lexicon): Tally {
  if (
    shared.domainWeight.length !== lexicon.domains.length ||
    shared.termCounts.length !== lexicon.cues.length
  ) {
    shared = new Tally(lexicon.domains.length, lexicon.cues.length);
  } else shared.reset();
  return shared;
}

function applyCue(t: Tally, entry: number, cue: Required<Cue>, wordIndex: number, start: number): void {
  const tasks = cue.tasks;
  if (tasks.length > 0) {
    for (let k = 0; k < tasks.length; k++) {
      const [i, w] = tasks[k] as readonly [number, number];
      t.taskHits[i] = (t.taskHits[i] as number) + w;
    }
  }
  const domains = cue.domains;
  if (domains.length > 0) {
    const seen = t.termCounts[entry] as number;
    if (seen < 3) {
      t.termCounts[entry] = seen + 1;
      for (let k = 0; k < domains.length; k++) {
        const [i, w] = domains[k] as readonly [number, number];
        t.domainWeight[i] = (t.domainWeight[i] as number) + w;
      }
    }
  }
  t.codeMarks += cue.code;
  t.mathMarks += cue.math;
  if (cue.step) t.steps++;
  if (cue.interrogative && wordIndex === 0) t.interrogative = true;
  if (cue.unit && t.numberEnd >= start - 1) t.mathMarks += 0.5;
  if (cue.langs !== 0) {
    for (let b = 0; b < LANGUAGES.length; b++) {
      if (cue.langs & (1 << b)) t.langHits[b] = (t.langHits[b] as number) + 1;
    }
  }
}

/** One word of `text` at [start, end) whose lower-cased hashes are (a, b). */
function onWord(
  t: Tally,
  lex: Lexicon,
  text: string,
  start: number,
  end: number,
  a: number,
  b: number,
): void {
  const index = t.sentenceWords++;
  t.words++;
  const e = findEntry(lex, a, b);
  const cue = e < 0 ? undefined : lex.cues[e];
  if (cue) applyCue(t, e, cue, index, start);
  const open = t.openCount;
  if (open === 0 && cue?.prefix !== true) return;
  let next = 0;
  for (let k = 0; k < open; k++) {
    // The phrase so far, a space, then this word.
    let pa = fold1(t.open1[k] as number, 32);
    let pb = fold2(t.open2[k] as number, 32);
    for (let i = start; i < end; i++) {
      const c = lowerCode(text.charCodeAt(i));
      pa = fold1(pa, c);
      pb = fold2(pb, c);
    }
    const pe = findEntry(lex, pa, pb);
    if (pe < 0) continue;
    const pc = lex.cues[pe] as Required<Cue>;
    applyCue(t, pe, pc, -1, start);
    if (pc.prefix && next < MAX_OPEN) {
      t.next1[next] = pa;
      t.next2[next++] = pb;
    }
  }
  if (cue?.prefix && next < MAX_OPEN) {
    t.next1[next] = a;
    t.next2[next++] = b;
  }
  for (let k = 0; k < next; k++) {
    t.open1[k] = t.next1[k] as number;
    t.open2[k] = t.next2[k] as number;
  }
  t.openCount = next;
}

function endSentence(t: Tally, asked: boolean): void {
  if (asked || (t.interrogative && t.sentenceWords > 1)) t.questions++;
  t.interrogative = false;
  t.sentenceWords = 0;
  t.openCount = 0;
}

/** Tallies one window of text. */
function scan(text: string, lex: Lexicon, t: Tally): void {
  const n = text.length;
  let wordStart = -1;
  let wa = 0;
  let wb = 0;
  let camel = false;
  let underscore = false;
  let prevLower = false;
  let allDigits = true;
  /** Class of the last non-space character: 0 other, 1 digit, 2 operator after a digit. */
  let mathState = 0;
  let lineStart = true;
  let lineDigits = 0;
  let backticks = 0;
  let prev = 10;
  let asciiLetters = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 10;
    let cls = C_NONE;
    let script = -1;
    if (c < 128) {
      cls = ASCII[c] as number;
      if (cls === C_LOWER || cls === C_UPPER) asciiLetters++;
    } else {
      script = scriptOf(c);
      if (script >= 0) t.scripts[script] = (t.scripts[script] as number) + 1;
    }
    // Word characters: ASCII letters, digits and `_`, and letters of the word scripts (CJK is
    // written without spaces: its characters count for the script only).
    if (cls !== C_NONE || (script >= 0 && script !== CJK && script !== OTHER)) {
      if (wordStart < 0) {
        wordStart = i;
        wa = H1_SEED;
        wb = H2_SEED;
        camel = false;
        underscore = false;
        prevLower = false;
        allDigits = true;
      }
      const lc = cls === C_UPPER ? c | 32 : cls === C_NONE ? lowerCode(c) : c;
      wa = fold1(wa, lc);
      wb = fold2(wb, lc);
      if (cls === C_UPPER) {
        if (prevLower) camel = true;
      } else if (cls === C_UNDERSCORE && i > wordStart) underscore = true;
      prevLower = cls === C_LOWER;
      if (cls !== C_DIGIT) allDigits = false;
      if (lineStart) {
        if (cls === C_DIGIT && lineDigits < 3) lineDigits++;
        else lineStart = false;
      }
      if (cls === C_DIGIT) {
        if (mathState === 2) t.mathMarks++;
        mathState = 1;
      } else mathState = 0;
      prev = c;
      continue;
    }
    if (wordStart >= 0) {
      const len = i - wordStart;
      if (allDigits) {
        t.numberEnd = i;
        t.words++;
        t.sentenceWords++;
      } else {
        if (camel) t.codeMarks += 0.5;
        if (underscore && text.charCodeAt(i - 1) !== 95) t.codeMarks += 0.5;
        if (c === 40 && len > 1) t.codeMarks += 0.5; // name(
        if (len <= MAX_WORD) onWord(t, lex, text, wordStart, i, wa, wb);
        else {
          t.words++;
          t.sentenceWords++;
        }
      }
      wordStart = -1;
    }
    // Non-word characters.
    if (c === 32 || c === 9) {
      prev = c;
      continue;
    }
    if (c === 10 || c === 13) {
      if (prev === 59 || prev === 123) t.codeMarks++; // line-end ; or {
      if (c === 10) endSentence(t, false);
      lineStart = true;
      lineDigits = 0;
      backticks = 0;
      mathState = 0;
      prev = c;
      continue;
    }
    if (lineStart) {
      if (lineDigits > 0 && (c === 46 || c === 41)) {
        const after = i + 1 < n ? text.charCodeAt(i + 1) : 10;
        if (after === 32 || after === 9) t.steps++;
      }
      lineStart = false;
    }
    if (c === 96) {
      if (++backticks === 3) t.codeMarks += 3;
      prev = c;
      continue;
    }
    backticks = 0;
    if (c === 63 || c === 0xff1f || c === 0x61f) {
      if (prev !== c) endSentence(t, true);
    } else if (c === 46 && isDigit(prev) && i + 1 < n && isDigit(text.charCodeAt(i + 1))) {
      // A decimal point (3.14): the number goes on.
      prev = c;
      continue;
    } else if (c === 46 || c === 33 || c === 0x3002 || c === 0xff01) {
      endSentence(t, false);
    } else if (c === 37) {
      if (mathState === 1) t.mathMarks += 0.5;
    }
    // Two-character code operators: => -> == != && || :: </ />
    if (
      (c === 62 && (prev === 61 || prev === 45)) ||
      (c === 61 && (prev === 61 || prev === 33)) ||
      (c === 38 && prev === 38) ||
      (c === 124 && prev === 124) ||
      (c === 58 && prev === 58) ||
      (c === 47 && prev === 60) ||
      (c === 62 && prev === 47)
    ) {
      t.codeMarks++;
    }
    // Arithmetic between numbers: 2 + 3, x^2, 10/5, 3*4, 5 = 5.
    if (c === 43 || c === 45 || c === 42 || c === 47 || c === 94 || c === 61) {
      mathState = mathState === 1 || c === 94 ? 2 : 0;
    } else if (c === 36 || (c >= 128 && isMathSymbol(c))) {
      t.mathMarks++;
      mathState = 2;
    } else mathState = 0;
    prev = c;
  }
  t.scripts[LATIN] = (t.scripts[LATIN] as number) + asciiLetters;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
const saturate = (x: number): number => round(1 - Math.exp(-x));

/** The strongest index of `scores` at or above `min(i)` and strictly above every other, or -1. */
function strongest(scores: ArrayLike<number>, min: (i: number) => number, skip = -1): number {
  let best = -1;
  let tie = false;
  for (let i = 0; i < scores.length; i++) {
    if (i === skip) continue;
    const s = scores[i] as number;
    if (best < 0 || s > (scores[best] as number)) {
      best = i;
      tie = false;
    } else if (s === scores[best]) tie = true;
  }
  if (best < 0 || tie || (scores[best] as number) < min(best) || (scores[best] as number) === 0) return -1;
  return best;
}

/** Complexity from its parts (see the header); exported for tests of its monotonicity. */
export function complexityScore(
  tokens: number,
  questions: number,
  steps: number,
  math: number,
  code: number,
) {
  const length = Math.min(1, Math.log2(1 + Math.max(0, tokens) / 64) / Math.log2(1 + 8192 / 64));
  const q = 1 - Math.exp(-questions / 3);
  const s = 1 - Math.exp(-steps / 3);
  return round(1 - (1 - 0.6 * length) * (1 - 0.4 * q) * (1 - 0.5 * s) * (1 - 0.5 * math) * (1 - 0.4 * code));
}

/**
 * The features of one prompt. `tokens` is the request's prompt token estimate; `lexicon` the
 * registry's compiled lexicon (BUILT_IN_LEXICON when the registry defines no domains).
 */
export function extractFeatures(
  source: PromptSource,
  tokens: number,
  lexicon: Lexicon = BUILT_IN_LEXICON,
): RequestFeatures {
  const text = scanWindow(source.texts);
  const t = tallyFor(lexicon);
  scan(text, lexicon, t);

  let scriptIndex = OTHER;
  let most = 0;
  for (let i = 0; i < SCRIPTS.length; i++) {
    if (i !== OTHER && (t.scripts[i] as number) > most) {
      most = t.scripts[i] as number;
      scriptIndex = i;
    }
  }
  if ((t.scripts[OTHER] as number) > most) scriptIndex = OTHER;
  const script = SCRIPTS[scriptIndex] as Script;

  const lengthFactor = 1 + t.words / 100;
  const code = saturate(t.codeMarks / lengthFactor);
  const math = saturate(t.mathMarks / lengthFactor);

  const tasks: Partial<Record<TaskSignal, number>> = {};
  const strengths = new Float64Array(TASK_SIGNALS.length);
  t.taskHits[QUESTION] = t.questions;
  t.taskHits[CODE_TASK] = (t.taskHits[CODE_TASK] as number) + 2 * code;
  for (let i = 0; i < TASK_SIGNALS.length; i++) {
    const s = saturate(Math.min(t.taskHits[i] as number, 20));
    strengths[i] = s;
    if (s > 0) tasks[TASK_SIGNALS[i] as TaskSignal] = s;
  }
  let taskIndex = strongest(strengths, () => TASK_MIN_STRENGTH, QUESTION);
  if (taskIndex < 0 && (strengths[QUESTION] as number) >= TASK_MIN_STRENGTH) taskIndex = QUESTION;

  const domains: Record<string, number> = {};
  const domainScores = new Float64Array(lexicon.domains.length);
  const domainFactor = 1 + t.words / 200;
  lexicon.domains.forEach((d, i) => {
    const s = saturate((t.domainWeight[i] as number) / domainFactor);
    domainScores[i] = s;
    domains[d.name] = s;
  });
  const domainIndex = strongest(domainScores, (i) => (lexicon.domains[i] as { minScore: number }).minScore);

  let language: string | undefined;
  if (script === 'latin') {
    const li = strongest(t.langHits, () => 2);
    if (li >= 0) language = LANGUAGES[li];
  }

  const features: RequestFeatures = {
    tokens,
    chars: text.length,
    turns: source.turns,
    script,
    code,
    math,
    questions: t.questions,
    steps: t.steps,
    tasks,
    domains,
    complexity: complexityScore(tokens, t.questions, t.steps, math, code),
  };
  if (language !== undefined) features.language = language;
  if (taskIndex >= 0) features.task = TASK_SIGNALS[taskIndex] as TaskSignal;
  if (domainIndex >= 0) features.domain = (lexicon.domains[domainIndex] as { name: string }).name;
  return features;
}
