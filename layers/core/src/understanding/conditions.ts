// Policy conditions on request features (`match.when` in the registry), declarative like the
// peers' conditional routing (Portkey's `conditions` with $gt/$eq, LiteLLM's routing rules), in
// the registry's own YAML: a categorical feature takes a value or a list of values (any of), a
// numeric one a comparison string.
//   when: { domain: legal, complexity: "> 0.7", task: [summarize, extract], tokens: ">= 2000" }
// Every condition must hold. `domain` and `task` read the caller's hint when there is one (hints
// always win: a `summarization` hint is the `summarize` signal, a task without a signal matches
// no `task` condition), else the features; the others read the features only. A request with no
// features (the router's understand step did not run) matches no policy that has conditions.
import * as z from 'zod';
import type { RequestFeatures, TaskSignal } from './features.types.ts';
import { SCRIPTS, TASK_SIGNALS } from './features.types.ts';

/** Features whose value is a score in [0, 1]. */
export const SCORE_FEATURES = ['code', 'math', 'complexity'] as const;
/** Features whose value is a count (0 or more). */
export const COUNT_FEATURES = ['tokens', 'turns', 'questions', 'steps'] as const;
type NumericFeature = (typeof SCORE_FEATURES)[number] | (typeof COUNT_FEATURES)[number];

const OPERATORS = ['>=', '<=', '>', '<', '=='] as const;
type Operator = (typeof OPERATORS)[number];
const COMPARISON = /^\s*(>=|<=|==|>|<)\s*(\d+(?:\.\d+)?)\s*$/;

/** A registry task and the task signal it is (the inverse of TASK_OF_SIGNAL, for hints). */
export const TASK_OF_SIGNAL: Readonly<Record<TaskSignal, string | undefined>> = {
  summarize: 'summarization',
  translate: 'translation',
  classify: 'classification',
  extract: 'extraction',
  code: 'code',
  // A question is what chat is for: inferring it changes no task.
  question: undefined,
};
const SIGNAL_OF_TASK = new Map(
  Object.entries(TASK_OF_SIGNAL).flatMap(([signal, task]) => (task ? [[task, signal as TaskSignal]] : [])),
);

/** The task signal a caller's task hint stands for (undefined: a task with no signal, e.g. chat). */
export const signalOfTask = (task: string): TaskSignal | undefined => SIGNAL_OF_TASK.get(task);

/** `"> 0.7"` as operator and number, or undefined when it is not a comparison. */
export function parseComparison(text: string): { op: Operator; value: number } | undefined {
  const m = COMPARISON.exec(text);
  if (!m) return undefined;
  return { op: m[1] as Operator, value: Number(m[2]) };
}

const comparison = (max: number | undefined) =>
  z.string().superRefine((text, ctx) => {
    const parsed = parseComparison(text);
    if (!parsed) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a comparison such as "> 0.7": one of ${OPERATORS.join(', ')} and a non-negative number (got "${text}")`,
      });
    } else if (max !== undefined && parsed.value > max) {
      ctx.addIssue({ code: 'custom', message: `compares a score in [0, 1]: ${parsed.value} is above 1` });
    }
  });

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);
const lowerName = z.lazy(() => z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lower-case name'));

export const FeatureConditionsSchema = z.lazy(() =>
  z
    .object({
      domain: oneOrMany(lowerName).optional(),
      task: oneOrMany(z.enum(TASK_SIGNALS)).optional(),
      script: oneOrMany(z.enum(SCRIPTS)).optional(),
      language: oneOrMany(z.string().regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code such as en')).optional(),
      code: comparison(1).optional(),
      math: comparison(1).optional(),
      complexity: comparison(1).optional(),
      tokens: comparison(undefined).optional(),
      turns: comparison(undefined).optional(),
      questions: comparison(undefined).optional(),
      steps: comparison(undefined).optional(),
    })
    .strict()
    .refine((w) => Object.values(w).some((v) => v !== undefined), 'names at least one feature condition'),
);
export type FeatureConditions = z.infer<typeof FeatureConditionsSchema>;

/** What a condition reads besides the features: the caller's task and domain hints. */
export interface ConditionSubject {
  features: RequestFeatures;
  hints: { task?: string; domain?: string };
}

/** One compiled condition: its test and how it reads (`complexity > 0.7`, `domain = legal`). */
export interface CompiledCondition {
  readonly feature: keyof FeatureConditions;
  readonly text: string;
  readonly test: (s: ConditionSubject) => boolean;
}

const compare = (op: Operator, a: number, b: number): boolean =>
  op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : op === '<=' ? a <= b : a === b;

/** Compiles validated conditions (in schema order) into tests. */
export function compileConditions(when: FeatureConditions | undefined): CompiledCondition[] {
  if (when === undefined) return [];
  const out: CompiledCondition[] = [];
  const categorical = (
    feature: 'domain' | 'task' | 'script' | 'language',
    read: (s: ConditionSubject) => string | undefined,
  ) => {
    const v = when[feature];
    if (v === undefined) return;
    const values: readonly string[] = Array.isArray(v) ? v : [v as string];
    const set = new Set(values);
    out.push({
      feature,
      text: values.length === 1 ? `${feature} = ${values[0]}` : `${feature} in [${values.join(', ')}]`,
      test: (s) => {
        const x = read(s);
        return x !== undefined && set.has(x);
      },
    });
  };
  categorical('domain', (s) => s.hints.domain ?? s.features.domain);
  categorical('task', (s) => (s.hints.task !== undefined ? signalOfTask(s.hints.task) : s.features.task));
  categorical('script', (s) => s.features.script);
  categorical('language', (s) => s.features.language);
  for (const feature of [...SCORE_FEATURES, ...COUNT_FEATURES] as NumericFeature[]) {
    const text = when[feature];
    if (text === undefined) continue;
    const { op, value } = parseComparison(text) as { op: Operator; value: number };
    out.push({
      feature,
      text: `${feature} ${op} ${value}`,
      test: (s) => compare(op, s.features[feature], value),
    });
  }
  return out;
}

/** The domains a policy's conditions name (the registry checks they are defined). */
export function conditionDomains(when: FeatureConditions | undefined): string[] {
  const d = when?.domain;
  return d === undefined ? [] : Array.isArray(d) ? d : [d];
}
