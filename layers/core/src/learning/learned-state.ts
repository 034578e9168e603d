// The learned router's state: per model version (arm), the sufficient statistics of a ridge
// regression of observed quality on the context vector (Li et al., LinUCB, WWW 2010). The
// regression target is the residual over the registry's quality prior, so an arm with no
// feedback estimates exactly its prior and learning only corrects it.
// Stored form (LearnedState): plain JSON, small (an arm is d(d+1)/2 + d + 1 numbers; 66 for
// d = 10), exact and order-independent to update: A = ridge·I + Σ x xᵀ, b = Σ x (r − prior).
// Compiled form (CompiledLearnedState): θ = A⁻¹b and A⁻¹ per arm in typed arrays, built once
// per snapshot load, read by the learned strategy (strategies/learned.ts) in O(d²) per arm.
import * as z from 'zod';
import { CONTEXT_DIM } from './context.ts';

/** Ridge (prior precision) of a fresh arm: its estimate's uncertainty starts at |x|. */
export const DEFAULT_RIDGE = 1;

export const LearnedArmSchema = z.lazy(() =>
  z
    .object({
      /** Feedback events folded in. */
      n: z.number().int().nonnegative(),
      /** Σ x xᵀ, upper triangle row by row (d(d+1)/2 numbers). */
      xx: z.array(z.number()),
      /** Σ x (reward − prior). */
      xr: z.array(z.number()),
    })
    .strict(),
);
export type LearnedArm = z.infer<typeof LearnedArmSchema>;

export const LearnedStateSchema = z.lazy(() =>
  z
    .object({
      version: z.literal(1),
      dim: z.number().int().positive(),
      ridge: z.number().positive(),
      /** By model key (`id@version`). */
      arms: z.record(z.string(), LearnedArmSchema),
      /** The cost weight λ solved per policy at the last refit (from its target cost or quality floor). */
      lambda: z.record(z.string(), z.number().nonnegative()).default({}),
      /** Feedback events folded in, over all arms. */
      events: z.number().int().nonnegative(),
      updated_at: z.number().int().nonnegative(),
      /** Incremental refit: every contribution timed before this (epoch ms) is folded in, none after. */
      watermark: z.number().int().nonnegative().default(0),
      /** Written revision: a refit writes `rev + 1` only over the `rev` it read (no double count on a race). */
      rev: z.number().int().nonnegative().default(0),
    })
    .strict()
    .superRefine((s, ctx) => {
      const tri = (s.dim * (s.dim + 1)) / 2;
      for (const [key, arm] of Object.entries(s.arms)) {
        if (arm.xx.length !== tri || arm.xr.length !== s.dim) {
          ctx.addIssue({
            code: 'custom',
            path: ['arms', key],
            message: `arm statistics must match dim ${s.dim}`,
          });
        }
      }
    }),
);
export type LearnedState = z.infer<typeof LearnedStateSchema>;

/** One feedback event: the context a decision saw, the arm it chose, the prior it used, the reward. */
export interface LearningEvent {
  arm: string;
  x: ArrayLike<number>;
  /** The quality prior the decision scored the arm with (the residual's base). */
  prior: number;
  /** Observed quality, 0..1. */
  reward: number;
  /** 1 adds the observation, −1 retracts one added before (an implicit reward replaced by late feedback). @default 1 */
  weight?: 1 | -1;
}

export function emptyLearnedState(now = 0, dim: number = CONTEXT_DIM, ridge = DEFAULT_RIDGE): LearnedState {
  return { version: 1, dim, ridge, arms: {}, lambda: {}, events: 0, updated_at: now, watermark: 0, rev: 0 };
}

const emptyArm = (d: number): LearnedArm => ({
  n: 0,
  xx: new Array<number>((d * (d + 1)) / 2).fill(0),
  xr: new Array<number>(d).fill(0),
});

/**
 * Folds events into a copy of `state` (the input is not modified). Events whose context has the
 * wrong length or a non-finite number are skipped and counted in `skipped`.
 */
export function foldEvents(
  state: LearnedState,
  events: Iterable<LearningEvent>,
  now: number,
): { state: LearnedState; folded: number; skipped: number } {
  const d = state.dim;
  const arms: Record<string, LearnedArm> = {};
  for (const [k, a] of Object.entries(state.arms)) arms[k] = { n: a.n, xx: [...a.xx], xr: [...a.xr] };
  let folded = 0;
  let skipped = 0;
  for (const e of events) {
    if (!validEvent(e, d)) {
      skipped++;
      continue;
    }
    let arm = arms[e.arm];
    if (arm === undefined) {
      arm = emptyArm(d);
      arms[e.arm] = arm;
    }
    const w = e.weight ?? 1;
    const target = e.reward - e.prior;
    let t = 0;
    for (let i = 0; i < d; i++) {
      const xi = w * (e.x[i] as number);
      arm.xr[i] = (arm.xr[i] as number) + xi * target;
      for (let j = i; j < d; j++) arm.xx[t] = (arm.xx[t++] as number) + xi * (e.x[j] as number);
    }
    arm.n += w;
    folded += w;
  }
  return { state: { ...state, arms, events: state.events + folded, updated_at: now }, folded, skipped };
}

function validEvent(e: LearningEvent, d: number): boolean {
  if (e.weight !== undefined && e.weight !== 1 && e.weight !== -1) return false;
  if (e.x.length !== d || !Number.isFinite(e.reward) || !Number.isFinite(e.prior)) return false;
  if (e.reward < 0 || e.reward > 1) return false;
  for (let i = 0; i < d; i++) if (!Number.isFinite(e.x[i] as number)) return false;
  return true;
}

/** The learned state ready for decisions: θ and A⁻¹ per arm. */
export interface CompiledLearnedState {
  readonly dim: number;
  readonly ridge: number;
  /** Arm index by model key. */
  readonly arms: ReadonlyMap<string, number>;
  /** θ of arm a at [a·d, (a+1)·d). */
  readonly theta: Float64Array;
  /** A⁻¹ of arm a at [a·d², (a+1)·d²), row-major. */
  readonly ainv: Float64Array;
  /** Events per arm. */
  readonly count: Float64Array;
  readonly lambda: Readonly<Record<string, number>>;
  readonly events: number;
  readonly updated_at: number;
}

/** Solves every arm's ridge regression (Gauss-Jordan on A = ridge·I + Σ x xᵀ, which is SPD). */
export function compileLearnedState(state: LearnedState): CompiledLearnedState {
  const d = state.dim;
  const keys = Object.keys(state.arms).sort();
  const theta = new Float64Array(keys.length * d);
  const ainv = new Float64Array(keys.length * d * d);
  const count = new Float64Array(keys.length);
  const a = new Float64Array(d * d);
  keys.forEach((key, k) => {
    const arm = state.arms[key] as LearnedArm;
    fullMatrix(arm.xx, d, state.ridge, a);
    const inv = ainv.subarray(k * d * d, (k + 1) * d * d);
    invertSpd(a, d, inv);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (inv[i * d + j] as number) * (arm.xr[j] as number);
      theta[k * d + i] = s;
    }
    count[k] = arm.n;
  });
  return {
    dim: d,
    ridge: state.ridge,
    arms: new Map(keys.map((k, i) => [k, i])),
    theta,
    ainv,
    count,
    lambda: state.lambda,
    events: state.events,
    updated_at: state.updated_at,
  };
}

/** A = ridge·I + the symmetric matrix of the upper triangle `xx`. */
function fullMatrix(xx: readonly number[], d: number, ridge: number, out: Float64Array): void {
  let t = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = (xx[t++] as number) + (i === j ? ridge : 0);
      out[i * d + j] = v;
      out[j * d + i] = v;
    }
  }
}

/** Inverts the d×d matrix `m` (modified) into `out` by Gauss-Jordan with partial pivoting. */
function invertSpd(m: Float64Array, d: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++)
      if (Math.abs(m[r * d + c] as number) > Math.abs(m[p * d + c] as number)) p = r;
    if (p !== c) {
      for (let j = 0; j < d; j++) {
        swap(m, c * d + j, p * d + j);
        swap(out, c * d + j, p * d + j);
      }
    }
    const pivot = m[c * d + c] as number;
    for (let j = 0; j < d; j++) {
      m[c * d + j] = (m[c * d + j] as number) / pivot;
      out[c * d + j] = (out[c * d + j] as number) / pivot;
    }
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = m[r * d + c] as number;
      if (f === 0) continue;
      for (let j = 0; j < d; j++) {
        m[r * d + j] = (m[r * d + j] as number) - f * (m[c * d + j] as number);
        out[r * d + j] = (out[r * d + j] as number) - f * (out[c * d + j] as number);
      }
    }
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
}

/**
 * Arm `arm`'s residual estimate θ·x and its width √(xᵀA⁻¹x) for context `x`; an arm without
 * state (index < 0) has θ = 0 and A⁻¹ = I / ridge.
 */
export function armEstimate(
  state: CompiledLearnedState | undefined,
  arm: number,
  x: ArrayLike<number>,
): { residual: number; width: number } {
  const d = x.length;
  if (state === undefined || arm < 0) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (x[i] as number) ** 2;
    return { residual: 0, width: Math.sqrt(s / (state?.ridge ?? DEFAULT_RIDGE)) };
  }
  const { theta, ainv } = state;
  const t0 = arm * d;
  const m0 = arm * d * d;
  let mean = 0;
  let q = 0;
  for (let i = 0; i < d; i++) {
    const xi = x[i] as number;
    mean += (theta[t0 + i] as number) * xi;
    let row = 0;
    for (let j = 0; j < d; j++) row += (ainv[m0 + i * d + j] as number) * (x[j] as number);
    q += xi * row;
  }
  return { residual: mean, width: Math.sqrt(Math.max(0, q)) };
}
