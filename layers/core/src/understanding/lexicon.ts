// The words the feature scan looks up: built-in cues (task wording, interrogatives, sequence
// words, code keywords, math words, units, stop words per language) merged with the registry's
// domain lexicons into ONE hash table, compiled once per registry, so the scan does a single probe
// per word, from hashes folded while it reads the word's characters (no string per word). Terms
// are lower case; a phrase ("breach of contract", "step by step") is its words joined by one
// space, matched word by word (up to MAX_PHRASE_WORDS words).
import type { TaskSignal } from './features.types.ts';
import { TASK_SIGNALS } from './features.types.ts';

/** Longest phrase, in words. */
export const MAX_PHRASE_WORDS = 4;
/** Languages the stop-word guess can tell apart (ISO 639-1), bit i of `Cue.langs` is LANGUAGES[i]. */
export const LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl'] as const;

/** What one word or phrase signals. Weights add up per occurrence. */
export interface Cue {
  /** Weight per task signal, by TASK_SIGNALS index. */
  tasks?: ReadonlyArray<readonly [number, number]>;
  /** Weight per registry domain, by index in `Lexicon.domains`. */
  domains?: ReadonlyArray<readonly [number, number]>;
  code?: number;
  math?: number;
  /** A sequence word ("then", "finally"): one step. */
  step?: boolean;
  /** An interrogative opening ("what", "how"): a sentence starting with it is a question. */
  interrogative?: boolean;
  /** A unit: a number right before it is a quantity (a math signal). */
  unit?: boolean;
  /** Stop word of these languages (bit mask over LANGUAGES). */
  langs?: number;
  /** The first words of a longer phrase: keep reading. */
  prefix?: boolean;
}

/** A registry domain as the scan uses it. */
export interface LexiconDomain {
  readonly name: string;
  /** The score from which the domain is inferred (the registry's `min_score`). */
  readonly minScore: number;
}

/**
 * The compiled lexicon: an open-addressing table over two 32-bit hashes of each normalised term
 * (a phrase hashes as its words joined by one space), so the scan looks words up from the hashes
 * it folds while reading characters, allocating nothing. Two independent hashes must both match:
 * a false match is a 2^-64 event per lookup.
 */
export interface Lexicon {
  /** Slot -> entry index + 1 (0: empty). */
  readonly table: Int32Array;
  readonly mask: number;
  readonly h1: Int32Array;
  readonly h2: Int32Array;
  /** Every cue with all fields set, in one order: the scan's property reads stay monomorphic. */
  readonly cues: readonly Required<Cue>[];
  /** Each entry's normalised term (for explanations and tests). */
  readonly terms: readonly string[];
  readonly domains: readonly LexiconDomain[];
}

// The hashes: FNV-1a and a multiplicative variant, folded one lower-cased code unit at a time.
export const H1_SEED = 0x811c9dc5 | 0;
export const H2_SEED = 0x2545f491 | 0;
export const fold1 = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193);
export const fold2 = (h: number, c: number): number => Math.imul((h + c) | 0, 0x5bd1e995) ^ (h >>> 13);

/**
 * The scan's lower case of one UTF-16 code unit: ASCII, Latin-1, Greek and Cyrillic capitals;
 * others unchanged. Terms are folded through it too, so both sides agree.
 */
export function lowerCode(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c | 32 : c;
  if (c >= 0xc0 && c <= 0xde && c !== 0xd7) return c + 32;
  if (c >= 0x391 && c <= 0x3a9) return c + 32;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  if (c >= 0x400 && c <= 0x40f) return c + 80;
  return c;
}

/** The lexicon entry of a normalised term, or undefined (tests and tools; the scan folds inline). */
export function lookupTerm(lexicon: Lexicon, term: string): Required<Cue> | undefined {
  let a = H1_SEED;
  let b = H2_SEED;
  for (let i = 0; i < term.length; i++) {
    const c = lowerCode(term.charCodeAt(i));
    a = fold1(a, c);
    b = fold2(b, c);
  }
  const at = findEntry(lexicon, a, b);
  return at < 0 ? undefined : lexicon.cues[at];
}

/** The entry index whose hashes are (a, b), or -1. */
export function findEntry(lexicon: Lexicon, a: number, b: number): number {
  const { table, mask, h1, h2 } = lexicon;
  for (let slot = a & mask; ; slot = (slot + 1) & mask) {
    const e = table[slot] as number;
    if (e === 0) return -1;
    if (h1[e - 1] === a && h2[e - 1] === b) return e - 1;
  }
}

const NONE: ReadonlyArray<readonly [number, number]> = [];

function compileTable(words: ReadonlyMap<string, Cue>): Omit<Lexicon, 'domains'> {
  const terms = [...words.keys()];
  const cues = terms.map((t) => {
    const c = words.get(t) as Cue;
    return {
      tasks: c.tasks ?? NONE,
      domains: c.domains ?? NONE,
      code: c.code ?? 0,
      math: c.math ?? 0,
      step: c.step ?? false,
      interrogative: c.interrogative ?? false,
      unit: c.unit ?? false,
      langs: c.langs ?? 0,
      prefix: c.prefix ?? false,
    } as Required<Cue>;
  });
  const size = 2 ** Math.ceil(Math.log2(Math.max(16, terms.length * 2)));
  const table = new Int32Array(size);
  const h1 = new Int32Array(terms.length);
  const h2 = new Int32Array(terms.length);
  const mask = size - 1;
  terms.forEach((term, i) => {
    let a = H1_SEED;
    let b = H2_SEED;
    for (let k = 0; k < term.length; k++) {
      const c = lowerCode(term.charCodeAt(k));
      a = fold1(a, c);
      b = fold2(b, c);
    }
    h1[i] = a;
    h2[i] = b;
    let slot = a & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = i + 1;
  });
  return { table, mask, h1, h2, cues, terms };
}

/** A domain lexicon as the registry states it (registry.schema.ts `domains:`). */
export interface DomainLexiconInput {
  name: string;
  terms: Record<string, number>;
  min_score: number;
}

const T = Object.fromEntries(TASK_SIGNALS.map((t, i) => [t, i])) as Record<TaskSignal, number>;

const TASK_CUES: Record<Exclude<TaskSignal, 'question'>, Record<string, number>> = {
  summarize: {
    summarize: 2,
    summarise: 2,
    summary: 1.5,
    summarization: 1.5,
    summarisation: 1.5,
    tldr: 2,
    'tl dr': 2,
    condense: 1.5,
    recap: 1,
    gist: 1,
    'key points': 1,
    'main points': 1,
    'in a nutshell': 1,
    'brief overview': 1,
    shorten: 1,
  },
  translate: {
    translate: 2,
    translation: 1.5,
    translated: 1,
    'into english': 1.5,
    'into french': 1.5,
    'into german': 1.5,
    'into spanish': 1.5,
    'into italian': 1.5,
    'into portuguese': 1.5,
    'into dutch': 1.5,
    'into japanese': 1.5,
    'into chinese': 1.5,
    'into korean': 1.5,
    'into russian': 1.5,
    'into arabic': 1.5,
  },
  classify: {
    classify: 2,
    classification: 1.5,
    categorize: 2,
    categorise: 2,
    category: 1,
    categories: 1,
    label: 1,
    sentiment: 1.5,
    'positive or negative': 1.5,
    'which category': 1,
    'spam or not': 1.5,
  },
  extract: {
    extract: 2,
    extraction: 1.5,
    'pull out': 1,
    'list all': 1,
    'find all': 1,
    parse: 1,
    'named entities': 1.5,
    entities: 1,
  },
  code: {
    code: 1,
    implement: 1.5,
    debug: 1.5,
    refactor: 2,
    compile: 1,
    bug: 1,
    python: 1,
    javascript: 1,
    typescript: 1,
    sql: 1,
    regex: 1,
    snippet: 1,
    'stack trace': 1,
    stacktrace: 1,
    'write a function': 2,
    'unit test': 1,
  },
};

/** Keywords that mark code (distinctive ones 1, English-looking ones 0.5). */
const CODE_WORDS: Record<string, number> = {
  def: 1,
  elif: 1,
  const: 1,
  var: 1,
  func: 1,
  fn: 1,
  impl: 1,
  struct: 1,
  enum: 0.5,
  async: 1,
  await: 1,
  lambda: 1,
  printf: 1,
  println: 1,
  nullptr: 1,
  typeof: 1,
  namespace: 1,
  bool: 1,
  boolean: 0.5,
  int: 1,
  void: 1,
  null: 0.5,
  undefined: 0.5,
  function: 0.5,
  return: 0.5,
  import: 0.5,
  class: 0.5,
  public: 0.5,
  static: 0.5,
  self: 0.5,
  console: 0.5,
};

const MATH_WORDS: Record<string, number> = {
  equation: 1,
  equations: 1,
  integral: 1,
  derivative: 1,
  solve: 1,
  theorem: 1,
  prove: 1,
  proof: 1,
  matrix: 1,
  eigenvalue: 1,
  probability: 1,
  calculate: 1,
  polynomial: 1,
  logarithm: 1,
  algebra: 1,
  calculus: 1,
  variance: 1,
  formula: 1,
  // LaTeX commands read as words after the backslash.
  frac: 1,
  sqrt: 1,
  infty: 1,
  cdot: 1,
  mathbf: 1,
};

const UNITS = [
  'km',
  'kg',
  'cm',
  'mm',
  'ms',
  'kb',
  'mb',
  'gb',
  'tb',
  'hz',
  'mph',
  'kwh',
  'ml',
  'mg',
  'usd',
  'eur',
];
const SEQUENCE_WORDS = ['then', 'next', 'finally', 'afterwards', 'afterward', 'subsequently', 'lastly'];
const INTERROGATIVES = ['what', 'how', 'why', 'when', 'where', 'who', 'which', 'whom', 'whose'];

/** Frequent stop words per language; a word frequent in several languages counts for each. */
const STOP_WORDS: Record<(typeof LANGUAGES)[number], string> = {
  en: 'the and is are of to in that it for with this you be on was not',
  de: 'der die das und ist nicht ein eine mit ich zu sie es den von auf',
  fr: 'le la les et est des une que pour dans pas du je vous ce sur',
  es: 'el los las y es que una para por con del se lo como pero',
  it: 'il di che e la per un una non sono gli del della con è',
  pt: 'o os que não uma para com do da em um as no se é',
  nl: 'de het een en van niet is dat met ik je op te zijn voor',
};

/** Normalises a term the way the scan reads words: lower case, words joined by one space. */
export function normalizeTerm(term: string): string {
  return term
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((w) => w.length > 0)
    .join(' ');
}

function cueOf(words: Map<string, Cue>, key: string): Cue {
  let cue = words.get(key);
  if (!cue) {
    cue = {};
    words.set(key, cue);
  }
  return cue;
}

/** The cue of `term` (created empty), its first words marked as phrase prefixes. */
function entry(words: Map<string, Cue>, term: string): Cue {
  const key = normalizeTerm(term);
  const parts = key.split(' ').slice(0, MAX_PHRASE_WORDS);
  for (let i = 1; i < parts.length; i++) cueOf(words, parts.slice(0, i).join(' ')).prefix = true;
  return cueOf(words, parts.join(' '));
}

function addPair(list: ReadonlyArray<readonly [number, number]> | undefined, i: number, w: number) {
  const out = [...(list ?? [])];
  const at = out.findIndex(([k]) => k === i);
  if (at >= 0) out[at] = [i, (out[at] as readonly [number, number])[1] + w];
  else out.push([i, w]);
  return out;
}

function builtIn(words: Map<string, Cue>): void {
  for (const [task, cues] of Object.entries(TASK_CUES)) {
    for (const [term, w] of Object.entries(cues)) {
      const cue = entry(words, term);
      cue.tasks = addPair(cue.tasks, T[task as TaskSignal], w);
    }
  }
  for (const [term, w] of Object.entries(CODE_WORDS)) entry(words, term).code = w;
  for (const [term, w] of Object.entries(MATH_WORDS)) entry(words, term).math = w;
  for (const term of UNITS) entry(words, term).unit = true;
  for (const term of SEQUENCE_WORDS) entry(words, term).step = true;
  for (const term of INTERROGATIVES) entry(words, term).interrogative = true;
  LANGUAGES.forEach((lang, bit) => {
    for (const term of STOP_WORDS[lang].split(' ')) {
      const cue = entry(words, term);
      cue.langs = (cue.langs ?? 0) | (1 << bit);
    }
  });
  // "step by step" asks for steps.
  entry(words, 'step by step').step = true;
}

/** The built-in cues and the registry's domain lexicons, merged. Compile once per registry. */
export function compileLexicon(domains: readonly DomainLexiconInput[] = []): Lexicon {
  const words = new Map<string, Cue>();
  builtIn(words);
  domains.forEach((d, i) => {
    for (const [term, w] of Object.entries(d.terms)) {
      const cue = entry(words, term);
      cue.domains = addPair(cue.domains, i, w);
    }
  });
  return { ...compileTable(words), domains: domains.map((d) => ({ name: d.name, minScore: d.min_score })) };
}

/** The lexicon without registry domains (built-in cues only). */
export const BUILT_IN_LEXICON: Lexicon = compileLexicon();
