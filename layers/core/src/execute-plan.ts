// Executes a plan against an InferenceClient (a port; no AWS here). Three shapes:
// - sequential: the primary, then each fallback on a retryable UpstreamError; a non-retryable
//   one (`rejected`: the request itself is bad) is rethrown at once, and so is any error that is
//   no UpstreamError (an attempt `not-sent`: the caller's InvalidRequestError, or a defect of
//   ours), without trying the fallbacks: they would fail the same way. Same-target retries follow
//   `plan.sync_retry` (absent or max_attempts_per_target 1: one attempt per target; the plan's
//   `max_attempts_per_target` is the durable path's Step Functions Retry): a target that failed
//   with throttling, a 503 or a connection failure (`retriesSameTarget`) is tried again after
//   `syncRetryDelay` (the upstream's Retry-After, else exponential backoff with full jitter), while
//   it has attempts left, the wait is at most max_delay_ms and ends before the deadline, and
//   `deps.mayRetry` agrees (the router: its local circuit for the endpoint is still closed);
//   otherwise the chain moves on at once. While a retry waits, nothing else starts (a hedge
//   timer still fires). Retries are recorded with their `attempt` number and `backoff_ms`.
// - hedged (plan.hedge): if the primary has not answered after delay_ms, the hedge target starts
//   too; the first success wins and the other is aborted (recorded as `aborted`). If the primary
//   fails before the delay, the chain simply moves on (the hedge target is the next fallback).
// - ensemble (plan.ensemble): every member starts at once; `first-success` takes the first
//   answer, `majority-vote` the most common label (ends early once a label has a strict
//   majority; ties go to the best-ranked member), `best-score` the highest numeric score, else the
//   highest-quality member's answer. Members that fail are just outvoted.
// Every attempt has its own AbortSignal: its timeout is min(target.timeout_ms, time left before
// the deadline). A client that ignores the signal is not waited for. When nothing succeeded the
// plan ends with TargetsExhaustedError(attempts, deadlineExceeded), or with the rejection or the
// not-sent attempt's error that stopped it. `runPlan` answers every ending with the attempts made
// so far (so each attempt that reached an upstream is accounted once, whatever ended the plan);
// `executePlan` throws the error instead. Timers are the global setTimeout (fake timers drive
// them in tests); the clock and the jitter's randomness are deps.
import { outcomeOfError } from './attempt-outcome.ts';
import type { AttemptRecord } from './errors.ts';
import { SwitchyardError, TargetsExhaustedError, UpstreamError } from './errors.ts';
import type { EnsembleCombine } from './plan.ts';
import type { InferenceCall, InferenceClient, InferenceResult } from './ports.ts';
import type { Plan, PlanTarget, SyncRetry } from './route.types.ts';

/** One ensemble member's outcome and what the combiner read from its answer. */
export interface EnsembleMember {
  endpoint: string;
  model: string;
  version: string;
  outcome: AttemptRecord['outcome'];
  label?: string;
  score?: number;
}

export interface EnsembleOutcome {
  /** The combine mode the plan asked for. */
  requested: EnsembleCombine;
  /** The mode that chose the answer (`first-success` when no member returned a label). */
  combine: EnsembleCombine;
  /** Why the winner won, e.g. `2 of 3 members voted "positive"`. */
  reason: string;
  /** The winning member's endpoint. */
  winner: string;
  members: EnsembleMember[];
}

export interface ExecutionResult {
  result: InferenceResult;
  target: PlanTarget;
  /** Every attempt in start order, including aborted hedge losers and ensemble members. */
  attempts: AttemptRecord[];
  /** Set when the plan had an ensemble. */
  ensemble?: EnsembleOutcome;
}

export interface ExecuteDeps {
  client: InferenceClient;
  /** Clock in ms for durations and the deadline (timers themselves are real). */
  now: () => number;
  /** Uniform [0, 1) draws for the retry backoff's jitter. @default () => 0.5 (half the cap) */
  random?: () => number;
  /** Whether a failed target may be tried again now (e.g. its circuit is still closed). @default yes */
  mayRetry?: (target: PlanTarget) => boolean;
}

/**
 * Whether a failure may be retried on the same target: the upstream said "not now" (throttled,
 * 503 Service Unavailable) or the connection failed (reset, refused). Timeouts, other 5xx and
 * invalid answers move on to the next target; a rejected request is not retried anywhere.
 */
export function retriesSameTarget(error: UpstreamError): boolean {
  return (
    error.failure === 'throttled' ||
    error.failure === 'connection' ||
    (error.failure === 'server' && error.upstreamStatus === 503)
  );
}

/**
 * The wait in ms before trying a target again after its `attempt`-th attempt failed with `error`,
 * or undefined to move on: not a same-target failure, no attempts left, a wait over
 * `max_delay_ms` (a long Retry-After: the next target is the better bet) or one that would not
 * end before the deadline (`leftMs` from now). The wait is the upstream's Retry-After when it sent
 * one, else full jitter: `floor(random() * min(max_delay_ms, base_delay_ms * 2^(attempt - 1)))`.
 */
export function syncRetryDelay(
  settings: SyncRetry | undefined,
  error: UpstreamError,
  attempt: number,
  leftMs: number,
  random: () => number,
): number | undefined {
  if (!settings || attempt >= settings.max_attempts_per_target || !retriesSameTarget(error)) return undefined;
  const cap = Math.min(settings.max_delay_ms, settings.base_delay_ms * 2 ** (attempt - 1));
  const wait = error.retryAfterMs ?? Math.floor(random() * cap);
  if (wait > settings.max_delay_ms || wait >= leftMs) return undefined;
  return wait;
}

type Settled =
  | { run: Running; ok: true; result: InferenceResult }
  | { run: Running; ok: false; error: UpstreamError; byDeadline: boolean; notSent?: undefined }
  /** Aborted (a loser), or `notSent`: the client threw something that is no upstream failure. */
  | { run: Running; ok: false; error: undefined; byDeadline: false; notSent?: { error: unknown } };

/** The error that ends the whole plan, if `s` has one: a rejection of the request, or a not-sent attempt's. */
function planEnder(s: Settled | undefined): { error: unknown } | undefined {
  if (!s || s.ok) return undefined;
  if (s.notSent) return s.notSent;
  return s.error && !s.error.retryable ? { error: s.error } : undefined;
}

interface Running {
  readonly target: PlanTarget;
  readonly record: AttemptRecord;
  readonly done: Promise<Settled>;
  /** Aborts the attempt as a loser (outcome `aborted`); no-op once settled. */
  cancel(): void;
}

/** A same-target retry waiting out its backoff. */
interface Waiting {
  readonly target: PlanTarget;
  readonly wait: number;
  /** Resolves with this once the wait is over. */
  readonly due: Promise<Waiting>;
  cancel(): void;
}

const HEDGE = Symbol('hedge');
const HALF = () => 0.5;

/**
 * How a plan ended, always with every attempt it made in start order: its answer, or the error
 * that ended it (TargetsExhaustedError, a rejection, a not-sent attempt's error).
 */
export type PlanOutcome =
  | ({ ok: true } & ExecutionResult)
  | { ok: false; error: unknown; attempts: readonly AttemptRecord[] };

/** Runs the plan (see the module header); never throws: an ending without an answer is `ok: false`. */
export async function runPlan(plan: Plan, call: InferenceCall, deps: ExecuteDeps): Promise<PlanOutcome> {
  const attempts: AttemptRecord[] = [];
  try {
    return { ok: true, ...(await run(plan, call, deps, attempts)) };
  } catch (error) {
    return { ok: false, error, attempts };
  }
}

/** Runs the plan: its answer, or it throws the error that ended it (see runPlan). */
export async function executePlan(
  plan: Plan,
  call: InferenceCall,
  deps: ExecuteDeps,
): Promise<ExecutionResult> {
  const outcome = await runPlan(plan, call, deps);
  if (!outcome.ok) throw outcome.error;
  const { ok: _ok, ...result } = outcome;
  return result;
}

/** Runs the plan, adding each attempt to `attempts` as it starts. */
async function run(
  plan: Plan,
  call: InferenceCall,
  deps: ExecuteDeps,
  attempts: AttemptRecord[],
): Promise<ExecutionResult> {
  const started = deps.now();
  const left = (): number => plan.deadline_ms - (deps.now() - started);
  if (plan.ensemble) return runEnsemble(plan.ensemble, call, deps, left, attempts);

  const queue = distinct([plan.primary, ...plan.fallbacks]);
  const running = new Set<Running>();
  const waiting = new Set<Waiting>();
  /** Attempts started per endpoint. */
  const tries = new Map<string, number>();
  let deadlineExceeded = false;
  let hedgeTimer: ReturnType<typeof setTimeout> | undefined;
  let hedgeFired: Promise<typeof HEDGE> | undefined;
  const launch = (target: PlanTarget, backoffMs = 0): boolean => {
    const budget = left();
    if (budget <= 0 || deadlineExceeded) {
      deadlineExceeded = true;
      return false;
    }
    const attempt = (tries.get(target.endpoint) ?? 0) + 1;
    tries.set(target.endpoint, attempt);
    const run = startAttempt(target, budget, call, deps);
    if (attempt > 1) {
      run.record.attempt = attempt;
      run.record.backoff_ms = backoffMs;
    }
    attempts.push(run.record);
    running.add(run);
    return true;
  };
  /** Schedules another attempt on a target that just failed, when the retry rules allow one. */
  const retryLater = (target: PlanTarget, error: UpstreamError): void => {
    if (deps.mayRetry && !deps.mayRetry(target)) return;
    const tried = tries.get(target.endpoint) ?? 1;
    const wait = syncRetryDelay(plan.sync_retry, error, tried, left(), deps.random ?? HALF);
    if (wait === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const w: Waiting = {
      target,
      wait,
      due: new Promise((resolve) => {
        timer = setTimeout(() => resolve(w), wait);
      }),
      cancel: () => clearTimeout(timer),
    };
    waiting.add(w);
  };

  try {
    if (queue[0] && launch(queue[0])) queue.shift();
    const hedge = plan.hedge;
    if (hedge && queue.some((t) => t.endpoint === hedge.target.endpoint)) {
      hedgeFired = new Promise((resolve) => {
        hedgeTimer = setTimeout(() => resolve(HEDGE), hedge.delay_ms);
      });
    }
    for (;;) {
      if (running.size === 0 && waiting.size === 0) {
        const next = queue[0];
        if (!next || !launch(next)) break;
        queue.shift();
        continue;
      }
      const waits: Array<Promise<Settled | Waiting | typeof HEDGE>> = [...running].map((r) => r.done);
      for (const w of waiting) waits.push(w.due);
      if (hedgeFired) waits.push(hedgeFired);
      const ev = await Promise.race(waits);
      if (ev === HEDGE) {
        hedgeFired = undefined;
        const at = queue.findIndex((t) => t.endpoint === hedge?.target.endpoint);
        const target = queue[at];
        if (target && launch(target)) queue.splice(at, 1);
        continue;
      }
      if (!('run' in ev)) {
        waiting.delete(ev);
        launch(ev.target, ev.wait);
        continue;
      }
      running.delete(ev.run);
      if (ev.ok) {
        for (const r of running) r.cancel();
        return { result: ev.result, target: ev.run.target, attempts };
      }
      const end = planEnder(ev);
      if (end) {
        for (const r of running) r.cancel();
        throw end.error;
      }
      if (ev.byDeadline) deadlineExceeded = true;
      else if (ev.error) retryLater(ev.run.target, ev.error);
      if (running.size === 0 && waiting.size === 0 && hedgeFired) {
        // The primary failed before the hedge delay: the hedge target is simply the next fallback.
        clearTimeout(hedgeTimer);
        hedgeFired = undefined;
      }
    }
  } finally {
    clearTimeout(hedgeTimer);
    for (const r of running) r.cancel();
    for (const w of waiting) w.cancel();
  }
  for (const t of queue) attempts.push({ ...ids(t), outcome: 'skipped-deadline', duration_ms: 0 });
  throw new TargetsExhaustedError(attempts, deadlineExceeded);
}

async function runEnsemble(
  ensemble: NonNullable<Plan['ensemble']>,
  call: InferenceCall,
  deps: ExecuteDeps,
  left: () => number,
  attempts: AttemptRecord[],
): Promise<ExecutionResult> {
  const members = distinct(ensemble.targets);
  const budget = left();
  const runs = members.map((t) => startAttempt(t, budget, call, deps));
  for (const r of runs) attempts.push(r.record);
  const settled = new Map<Running, Settled>();
  const votes = new Map<string, number>();
  const requested = ensemble.combine;
  const pending = new Set(runs);
  const finish = (winner: Running, combine: EnsembleCombine, reason: string): ExecutionResult => {
    for (const r of pending) r.cancel();
    const s = settled.get(winner);
    if (!s?.ok) throw new Error('ensemble winner without a result');
    const memberList = runs.map((r) => member(r, settled.get(r)));
    return {
      result: s.result,
      target: winner.target,
      attempts,
      ensemble: { requested, combine, reason, winner: winner.target.endpoint, members: memberList },
    };
  };
  try {
    while (pending.size > 0) {
      const ev = await Promise.race([...pending].map((r) => r.done));
      pending.delete(ev.run);
      settled.set(ev.run, ev);
      if (!ev.ok) continue;
      if (requested === 'first-success') return finish(ev.run, 'first-success', 'first member to answer');
      if (requested === 'majority-vote') {
        const label = extractLabel(ev.result.body);
        if (label === undefined) continue;
        const n = (votes.get(label) ?? 0) + 1;
        votes.set(label, n);
        if (n * 2 > runs.length) {
          return finish(
            ev.run,
            'majority-vote',
            `${n} of ${runs.length} members voted "${label}" (a majority)`,
          );
        }
      }
    }
  } finally {
    for (const r of pending) r.cancel();
  }

  const ok = runs.filter((r) => settled.get(r)?.ok);
  if (ok.length === 0) {
    const end = runs.map((r) => planEnder(settled.get(r))).find((e) => e !== undefined);
    if (end) throw end.error;
    const byDeadline = runs.some((r) => {
      const s = settled.get(r);
      return s !== undefined && !s.ok && s.byDeadline;
    });
    throw new TargetsExhaustedError(attempts, byDeadline);
  }
  const bodyOf = (r: Running): unknown => {
    const s = settled.get(r);
    return s?.ok ? s.result.body : undefined;
  };
  if (requested === 'majority-vote') {
    let best: { label: string; n: number } | undefined;
    let winner: Running | undefined;
    for (const r of ok) {
      const label = extractLabel(bodyOf(r));
      if (label === undefined) continue;
      const n = votes.get(label) ?? 0;
      if (!best || n > best.n) {
        best = { label, n };
        winner = r;
      }
    }
    if (best && winner) {
      return finish(winner, 'majority-vote', `${best.n} of ${runs.length} members voted "${best.label}"`);
    }
    return finish(ok[0] as Running, 'first-success', 'no member returned a label: first successful member');
  }
  // best-score
  let top: { run: Running; score: number } | undefined;
  for (const r of ok) {
    const score = extractScore(bodyOf(r));
    if (score !== undefined && (!top || score > top.score)) top = { run: r, score };
  }
  if (top) return finish(top.run, 'best-score', `highest score ${top.score}`);
  let q: { run: Running; quality: number } | undefined;
  for (const r of ok) {
    const quality = r.target.quality ?? 0.5;
    if (!q || quality > q.quality) q = { run: r, quality };
  }
  const chosen = q as { run: Running; quality: number };
  return finish(
    chosen.run,
    'best-score',
    `no member returned a score: highest-quality target (${chosen.quality})`,
  );
}

function startAttempt(target: PlanTarget, budgetMs: number, call: InferenceCall, deps: ExecuteDeps): Running {
  const controller = new AbortController();
  const t0 = deps.now();
  const byDeadline = budgetMs < target.timeout_ms;
  const timeoutMs = Math.max(1, Math.min(target.timeout_ms, budgetMs));
  const record: AttemptRecord = { ...ids(target), outcome: 'aborted', duration_ms: 0 };
  let why: 'timeout' | 'cancelled' | undefined;
  let cancel = (): void => {};
  const done = new Promise<Settled>((resolve) => {
    let over = false;
    const settle = (s: Settled, outcome: AttemptRecord['outcome'], error?: string, status?: number): void => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      record.outcome = outcome;
      record.duration_ms = deps.now() - t0;
      if (error !== undefined) record.error = error;
      if (status !== undefined) record.status = status;
      resolve(s);
    };
    const timer = setTimeout(() => {
      why = 'timeout';
      controller.abort(new UpstreamError('timeout', `attempt timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    controller.signal.addEventListener(
      'abort',
      () => {
        if (why === 'timeout') {
          const error = new UpstreamError(
            'timeout',
            byDeadline ? `deadline reached after ${timeoutMs} ms` : `attempt timed out after ${timeoutMs} ms`,
          );
          settle({ run, ok: false, error, byDeadline }, 'timeout', error.message);
        } else {
          settle(
            { run, ok: false, error: undefined, byDeadline: false },
            'aborted',
            'another attempt answered first',
          );
        }
      },
      { once: true },
    );
    cancel = () => {
      if (over) return;
      why = 'cancelled';
      controller.abort(new Error('cancelled: another attempt answered first'));
    };
    let pending: Promise<InferenceResult>;
    try {
      pending = deps.client.invoke(target, call, controller.signal);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (result) => settle({ run, ok: true, result }, 'success'),
      (err: unknown) => {
        if (err instanceof UpstreamError) {
          settle(
            { run, ok: false, error: err, byDeadline: false },
            err.failure,
            err.message,
            err.upstreamStatus,
          );
          return;
        }
        // No upstream verdict (attempt-outcome.ts): the caller's request could not be built
        // (its 4xx, message kept) or our own code failed (no internal detail in the record).
        const message =
          err instanceof SwitchyardError ? err.message : 'internal error: the request was not sent';
        settle(
          { run, ok: false, error: undefined, byDeadline: false, notSent: { error: err } },
          outcomeOfError(err),
          message,
        );
      },
    );
  });
  const run: Running = { target, record, done, cancel: () => cancel() };
  return run;
}

function member(r: Running, s: Settled | undefined): EnsembleMember {
  const m: EnsembleMember = { ...ids(r.target), outcome: r.record.outcome };
  if (s?.ok) {
    const label = extractLabel(s.result.body);
    const score = extractScore(s.result.body);
    if (label !== undefined) m.label = label;
    if (score !== undefined) m.score = score;
  }
  return m;
}

const ids = (t: PlanTarget) => ({ endpoint: t.endpoint, model: t.model, version: t.version });

function distinct(targets: readonly PlanTarget[]): PlanTarget[] {
  const seen = new Set<string>();
  const out: PlanTarget[] = [];
  for (const t of targets) {
    if (seen.has(t.endpoint)) continue;
    seen.add(t.endpoint);
    out.push(t);
  }
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The top `{label, score}` entry of a list of label objects (or the first label string); a nested
 * list (a batch of one) is read in its place. A loop, not recursion: an upstream's nesting
 * cannot overflow the stack.
 */
function topLabel(list: readonly unknown[]): { label: string; score?: number } | undefined {
  let best: { label: string; score?: number } | undefined;
  let items = list;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item === 'string') return best ?? { label: item };
    if (Array.isArray(item)) {
      items = item;
      best = undefined;
      i = -1;
      continue;
    }
    if (!isObj(item) || typeof item.label !== 'string') continue;
    const score = typeof item.score === 'number' ? item.score : undefined;
    if (!best || (score !== undefined && (best.score === undefined || score > best.score))) {
      best = score === undefined ? { label: item.label } : { label: item.label, score };
    }
  }
  return best;
}

/**
 * The label an answer votes for, normalised (trimmed, lower case): `{label}`, `{labels: [...]}`
 * (first string or top-scored object), a top-level `[{label, score}]` list, a plain string, or a
 * chat completion's first message content.
 */
export function extractLabel(body: unknown): string | undefined {
  const norm = (s: string): string | undefined => {
    const t = s.trim().toLowerCase();
    return t === '' ? undefined : t;
  };
  if (typeof body === 'string') return norm(body);
  if (Array.isArray(body)) {
    const top = topLabel(body);
    return top ? norm(top.label) : undefined;
  }
  if (!isObj(body)) return undefined;
  if (typeof body.label === 'string') return norm(body.label);
  if (Array.isArray(body.labels)) {
    const top = topLabel(body.labels);
    return top ? norm(top.label) : undefined;
  }
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (isObj(choice) && isObj(choice.message) && typeof choice.message.content === 'string') {
    return norm(choice.message.content);
  }
  return undefined;
}

/**
 * The numeric score of an answer: `score` or `confidence`, else the top score in `labels` or a
 * top-level `[{label, score}]` list.
 */
export function extractScore(body: unknown): number | undefined {
  if (Array.isArray(body)) return topLabel(body)?.score;
  if (!isObj(body)) return undefined;
  if (typeof body.score === 'number' && Number.isFinite(body.score)) return body.score;
  if (typeof body.confidence === 'number' && Number.isFinite(body.confidence)) return body.confidence;
  if (Array.isArray(body.labels)) return topLabel(body.labels)?.score;
  return undefined;
}
