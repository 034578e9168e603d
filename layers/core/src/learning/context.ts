// The learned router's context vector: a small, fixed-length summary of a request that the
// per-model linear bandits (bandit.ts) read. Built from the request features (issue 12,
// understanding/features.types.ts) when the router has them, else from what every request has
// (task, hints, estimated prompt tokens). Every component is in [0, 1]; index 0 is the bias.
// Append components, never reorder or re-scale one: learned states are stored against it.
import type { RequestFeatures } from '../understanding/features.types.ts';

/**
 * The components, in order:
 *  0 bias         always 1
 *  1 tokens       log2(1 + prompt tokens) / 14, capped at 1 (16k tokens -> 1)
 *  2 complexity   the features' complexity score
 *  3 code         the code signal (or 1 for task `code`)
 *  4 math         the math signal
 *  5 transform    summarize / translate strength (or task summarization / translation)
 *  6 structure    classify / extract strength (or task classification / extraction / sentiment)
 *  7 question     question strength; else min(1, questions / 3)
 *  8 domain       the strongest registry domain's strength (or 1 when hints.domain is set)
 *  9 turns        min(1, (turns - 1) / 10): how long the conversation already is
 */
export const CONTEXT_COMPONENTS = [
  'bias',
  'tokens',
  'complexity',
  'code',
  'math',
  'transform',
  'structure',
  'question',
  'domain',
  'turns',
] as const;
export const CONTEXT_DIM = CONTEXT_COMPONENTS.length;

/** What the fallback context is built from when no features were extracted. */
export interface ContextFallback {
  task: string;
  prompt_tokens: number;
  hints: { domain?: string | undefined };
}

// `v || 0`: a NaN signal counts as none.
const clamp01 = (v: number): number => Math.min(1, Math.max(0, v || 0));
const tokenScale = (tokens: number): number => clamp01(Math.log2(1 + Math.max(0, tokens)) / 14);

/** The context vector of a request, into `out` (length CONTEXT_DIM, allocated when omitted). */
export function contextVector(
  features: RequestFeatures | undefined,
  fallback: ContextFallback,
  out: Float64Array = new Float64Array(CONTEXT_DIM),
): Float64Array {
  out.fill(0);
  out[0] = 1;
  if (features === undefined) {
    // Seam until the features extractor runs on every routed request: task and hints only.
    const t = fallback.task;
    out[1] = tokenScale(fallback.prompt_tokens);
    out[2] = out[1];
    out[3] = t === 'code' ? 1 : 0;
    out[5] = t === 'summarization' || t === 'translation' ? 1 : 0;
    out[6] = t === 'classification' || t === 'extraction' || t === 'sentiment' ? 1 : 0;
    out[8] = fallback.hints.domain === undefined ? 0 : 1;
    return out;
  }
  const tasks = features.tasks;
  let domain = 0;
  for (const k in features.domains) domain = Math.max(domain, features.domains[k] ?? 0);
  out[1] = tokenScale(features.tokens);
  out[2] = clamp01(features.complexity);
  out[3] = clamp01(Math.max(features.code, tasks.code ?? 0));
  out[4] = clamp01(features.math);
  out[5] = clamp01(Math.max(tasks.summarize ?? 0, tasks.translate ?? 0));
  out[6] = clamp01(Math.max(tasks.classify ?? 0, tasks.extract ?? 0));
  out[7] = clamp01(Math.max(tasks.question ?? 0, features.questions / 3));
  out[8] = fallback.hints.domain === undefined ? clamp01(domain) : 1;
  out[9] = clamp01((features.turns - 1) / 10);
  return out;
}
