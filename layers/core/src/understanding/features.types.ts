// The request features the router reads from a prompt (issue 12), and the contract the learned
// router (issue 13) builds its context vector from. Plain data, cheap to compute, small and
// stable: add fields, never rename or re-scale one.

/** Task signals read from the prompt's wording (hints always win over them). */
export const TASK_SIGNALS = ['summarize', 'translate', 'classify', 'extract', 'code', 'question'] as const;
export type TaskSignal = (typeof TASK_SIGNALS)[number];

/** The dominant writing system of the prompt text. */
export const SCRIPTS = [
  'latin',
  'cyrillic',
  'greek',
  'arabic',
  'hebrew',
  'devanagari',
  'cjk',
  'other',
] as const;
export type Script = (typeof SCRIPTS)[number];

/** What the router knows about one request's content. Every score is in [0, 1]. */
export interface RequestFeatures {
  /** Estimated prompt tokens (the same estimate the budget reserves on). */
  tokens: number;
  /** Characters of prompt text read (after any cap on how much is scanned). */
  chars: number;
  /** Conversation turns (messages); 1 for a completion prompt or an invocation. */
  turns: number;
  script: Script;
  /** ISO 639-1 guess for latin-script text when stop words tell (`en`, `de`, `fr`, `es`, ...). */
  language?: string;
  /** Code signal: fences, syntax markers, identifiers. */
  code: number;
  /** Math signal: formulas, operators, numbers with units. */
  math: number;
  /** Questions asked (question marks and interrogative openings). */
  questions: number;
  /** Steps asked for (numbered lists, "then", "step by step"). */
  steps: number;
  /** Strength of each task signal; a task missing means no signal. */
  tasks: Partial<Record<TaskSignal, number>>;
  /** The strongest task signal, if any is strong enough to infer from. */
  task?: TaskSignal;
  /** Strength of each registry domain's lexicon (domains are registry-defined). */
  domains: Record<string, number>;
  /** The strongest domain, if any is strong enough to infer from. */
  domain?: string;
  /** Complexity from length, questions, steps, math and code. */
  complexity: number;
}
