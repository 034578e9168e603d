// Names in the job workflow's contract, shared by the CDK construct that defines the state
// machine (infra), the handlers of its steps, the local stack and tests: the state names (the
// local runner binds Task states by name), the error names the invoke step throws to be retried
// or to end the job, and the shape of each step's input.

/** State names in the synthesized definition. */
export const JOB_WORKFLOW_STATES = {
  start: 'Start',
  plan: 'Plan',
  hasMoreTargets: 'HasMoreTargets',
  invoke: 'Invoke',
  nextTarget: 'NextTarget',
  recordSuccess: 'RecordSuccess',
  recordFailure: 'RecordFailure',
  notifyWebhook: 'NotifyWebhook',
  done: 'Done',
} as const;

/** The Task states and the function each one invokes. */
export const JOB_WORKFLOW_TASKS = {
  Plan: 'plan',
  Invoke: 'invoke',
  RecordSuccess: 'record',
  RecordFailure: 'record',
  NotifyWebhook: 'notify',
} as const;

/** The invoke step throws an Error with this `name` for a failure worth retrying on the same target. */
export const RETRYABLE_ERROR = 'Switchyard.Retryable';

/**
 * Errors of the invoke step that end the job at once (RecordFailure, no next target): the request
 * was never sent because it cannot be built from the job's body (the caller's input), or because
 * of a defect of ours. Every target would fail the same way, and neither is the endpoint's fault.
 */
export const NOT_SENT_ERRORS = {
  invalidRequest: 'Switchyard.InvalidRequest',
  internal: 'Switchyard.Internal',
} as const;

/**
 * Errors of the plan step when the job's budget hold is refused or cannot be taken: the spend
 * budget cannot hold it before its period resets (the job fails), or it may after a wait (the
 * rest is reserved by requests in flight, a per-minute limit is used up this minute, the store
 * did not answer): the state machine retries the plan step with backoff, then fails the job.
 */
export const JOB_BUDGET_ERRORS = {
  insufficientQuota: 'Switchyard.InsufficientQuota',
  held: 'Switchyard.BudgetHeld',
  rateLimited: 'Switchyard.RateLimited',
  unavailable: 'Switchyard.BudgetUnavailable',
} as const;

/** The plan-step errors the state machine retries (a wait may let the hold fit). */
export const PLAN_RETRY_ERRORS: readonly string[] = [
  JOB_BUDGET_ERRORS.held,
  JOB_BUDGET_ERRORS.rateLimited,
  JOB_BUDGET_ERRORS.unavailable,
];

/**
 * Execution statuses after which a job may still lack a final state: the execution-watch rule
 * sends these to the job-watch function, which fails such a job.
 */
export const ABNORMAL_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** `$.last_error` before any attempt: RecordFailure reports it when the plan has no target. */
export const NO_TARGETS_ERROR = {
  Error: 'Switchyard.NoTargets',
  Cause: 'The plan has no target to invoke.',
} as const;

/** Execution input (what the worker starts an execution with). */
export interface JobWorkflowInput {
  job_id: string;
  tenant: string;
}

/** Plan step: input, and the part of its result the workflow keeps (at `$.plan`). */
export interface PlanStepInput {
  job_id: string;
  tenant: string;
}
export interface PlanStepResult {
  /** How many targets the plan has (primary plus fallbacks); the invoke step is called per cursor. */
  targets_count: number;
}

/** Invoke step: try the plan's target at `cursor` (0-based). Its result is discarded. */
export interface InvokeStepInput {
  job_id: string;
  tenant: string;
  cursor: number;
}

/** The error a Catch stores at `$.last_error`. */
export interface StepError {
  Error: string;
  Cause?: string;
}

/** Record step: a final outcome. */
export type RecordStepInput =
  | { job_id: string; tenant: string; outcome: 'succeeded' }
  | { job_id: string; tenant: string; outcome: 'failed'; error: StepError };

/** Notify step: the job's completion webhook (when it has one). */
export interface NotifyStepInput {
  job_id: string;
  tenant: string;
}
