// The job workflow's steps over ports, one function per Task state of the synthesized state
// machine: plan (route once, fix the target list), invoke (one attempt on the target at the
// cursor), record (final state, once) and notify (the optional webhook, signed). Errors thrown here are
// named for the state machine's Retry/Catch: `Switchyard.Retryable` is retried with backoff on
// the same target; `Switchyard.InvalidRequest` and `Switchyard.Internal` (the request was never
// sent: the job's body cannot be built into one, or our defect) end the job; anything else moves
// the chain to the next target. Attempts count for or against an endpoint by the core's one rule
// (attempt-outcome.ts), as in the router.
//
// Budgets (reserve, then settle, as the router does, but durably: the steps are separate
// invocations): the plan step holds the plan's maximum cost (and tokens, and 1 request) on the
// tenant's budgets (BudgetHolds: one lease per budget item named by the job) before the job is
// running, and stores the hold with the plan; the invoke step keeps what a served answer was
// charged on the job; the record step settles the hold to that charge (nothing charged: released).
// A hold whose execution died is settled by the sweeper at its full amount once it expires.
import type { BudgetHolds } from '@switchyard/adapters';
import { jobWebhook } from '@switchyard/adapters';
import type {
  BudgetHold,
  BudgetRefusal,
  ChatCompletionRequest,
  CompiledRegistry,
  HealthSnapshot,
  InferenceCall,
  InferenceClient,
  InferenceResult,
  InvocationRequest,
  Job,
  JobStore,
  Model,
  Outcome,
  Plan,
  PlanTarget,
  RouteContext,
  RouteRequest,
  TenantBudgetSource,
  TenantBudgets,
  UsageRecord,
  WebhookNotifier,
} from '@switchyard/core';
import {
  applyTenantPolicy,
  budgetRefusalError,
  chargedCostNanos,
  chatRouteRequest,
  endpointOutcome,
  invocationRouteRequest,
  JOB_BUDGET_ERRORS,
  jobBoundsOutput,
  jobMaximum,
  jobPrivacy,
  lastReached,
  modelKey,
  NOT_SENT_ERRORS,
  outcomeOfError,
  RETRYABLE_ERROR,
  reservationItems,
  route,
  SwitchyardError,
  tenantBudgets,
  UpstreamError,
  usageRecordOf,
  withFeatures,
} from '@switchyard/core';

/** An error whose name the state machine matches in Retry/Catch. */
export class StepError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** Retried on the same target by the state machine (its Retry matches this name). */
export const RETRYABLE = RETRYABLE_ERROR;
export const TARGET_EXHAUSTED = 'Switchyard.TargetExhausted';
export const REJECTED = 'Switchyard.Rejected';
export const NO_ROUTE = 'Switchyard.NoRoute';
export const INVALID_REQUEST = NOT_SENT_ERRORS.invalidRequest;
export const INTERNAL = NOT_SENT_ERRORS.internal;
/** The spend budget cannot hold the job before its period resets (or at all): the job fails. */
export const INSUFFICIENT_QUOTA = JOB_BUDGET_ERRORS.insufficientQuota;
/** The rest of the budget is reserved by requests in flight: the plan step is retried. */
export const BUDGET_HELD = JOB_BUDGET_ERRORS.held;
/** A tokens- or requests-per-minute limit is used up this minute: the plan step is retried. */
export const RATE_LIMITED = JOB_BUDGET_ERRORS.rateLimited;
/** The tenant record or the budget table could not be read: the plan step is retried. */
export const BUDGET_UNAVAILABLE = JOB_BUDGET_ERRORS.unavailable;

/** Largest result a job item stores (DynamoDB items hold 400 KB, the request is in there too). */
export const MAX_RESULT_BYTES = 100 * 1024;

export interface StepInput {
  job_id: string;
  tenant?: string;
}

async function loadJob(jobs: Pick<JobStore, 'get'>, id: string): Promise<Job> {
  const job = await jobs.get(id);
  if (!job) throw new StepError(NO_ROUTE, `job ${id} does not exist`);
  return job;
}

/** The money side of the job steps (absent: jobs are neither held to budgets nor bounded by the tenant record). */
export interface JobBudgetDeps {
  /** The tenant record's budget attributes, allow-list and default classification (cached). */
  tenants: TenantBudgetSource;
  holds: Pick<BudgetHolds, 'take' | 'settle'>;
  /** How long a hold lives at most: the execution's timeout, one invoke and a margin. */
  holdTtlMs: number;
}

export interface PlanDeps {
  jobs: JobStore;
  registry: { get(): Promise<CompiledRegistry> };
  health: { get(): Promise<HealthSnapshot> };
  context: () => RouteContext;
  budget?: JobBudgetDeps;
}

/** The lease id of a job's budget hold. */
export const jobHoldId = (jobId: string): string => `job.${jobId}`;

/**
 * Routes the job once, holds its maximum cost on the tenant's budgets, and fixes its target list
 * with the hold; returns how many targets the chain has. A re-run after the plan was stored
 * answers from it (the hold was taken before it was stored).
 */
export async function planJob(deps: PlanDeps, input: StepInput): Promise<{ targets_count: number }> {
  const job = await loadJob(deps.jobs, input.job_id);
  if (job.plan) return { targets_count: job.plan.targets.length };
  const budgets = deps.budget ? await budgetsOf(deps.budget, job.tenant) : undefined;
  // Routed as the synchronous API would have routed it: same hints, headers and allow-list, and
  // the tenant record's current allow-list and classification floor.
  const tenant = { id: job.tenant, ...(job.allowed_models ? { allowed_models: job.allowed_models } : {}) };
  const headers = job.request.headers ?? {};
  const parsed =
    job.request.kind === 'chat'
      ? chatRouteRequest(job.request.body as ChatCompletionRequest, headers, tenant)
      : invocationRouteRequest(job.request.body as InvocationRequest, headers, tenant);
  const asked = budgets ? applyTenantPolicy(parsed, budgets.request_policy ?? {}) : parsed;
  const [registry, health] = await Promise.all([deps.registry.get(), deps.health.get()]);
  // What the prompt says, as the synchronous router reads it (policy conditions, infer).
  const call: InferenceCall =
    job.request.kind === 'chat'
      ? { kind: 'chat', body: job.request.body as ChatCompletionRequest }
      : { kind: 'invocation', task: asked.task, payload: (job.request.body as InvocationRequest).payload };
  const understood = withFeatures(asked, call, registry);
  let decision: ReturnType<typeof route>;
  let request = understood;
  try {
    // Personal data raises the classification (the settings may have changed since submission).
    request = jobPrivacy(
      understood,
      { kind: job.request.kind, parsed: job.request.body },
      registry,
      budgets?.request_policy?.pii_action,
    );
    decision = route(request, { registry, health }, deps.context());
  } catch (err) {
    if (err instanceof SwitchyardError) throw new StepError(NO_ROUTE, err.message, { cause: err });
    throw err;
  }
  const { plan } = decision;
  const targets = [plan.primary, ...plan.fallbacks];
  const hold =
    deps.budget && budgets ? await holdJob(deps.budget, job, budgets, plan, request, registry) : undefined;
  try {
    await deps.jobs.start(job.id, {
      policy: plan.policy,
      targets,
      max_attempts_per_target: plan.max_attempts_per_target,
      ...(hold ? { budget_hold: hold } : {}),
    });
  } catch (err) {
    // Not stored (e.g. the job was dead-lettered meanwhile): give the hold back.
    if (hold && deps.budget) await deps.budget.holds.settle(hold, []);
    throw err;
  }
  return { targets_count: targets.length };
}

async function budgetsOf(deps: JobBudgetDeps, tenant: string): Promise<TenantBudgets> {
  try {
    return tenantBudgets(await deps.tenants.get(tenant));
  } catch (err) {
    throw new StepError(BUDGET_UNAVAILABLE, `the budgets of tenant ${tenant} cannot be read`, { cause: err });
  }
}

async function holdJob(
  deps: JobBudgetDeps,
  job: Job,
  budgets: TenantBudgets,
  plan: Plan,
  request: RouteRequest,
  registry: CompiledRegistry,
): Promise<BudgetHold | undefined> {
  const max = jobMaximum(
    plan,
    request,
    (t) => registry.modelsByKey.get(modelKey(t.model, t.version)),
    jobBoundsOutput(job.request.kind, job.request.body),
  );
  const wanted = reservationItems(budgets, max.cost_nanos, max.tokens);
  if (wanted.length === 0) return undefined;
  let taken: Awaited<ReturnType<JobBudgetDeps['holds']['take']>>;
  try {
    taken = await deps.holds.take(job.tenant, jobHoldId(job.id), wanted, deps.holdTtlMs);
  } catch (err) {
    throw new StepError(BUDGET_UNAVAILABLE, 'the budget store cannot be reached', { cause: err });
  }
  if ('lease_id' in taken) return taken.items.length > 0 ? taken : undefined;
  throw refusalStepError(taken);
}

/** The step error of a refused hold: final when waiting cannot help before the period resets. */
export function refusalStepError(r: BudgetRefusal): StepError {
  const message = budgetRefusalError(r).message;
  if (r.unit !== 'usd_nanos') return new StepError(RATE_LIMITED, message);
  return new StepError(r.reason === 'held' ? BUDGET_HELD : INSUFFICIENT_QUOTA, message);
}

/** What settles each item of a job's hold: its charge (nothing charged: 0, a release). */
export function holdActuals(hold: BudgetHold, charge: Job['charge']): number[] {
  return hold.items.map((item) => {
    if (!charge) return 0;
    if (item.unit === 'usd_nanos') return charge.cost;
    if (item.unit === 'tokens') {
      return charge.usage ? charge.usage.prompt_tokens + charge.usage.completion_tokens : item.amount;
    }
    return 1;
  });
}

/**
 * Metering of jobs: one usage record per job that reached an upstream, keyed by the job's id and
 * acceptance time (so a retried step lands on the same record). A served job is metered by the
 * invoke step before the job is finished (a crash in between re-runs the step; the record
 * stays one); a failed one by the record step, at no cost.
 */
export interface JobMetering {
  usage: { record(record: UsageRecord): Promise<boolean> };
  /** The model version's prices (the registry). */
  model: (target: Pick<PlanTarget, 'model' | 'version'>) => Promise<Pick<Model, 'cost'> | undefined>;
}

export interface InvokeDeps {
  jobs: JobStore;
  inference: InferenceClient;
  recordOutcomes: (outcomes: Outcome[]) => Promise<void>;
  now: () => number;
  metering?: JobMetering;
}

/** A job's usage record (route `job`, request id = job id, at = accepted). */
function jobUsage(
  job: Job,
  target: Pick<PlanTarget, 'model' | 'version' | 'endpoint'>,
  f: {
    ended_at: number;
    usage: InferenceResult['usage'];
    cost_nanos: number;
    status: 'ok' | 'error';
    attempts: number;
  },
): UsageRecord {
  return usageRecordOf({
    tenant: job.tenant,
    key_id: undefined,
    request_id: job.id,
    route: 'job',
    at: job.created_at,
    target,
    ...f,
  });
}

/** One attempt on the target at `cursor`; stores the result on success. */
export async function invokeTarget(
  deps: InvokeDeps,
  input: StepInput & { cursor: number },
): Promise<{ endpoint: string }> {
  const job = await loadJob(deps.jobs, input.job_id);
  // Already final (a retried Task, or a job dead-lettered meanwhile): never invoke twice.
  if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'dead-lettered') {
    return { endpoint: job.plan?.targets[input.cursor]?.endpoint ?? 'unknown' };
  }
  const target = job.plan?.targets[input.cursor];
  if (!job.plan || !target)
    throw new StepError(TARGET_EXHAUSTED, `job ${job.id} has no target ${input.cursor}`);
  const tries = await deps.jobs.countAttempt(job.id, input.cursor);
  if (tries > job.plan.max_attempts_per_target) {
    throw new StepError(
      TARGET_EXHAUSTED,
      `${target.endpoint}: ${job.plan.max_attempts_per_target} attempts used`,
    );
  }
  const call: InferenceCall =
    job.request.kind === 'chat'
      ? { kind: 'chat', body: withoutHints(job.request.body as ChatCompletionRequest) }
      : {
          kind: 'invocation',
          task: (job.request.body as InvocationRequest).task,
          payload: (job.request.body as InvocationRequest).payload,
        };
  const started = deps.now();
  const ids = { endpoint: target.endpoint, model: target.model, version: target.version };
  let result: InferenceResult;
  try {
    result = await deps.inference.invoke(target, call, AbortSignal.timeout(target.timeout_ms));
  } catch (err) {
    throw await failedAttempt(deps, job.id, ids, err, started);
  }
  const duration = deps.now() - started;
  let charge: Job['charge'];
  if (deps.metering) {
    const cost = chargedCostNanos(await deps.metering.model(target), result.usage, target);
    charge = { cost, ...(result.usage ? { usage: result.usage } : {}) };
    await deps.metering.usage.record(
      jobUsage(job, target, {
        ended_at: deps.now(),
        usage: result.usage,
        cost_nanos: cost,
        status: 'ok',
        attempts: job.attempts.length + 1,
      }),
    );
  }
  await deps.jobs.appendAttempt(job.id, { ...ids, outcome: 'success', duration_ms: duration });
  await deps.recordOutcomes([{ endpoint: target.endpoint, ok: true, latency_ms: duration, at: started }]);
  const stored = {
    body: result.body,
    endpoint: target.endpoint,
    model: target.model,
    version: target.version,
  };
  const size = Buffer.byteLength(JSON.stringify(stored));
  await deps.jobs.finish(job.id, {
    ...(size <= MAX_RESULT_BYTES
      ? { status: 'succeeded', result: stored }
      : {
          status: 'failed',
          error: {
            code: 'result_too_large',
            message: `${target.endpoint} answered, but its ${size}-byte answer is larger than the ${MAX_RESULT_BYTES} bytes a job can store.`,
          },
        }),
    ...(charge ? { charge } : {}),
  });
  return { endpoint: target.endpoint };
}

/**
 * Records an attempt that threw `err` (and its passive outcome, when it has one) and returns the
 * StepError that tells the state machine what next: retry, next target, or end the job.
 */
async function failedAttempt(
  deps: InvokeDeps,
  jobId: string,
  ids: { endpoint: string; model: string; version: string },
  err: unknown,
  started: number,
): Promise<StepError> {
  const duration = deps.now() - started;
  const outcome = outcomeOfError(err);
  const upstream = err instanceof UpstreamError ? err : undefined;
  // A caller's error keeps its message; a defect of ours shows no internal detail.
  const message = err instanceof SwitchyardError ? err.message : 'internal error: the request was not sent';
  await deps.jobs.appendAttempt(jobId, {
    ...ids,
    outcome,
    duration_ms: duration,
    error: message,
    ...(upstream?.upstreamStatus ? { status: upstream.upstreamStatus } : {}),
  });
  const passive = endpointOutcome({ endpoint: ids.endpoint, outcome, duration_ms: duration }, started);
  if (passive) await deps.recordOutcomes([passive]);
  if (upstream) {
    return new StepError(upstream.retryable ? RETRYABLE : REJECTED, `${ids.endpoint}: ${message}`, {
      cause: upstream,
    });
  }
  return new StepError(err instanceof SwitchyardError ? INVALID_REQUEST : INTERNAL, message, { cause: err });
}

/** The job's error code for the step errors that end a job before its targets are exhausted. */
const FAILURE_CODES: ReadonlyMap<string, string> = new Map([
  [NO_ROUTE, 'no_route'],
  [INVALID_REQUEST, 'invalid_request'],
  [INTERNAL, 'internal_error'],
  [INSUFFICIENT_QUOTA, 'insufficient_quota'],
  [BUDGET_HELD, 'insufficient_quota'],
  [RATE_LIMITED, 'rate_limit_exceeded'],
  [BUDGET_UNAVAILABLE, 'budget_unavailable'],
]);

export interface RecordDeps {
  jobs: JobStore;
  usage?: JobMetering['usage'];
  now?: () => number;
  /** Settles the job's budget hold (absent: holds are left to the sweeper). */
  holds?: Pick<BudgetHolds, 'settle'>;
}

/** Settles the job's hold to what it was charged, once it is final (a second call changes nothing). */
async function settleHold(deps: RecordDeps, job: Job): Promise<void> {
  const hold = job.plan?.budget_hold;
  if (!hold || !deps.holds) return;
  await deps.holds.settle(hold, holdActuals(hold, job.charge));
}

export type RecordInput =
  | (StepInput & { outcome: 'succeeded' })
  | (StepInput & { outcome: 'failed'; error?: { Error?: string; Cause?: string } });

/** Records the final state (once). */
export async function recordJob(deps: RecordDeps, input: RecordInput): Promise<{ status: string }> {
  if (input.outcome === 'failed') {
    const job = await loadJob(deps.jobs, input.job_id);
    const tried = job.attempts.map((a) => `${a.endpoint} (${a.outcome})`).join(', ') || 'no endpoint';
    const why = input.error?.Cause ? describeCause(input.error.Cause) : 'every target failed';
    await deps.jobs.finish(job.id, {
      status: 'failed',
      error: {
        code: FAILURE_CODES.get(input.error?.Error ?? '') ?? 'all_targets_failed',
        message: `${why}. Tried: ${tried}.`,
      },
    });
    // Metered when it reached an upstream: at no cost (failed attempts report no usage).
    const last = lastReached(job.attempts);
    if (deps.usage && last) {
      await deps.usage.record(
        jobUsage(job, last, {
          ended_at: (deps.now ?? Date.now)(),
          usage: undefined,
          cost_nanos: 0,
          status: 'error',
          attempts: job.attempts.length,
        }),
      );
    }
    // Read again: a job that was final before (served, then this path) keeps its charge.
    await settleHold(deps, (await deps.jobs.get(job.id)) ?? job);
    return { status: 'failed' };
  }
  // Success was stored by the invoke step (with its charge); this makes sure the job is final.
  const job = await loadJob(deps.jobs, input.job_id);
  await settleHold(deps, job);
  return { status: job.status };
}

export interface NotifyDeps {
  jobs: Pick<JobStore, 'get'>;
  /** Signs and POSTs the job's webhook; throws when it failed (the state machine retries). */
  webhooks: WebhookNotifier;
}

/** Calls the job's webhook, if it has one, with its public view. */
export async function notifyJob(deps: NotifyDeps, input: StepInput): Promise<{ status: string }> {
  const job = await loadJob(deps.jobs, input.job_id);
  if (!job.webhook_url) return { status: 'no-webhook' };
  await deps.webhooks.notify(jobWebhook({ ...job, webhook_url: job.webhook_url }));
  return { status: 'notified' };
}

function withoutHints(body: ChatCompletionRequest): Omit<ChatCompletionRequest, 'x-switchyard'> {
  const { 'x-switchyard': _hints, ...rest } = body;
  return rest;
}

/** Step Functions passes a Lambda error's cause as JSON `{errorMessage, errorType}` text. */
function describeCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
