// The decision log (issue 13): one record per routed request with what the learned router needs
// to learn from it and what off-policy evaluation needs to replay it: the request features, the
// context vector, the policy, the candidates (learned policies), the chosen model and endpoint,
// the propensity, cost, latency and outcome. Never any prompt text. Feedback (explicit scores or
// thumbs) is joined onto the record by request id; implicit signals (status, latency, cost, a
// retry by the same caller within seconds) come from the records themselves.
import * as z from 'zod';
import type { Decision, RouteRequest } from '../route.types.ts';
import type { RequestFeatures } from '../understanding/features.types.ts';
import { contextVector } from './context.ts';
import type { LambdaContext } from './lambda.ts';
import type { CanaryArm } from './learned-canary.ts';
import type { LearningEvent } from './learned-state.ts';

/** Decision records expire after this long unless the deployment says otherwise (30 days). */
export const DECISION_RETENTION_MS = 30 * 24 * 3600 * 1000;
/** A second request by the same key with the same context within this long is a retry. */
export const RETRY_WINDOW_MS = 30_000;
/** Feedback comments are kept up to this many characters. */
export const MAX_FEEDBACK_COMMENT = 1000;

export interface DecisionRecord {
  request_id: string;
  tenant: string;
  key_id?: string;
  /** When the request arrived, epoch ms. */
  at: number;
  policy: string;
  strategy: string;
  /** The model key (`id@version`) and endpoint that answered (or last failed). */
  model: string;
  endpoint: string;
  /** The planned primary's model key (differs from `model` after a fallback). */
  primary: string;
  /** The probability the strategy gave the primary (learned policies; 1 otherwise). */
  propensity: number;
  explored: boolean;
  /** The primary's quality prior (the learned residual's base). */
  prior: number;
  /** The learned context vector (learning/context.ts), for every policy. */
  context: number[];
  /** Learned policies: the candidate model versions with their prior and estimated cost. */
  candidates?: Array<{ model: string; prior: number; cost_usd: number }>;
  /** Shadow mode: the learned strategy's choice (model key) and its propensity; the record's model served. */
  shadow?: { model: string; propensity: number; explored: boolean };
  /** Canary of the learned strategy (policy `learning.canary`): which arm decided. */
  arm?: CanaryArm;
  /** The request features (no prompt text: sizes, signal scores, task and domain names). */
  features?: RequestFeatures;
  prompt_tokens: number;
  status: 'ok' | 'error';
  latency_ms: number;
  cost_micros: number;
  attempts: number;
  /** Joined by POST /v1/feedback. */
  feedback?: Feedback;
}

export const FeedbackBodySchema = z.lazy(() =>
  z
    .object({
      request_id: z.string().min(1).max(128),
      score: z.number().min(0).max(1).optional(),
      thumbs: z.enum(['up', 'down']).optional(),
      label: z
        .string()
        .max(64)
        .regex(/^[A-Za-z0-9._:-]+$/, 'must be letters, digits, ".", "_", ":" or "-"')
        .optional(),
      comment: z.string().max(MAX_FEEDBACK_COMMENT).optional(),
    })
    .strict()
    .refine((b) => (b.score === undefined) !== (b.thumbs === undefined), {
      message: 'give either score (0..1) or thumbs ("up" or "down")',
      path: ['score'],
    }),
);
export type FeedbackBody = z.infer<typeof FeedbackBodySchema>;

export interface Feedback {
  /** 0..1; thumbs up is 1, down 0. */
  score: number;
  thumbs?: 'up' | 'down';
  label?: string;
  comment?: string;
  at: number;
}

export function feedbackOf(body: FeedbackBody, now: number): Feedback {
  return {
    score: body.score ?? (body.thumbs === 'up' ? 1 : 0),
    ...(body.thumbs ? { thumbs: body.thumbs } : {}),
    ...(body.label ? { label: body.label } : {}),
    ...(body.comment ? { comment: body.comment } : {}),
    at: now,
  };
}

export interface DecisionFacts {
  request_id: string;
  key_id?: string;
  at: number;
  request: RouteRequest;
  decision: Decision;
  served: { model: string; version: string; endpoint: string };
  status: 'ok' | 'error';
  latency_ms: number;
  cost_micros: number;
  attempts: number;
  /** The primary's quality prior for the task (read by the caller from the registry; 0.5 if none). */
  prior?: number;
}

/** The decision record of one routed request. Reads the candidate list only for learned policies. */
export function decisionRecordOf(f: DecisionFacts): DecisionRecord {
  const { explanation, plan } = f.decision;
  const learned = explanation.learned;
  const p = plan.primary;
  return {
    request_id: f.request_id,
    tenant: f.request.tenant.id,
    ...(f.key_id ? { key_id: f.key_id } : {}),
    at: f.at,
    policy: plan.policy,
    strategy: explanation.strategy,
    model: `${f.served.model}@${f.served.version}`,
    endpoint: f.served.endpoint,
    primary: `${p.model}@${p.version}`,
    propensity: learned?.propensity ?? 1,
    explored: learned?.explored ?? false,
    prior: learned?.prior ?? f.prior ?? 0.5,
    context: learned?.context ?? Array.from(contextVector(f.request.features, f.request)),
    ...(learned || explanation.shadow ? { candidates: candidateModels(f.decision) } : {}),
    ...(explanation.shadow
      ? {
          shadow: {
            model: `${explanation.shadow.model}@${explanation.shadow.version}`,
            propensity: explanation.shadow.propensity,
            explored: explanation.shadow.explored,
          },
        }
      : {}),
    ...(explanation.arm ? { arm: explanation.arm } : {}),
    ...(f.request.features ? { features: f.request.features } : {}),
    prompt_tokens: f.request.prompt_tokens,
    status: f.status,
    latency_ms: f.latency_ms,
    cost_micros: f.cost_micros,
    attempts: f.attempts,
  };
}

/** One entry per model version among the regular candidates: its prior and its cheapest cost. */
function candidateModels(d: Decision): Array<{ model: string; prior: number; cost_usd: number }> {
  const byModel = new Map<string, { model: string; prior: number; cost_usd: number }>();
  for (const c of d.explanation.candidates) {
    if (c.fallback_only) continue;
    const key = `${c.model}@${c.version}`;
    const seen = byModel.get(key);
    if (!seen || c.estimated_cost_usd < seen.cost_usd)
      byModel.set(key, { model: key, prior: c.parts.quality, cost_usd: c.estimated_cost_usd });
  }
  return [...byModel.values()];
}

/**
 * Records later retried by the same key (same policy, prompt size and context, within
 * RETRY_WINDOW_MS): the implicit "that answer was not good enough".
 */
export function retriedRequests(records: readonly DecisionRecord[]): Set<string> {
  const retried = new Set<string>();
  const byCaller = new Map<string, DecisionRecord[]>();
  for (const r of records) {
    const k = `${r.tenant}\u0000${r.key_id ?? ''}\u0000${r.policy}`;
    const list = byCaller.get(k);
    if (list) list.push(r);
    else byCaller.set(k, [r]);
  }
  for (const list of byCaller.values()) {
    list.sort((a, b) => a.at - b.at);
    for (let i = 0; i < list.length; i++) {
      const a = list[i] as DecisionRecord;
      for (let j = i + 1; j < list.length; j++) {
        const b = list[j] as DecisionRecord;
        if (b.at - a.at > RETRY_WINDOW_MS) break;
        if (b.prompt_tokens === a.prompt_tokens && sameContext(a.context, b.context)) {
          retried.add(a.request_id);
          break;
        }
      }
    }
  }
  return retried;
}

const sameContext = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The implicit reward of a record without explicit feedback (the documented mapping):
 * an answer the primary failed (status `error`: upstream error or timeout) is 0, an answer the
 * same caller retried within RETRY_WINDOW_MS is 0 (the retry penalty), anything else none
 * (an unscored, unretried answer teaches nothing about quality).
 */
export const IMPLICIT_REWARD = { error: 0, retried: 0 } as const;

function implicitReward(r: DecisionRecord, retried: ReadonlySet<string>): number | undefined {
  if (r.status === 'error') return IMPLICIT_REWARD.error;
  return retried.has(r.request_id) ? IMPLICIT_REWARD.retried : undefined;
}

/**
 * The learning events of decision records, all at once: a record's explicit score where feedback
 * was given (explicit wins), else its implicit reward (implicitReward). Only records the planned
 * primary answered (or last failed) count: the context, prior and propensity were the primary's.
 */
export function learningEventsOf(records: readonly DecisionRecord[]): LearningEvent[] {
  const retried = retriedRequests(records);
  const events: LearningEvent[] = [];
  for (const r of records) {
    if (r.model !== r.primary) continue;
    const reward = r.feedback?.score ?? implicitReward(r, retried);
    if (reward === undefined) continue;
    events.push({ arm: r.model, x: r.context, prior: r.prior, reward });
  }
  return events;
}

/** An implicit reward is final this long after its decision (the retry window has passed). */
export const DEFAULT_SETTLE_MS = RETRY_WINDOW_MS;

/**
 * The incremental refit's events: the contributions timed in [from, to). Each record contributes
 * at fixed times, so every contribution is folded exactly once however the refits are cut:
 * - explicit feedback, at its `at`: +score, and −implicit when the implicit reward was already
 *   counted (feedback later than the settle time: explicit wins, the implicit one is retracted);
 * - its implicit reward, at `at + settleMs`, unless feedback had arrived by then.
 * `records` must hold every record whose contributions fall in the range, and the ones after
 * them within RETRY_WINDOW_MS (retries): the refit reads its whole window.
 */
export function learningEventsBetween(
  records: readonly DecisionRecord[],
  from: number,
  to: number,
  settleMs: number = DEFAULT_SETTLE_MS,
): LearningEvent[] {
  const retried = retriedRequests(records);
  const events: LearningEvent[] = [];
  const within = (t: number): boolean => t >= from && t < to;
  for (const r of records) {
    if (r.model !== r.primary) continue;
    const settle = r.at + settleMs;
    const implicit = implicitReward(r, retried);
    const fb = r.feedback;
    const base = { arm: r.model, x: r.context, prior: r.prior };
    if (implicit !== undefined && !(fb && fb.at < settle) && within(settle))
      events.push({ ...base, reward: implicit });
    if (fb && within(fb.at)) {
      if (implicit !== undefined && fb.at >= settle) events.push({ ...base, reward: implicit, weight: -1 });
      events.push({ ...base, reward: fb.score });
    }
  }
  return events;
}

/** The λ-solving contexts of learned decisions, per policy. */
export function lambdaContextsOf(records: readonly DecisionRecord[]): Map<string, LambdaContext[]> {
  const out = new Map<string, LambdaContext[]>();
  for (const r of records) {
    if (!r.candidates) continue;
    const list = out.get(r.policy) ?? [];
    list.push({
      x: r.context,
      candidates: r.candidates.map((c) => ({ arm: c.model, prior: c.prior, cost: c.cost_usd })),
    });
    out.set(r.policy, list);
  }
  return out;
}

/** What `addFeedback` did: stored it, found it stored already (idempotent), or found no record of this tenant. */
export type FeedbackResult = { status: 'stored' | 'duplicate'; feedback: Feedback } | { status: 'not-found' };

/** The decision log port (DynamoDB in the cloud and locally: decisions.dynamodb.ts). */
export interface DecisionLog {
  put(record: DecisionRecord): Promise<void>;
  /** Joins feedback onto the tenant's own record, once per request id. */
  addFeedback(tenant: string, requestId: string, feedback: Feedback): Promise<FeedbackResult>;
  /** Records that arrived at or after `sinceMs`, any tenant (the refit reads these). */
  since(sinceMs: number): Promise<DecisionRecord[]>;
}
