// Model version rollouts: the request that starts one (`POST /admin/rollouts`), validated with
// zod so errors name the field, and the record that tracks it (steps taken, gate figures, outcome).
import * as z from 'zod';
import type { ArmStats } from '../learning/learned-canary.ts';
import { learnedGateShape } from '../registry.schema.ts';

export const RolloutGatesSchema = z.lazy(() =>
  z
    .object({
      /** Largest candidate error rate (0..1) in a step's window. */
      max_error_rate: z.number().min(0).max(1).default(0.05),
      /** Largest candidate p95 / stable p95 in a step's window (both floored at 10 ms). */
      max_p95_latency_ratio: z.number().positive().default(1.5),
      /** Candidate requests a step needs before its gates are judged (the wait is extended until then). */
      min_requests: z.number().int().positive().default(20),
    })
    .strict(),
);
export type RolloutGates = z.infer<typeof RolloutGatesSchema>;

/** Longest a rollout may take at worst (every step waiting its maximum): under the 7-day workflow timeout. */
export const ROLLOUT_MAX_SECONDS = 6 * 86_400;

const label = z.lazy(() =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'must be a registry name'),
);

/** Traffic per step, in percent, increasing: `step` bounds each one. */
const increasingSteps = (step: z.ZodNumber, fallback: number[]) =>
  z
    .array(step)
    .min(1)
    .max(20)
    .default(fallback)
    .refine((s) => s.every((p, i) => i === 0 || p > (s[i - 1] as number)), 'steps must increase');

/** Every step waiting its maximum must fit in ROLLOUT_MAX_SECONDS (the workflow's timeout). */
const fitsWorkflow = (r: { steps: number[]; wait_seconds: number; max_extensions: number }): boolean =>
  r.steps.length * r.wait_seconds * (1 + r.max_extensions) <= ROLLOUT_MAX_SECONDS;
const FITS_WORKFLOW: { path: PropertyKey[]; message: string } = {
  path: ['max_extensions'],
  message: `steps x wait_seconds x (1 + max_extensions) must fit in ${ROLLOUT_MAX_SECONDS} s (the workflow times out after 7 days)`,
};

export const ModelRolloutRequestSchema = z.lazy(() =>
  z
    .object({
      /** A model version rollout (the default). */
      kind: z.literal('model').default('model'),
      /** The policy (alias) whose canary entry for `model` the rollout manages, e.g. `support`. */
      policy: label,
      model: label,
      stable: z.string().min(1).max(64),
      candidate: z.string().min(1).max(64),
      /** Candidate traffic per step, in percent, increasing; the candidate is promoted after the last. */
      steps: increasingSteps(z.number().gt(0).max(100), [5, 25, 50, 100]),
      /** Wait of each step before its gates are checked (the Step Functions Wait state). */
      wait_seconds: z.number().int().min(0).max(86_400).default(300),
      gates: RolloutGatesSchema.default({
        max_error_rate: 0.05,
        max_p95_latency_ratio: 1.5,
        min_requests: 20,
      }),
      /** Extra waits a step may take for want of min_requests before it counts as a breach. */
      max_extensions: z.number().int().min(0).max(1000).default(12),
    })
    .strict()
    .refine((r) => r.stable !== r.candidate, {
      path: ['candidate'],
      message: 'candidate must differ from stable',
    })
    .refine(fitsWorkflow, FITS_WORKFLOW),
);
export type ModelRolloutRequest = z.infer<typeof ModelRolloutRequestSchema>;

/** A policy rollout's gate (learning/learned-canary.ts): learned vs static arm on one step's scored answers. */
export const PolicyRolloutGatesSchema = z.lazy(() => z.object(learnedGateShape()).strict());
export type PolicyRolloutGates = z.infer<typeof PolicyRolloutGatesSchema>;

/**
 * A learned policy rollout (`kind: policy`): each step sets the policy's `learning.canary` weight;
 * promoted, the policy serves with `strategy: learned`. Steps stay below 100 %: the gate compares
 * the learned arm with the static one, which needs traffic too.
 */
export const PolicyRolloutRequestSchema = z.lazy(() =>
  z
    .object({
      kind: z.literal('policy'),
      /** A static policy with `learning` settings, e.g. `auto`. */
      policy: label,
      /** Learned-arm traffic per step, in percent, increasing, below 100. */
      steps: increasingSteps(z.number().gt(0).lt(100), [5, 25, 50]),
      wait_seconds: z.number().int().min(0).max(86_400).default(300),
      gates: PolicyRolloutGatesSchema.default({ min_events: 100, tolerance: 0.02 }),
      /** Extra waits a step may take for want of min_events before it counts as a breach. */
      max_extensions: z.number().int().min(0).max(1000).default(12),
    })
    .strict()
    .refine(fitsWorkflow, FITS_WORKFLOW),
);
export type PolicyRolloutRequest = z.infer<typeof PolicyRolloutRequestSchema>;

/** A model version rollout's request (`kind` absent or `model`). */
export const RolloutRequestSchema = ModelRolloutRequestSchema;
export type RolloutRequest = z.infer<typeof RolloutRequestSchema>;
export type RolloutRequestInput = z.input<typeof RolloutRequestSchema>;

/** `POST /admin/rollouts`: a model version rollout (no `kind`, or `model`) or a learned policy one. */
export const AnyRolloutRequestSchema = z.lazy(() =>
  z.discriminatedUnion('kind', [ModelRolloutRequestSchema, PolicyRolloutRequestSchema]),
);
export type AnyRolloutRequest = z.infer<typeof AnyRolloutRequestSchema>;

/** `POST /admin/rollouts/{id}/rollback`: an optional reason, kept with the outcome. */
export const RollbackRequestSchema = z.lazy(() =>
  z.object({ reason: z.string().min(1).max(500).optional() }).strict(),
);

export type RolloutStatus = 'running' | 'promoted' | 'rolled-back';

/** Cumulative passive counters of one version's endpoints (summed). */
export interface VersionCounters {
  requests: number;
  failures: number;
  hist: number[];
}

/** One version's figures over a step's window. */
export interface VersionWindow {
  requests: number;
  failures: number;
  error_rate: number;
  p95_ms?: number;
}

export type GateVerdict = 'pass' | 'wait' | 'breach';

/** A policy rollout step's gate check. */
export interface PolicyGateEvaluation {
  at: number;
  verdict: GateVerdict;
  reason: string;
  static: ArmStats;
  learned: ArmStats;
}

export interface GateEvaluation {
  at: number;
  verdict: GateVerdict;
  reason: string;
  candidate: VersionWindow;
  stable: VersionWindow;
  /** The stable p95 the ratio was taken against (this window's, or the last step's). */
  stable_p95_reference_ms?: number;
  p95_ratio?: number;
}

export interface RolloutStep {
  index: number;
  percent: number;
  started_at: number;
  baseline: { candidate: VersionCounters; stable: VersionCounters };
  /** Gate checks made in this step (1 + extensions). */
  evaluations: number;
  last_evaluation?: GateEvaluation;
  ended_at?: number;
  result?: 'passed' | 'breached' | 'stopped';
}

export interface RolloutOutcome {
  status: 'promoted' | 'rolled-back';
  reason: string;
  at: number;
  /** What ended it: the gates, an operator, a workflow error, or the last step passing. */
  by: 'gates' | 'manual' | 'error' | 'completed';
}

/** What every rollout record carries, whatever its kind. */
interface RolloutRecord {
  id: string;
  status: RolloutStatus;
  created_at: number;
  updated_at: number;
  /** Index into `steps` of the step under way (or last taken). */
  current_step: number;
  execution_arn?: string;
  outcome?: RolloutOutcome;
}

export interface ModelRollout extends ModelRolloutRequest, RolloutRecord {
  history: RolloutStep[];
  /** The last stable p95 measured with enough traffic: the reference once stable gets little. */
  stable_p95_reference_ms?: number;
}

/** A policy rollout step: its window is the decision records since `started_at`. */
export interface PolicyRolloutStep {
  index: number;
  percent: number;
  started_at: number;
  evaluations: number;
  last_evaluation?: PolicyGateEvaluation;
  ended_at?: number;
  result?: 'passed' | 'breached' | 'stopped';
}

export interface PolicyRollout extends PolicyRolloutRequest, RolloutRecord {
  history: PolicyRolloutStep[];
}

/** A stored rollout of either kind (records stored before kinds existed are model rollouts). */
export type Rollout = ModelRollout | PolicyRollout;

export const isPolicyRollout = (r: Rollout): r is PolicyRollout => r.kind === 'policy';
