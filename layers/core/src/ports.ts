// Ports: the interfaces the core and the handlers depend on. Adapters in
// `@switchyard/adapters` implement them over DynamoDB, SQS, Step Functions, SageMaker and HTTP.

import type {
  BudgetHold,
  BudgetKey,
  BudgetLease,
  BudgetPeriodInit,
  BudgetPeriodRecord,
  LeaseOutcome,
  LeaseTopUp,
  TopUpOutcome,
} from './budget/budget.types.ts';
import type { ChatCompletionRequest } from './chat.schema.ts';
import type { CompletionRequest } from './completion.schema.ts';
import type { EmbeddingUpstreamBody } from './embeddings/embedding-request.ts';
import type { AttemptRecord } from './errors.ts';
import type { Endpoint, Registry } from './registry.schema.ts';
import type {
  CircuitState,
  EndpointHealth,
  HealthSnapshot,
  InflightReport,
  PlanTarget,
} from './route.types.ts';
import type { PlanTier, TenantProfile, TenantRecord } from './tenants/tenant.schema.ts';

/**
 * What is sent to an endpoint: an OpenAI chat body or legacy completion body (hints stripped), a
 * task payload, or the inputs to embed (`dimensions` asked: the client sends it, or shortens the
 * vectors itself).
 */
export type InferenceCall =
  | { kind: 'chat'; body: Omit<ChatCompletionRequest, 'x-switchyard'> }
  | { kind: 'completion'; body: Omit<CompletionRequest, 'x-switchyard'> }
  | { kind: 'invocation'; task: string; payload: unknown }
  | { kind: 'embedding'; body: EmbeddingUpstreamBody };

/** Token counts of one answer. */
export interface InferenceUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface InferenceResult {
  /**
   * chat: an OpenAI chat.completion object; completion: an OpenAI text_completion object;
   * invocation: the endpoint's JSON answer; embedding: `EmbeddingVectors`, one vector per input,
   * each of the length asked (or the model's).
   */
  body: unknown;
  usage?: InferenceUsage;
}

/**
 * One piece of a streamed answer, whatever the upstream's wire format (OpenAI SSE chunks, TGI's
 * token stream, a whole answer converted): text produced since the previous chunk, a finish
 * reason, usage. A chunk may carry any subset; chunks with nothing are dropped by the clients.
 */
export interface InferenceChunk {
  /** The choice this chunk belongs to (completions with several prompts). @default 0 */
  index?: number;
  /** New text of the answer. */
  text?: string;
  /** Chat tool-call deltas, passed through as the upstream sent them (OpenAI delta.tool_calls). */
  tool_calls?: unknown[];
  finish_reason?: string;
  /** The upstream's usage report (OpenAI's usage chunk, TGI's generated token count). */
  usage?: InferenceUsage;
}

/**
 * Calls one endpoint; honours `signal` for timeouts. What it throws is the contract failure
 * accounting relies on (attempt-outcome.ts):
 * - `UpstreamError`: the upstream failed: it answered with an error or an unusable body, it could
 *   not be reached, or it timed out. Only these count against the endpoint (`rejected` aside);
 * - `InvalidRequestError`: the request could not be built from the caller's input (e.g. a body
 *   JSON cannot serialise): nothing was sent, the caller gets the 400;
 * - anything else is a defect of ours: nothing is counted, the request fails with a 500.
 * Clients therefore build and serialise the request before the transport call.
 *
 * `stream` (chat and completion calls) yields the answer as it is produced, without buffering.
 * The same errors apply: an `UpstreamError` thrown before the first chunk is a failed attempt like
 * any other; one thrown after it is a cut stream (the upstream dropped the connection, sent an
 * error event, or ended without finishing). Aborting `signal`, or ending the iteration early
 * (`return()`), aborts the upstream call. A client without `stream` is streamed by converting
 * its `invoke` answer (core stream-attempt.ts).
 */
export interface InferenceClient {
  invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult>;
  stream?(target: PlanTarget, call: InferenceCall, signal: AbortSignal): AsyncIterable<InferenceChunk>;
}

export interface ProbeResult {
  ok: boolean;
  latency_ms: number;
  detail: string;
}

/** Actively checks one endpoint (health route, DescribeEndpoint, tiny invocation). */
export interface EndpointProber {
  probe(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult>;
}

export type RegistryKind = 'model' | 'endpoint' | 'policy';

/** The model registry: models, endpoints and policies. */
export interface ModelRegistry {
  load(): Promise<Registry>;
  /** Replaces the whole registry (seeding from a file). */
  replace(registry: Registry): Promise<void>;
}

/** A passive observation the router makes on each attempt. */
export interface Outcome {
  endpoint: string;
  ok: boolean;
  latency_ms: number;
  at: number;
  failure?: string;
  /** Streamed attempts: time to the first chunk (ms). */
  ttft_ms?: number;
}

/**
 * One router container's own (in-memory) circuit breaker state for an endpoint, as the router
 * publishes it to the health store when it changes, so the admin view shows what refuses traffic.
 */
export interface RouterCircuitChange {
  endpoint: string;
  state: CircuitState;
  opened_at?: number;
  reason?: string;
  /** When the breaker entered this state (epoch ms). */
  at: number;
  /**
   * When the entry lapses if nothing else is heard (epoch ms): an open circuit turns half-open
   * (lets a trial through) at the end of its cooldown; a half-open one frees its trial after one.
   */
  until: number;
}

/** A published router circuit, with the container that holds it. */
export interface RouterCircuit extends RouterCircuitChange {
  container: string;
}

export interface HealthStore {
  snapshot(): Promise<HealthSnapshot>;
  put(health: EndpointHealth): Promise<void>;
  recordOutcomes(outcomes: readonly Outcome[]): Promise<void>;
  /** Replaces one router container's in-flight report (an empty one removes it). */
  reportInflight(report: InflightReport): Promise<void>;
}

export interface ApiKeyRecord {
  /** sha256 hex of the key; the key itself is never stored. */
  key_hash: string;
  /** Public id of the key (`key_` + 32 random hex digits): logs, revocation. Unrelated to the secret. */
  key_id: string;
  /**
   * What API Gateway's usage plan knows the key by (the authorizer's `usageIdentifierKey`):
   * random, unrelated to the secret, so reading API Gateway's keys reveals no credential.
   */
  usage_id: string;
  tenant: string;
  name: string;
  role: 'consumer' | 'admin';
  allowed_models?: string[];
  created_at: number;
  disabled?: boolean;
  /** API Gateway's id of the usage-plan key (AWS only), to disable it with the key. */
  gateway_key_id?: string;
}

export interface ApiKeyStore {
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  findById(keyId: string): Promise<ApiKeyRecord | undefined>;
  put(record: ApiKeyRecord): Promise<void>;
  /** Marks the key disabled; false when there is no such key. */
  disable(keyHash: string): Promise<boolean>;
  /** Every key of a tenant (enabled or not), ordered by creation time. */
  listByTenant(tenant: string): Promise<ApiKeyRecord[]>;
}

/**
 * The API keys API Gateway's usage plans know (one plan per tier; `api-keys.apigateway.ts`): a key
 * is registered by its random usage id (never the secret) on its tenant's tier's plan.
 */
export interface UsagePlanKeys {
  /** Creates the gateway key with `value` on the plan of `plan`; returns the gateway's key id. */
  register(value: string, name: string, plan: PlanTier, description?: string): Promise<string>;
  /** Moves a gateway key from one tier's plan to another's (idempotent). */
  changePlan(gatewayKeyId: string, from: PlanTier, to: PlanTier): Promise<void>;
  disable(gatewayKeyId: string): Promise<void>;
}

/**
 * Tenants: the customers behind API keys, jobs and usage (core tenants/tenant.schema.ts). Other
 * code may add attributes to the same item, so readers ignore attributes they do not know, and
 * writers update the attributes they own or create the item, never replace it.
 */
export interface TenantStore {
  /** The tenant; an item written before profiles existed reads with defaults (name = id, standard plan). */
  get(id: string): Promise<TenantRecord | undefined>;
  /** The tenant without its webhook secret (the read other functions are granted). */
  profile(id: string): Promise<TenantProfile | undefined>;
  /** Only the webhook secret: what the signing functions may read, and all they may read. */
  webhookSecret(id: string): Promise<string | undefined>;
  /** Creates the tenant unless it exists; false (nothing written) when it already does. */
  create(record: TenantRecord): Promise<boolean>;
  /** Every tenant without its secret, ordered by id. */
  list(): Promise<TenantProfile[]>;
  /**
   * Writes the profile fields of `record` (absent optional fields removed) iff the stored revision
   * is still `expectedRevision`; false (nothing written) when it moved on or the tenant is gone.
   */
  update(record: TenantRecord, expectedRevision: number): Promise<boolean>;
  /** Deletes the tenant; false when there was none. */
  delete(id: string): Promise<boolean>;
}

/** One webhook to send: where, for which tenant (its secret signs it), and what. */
export interface WebhookDelivery {
  url: string;
  tenant: string;
  job_id: string;
  /** Identifies this delivery; the same on every retry of it, so receivers can drop repeats. */
  id: string;
  /** The JSON payload (the public job view). */
  payload: unknown;
}

/** Sends a signed webhook; throws when it was not delivered (a non-2xx answer included). */
export interface WebhookNotifier {
  notify(delivery: WebhookDelivery): Promise<void>;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'dead-lettered';
export type JobPriority = 'high' | 'normal' | 'low';

export interface Job {
  id: string;
  tenant: string;
  status: JobStatus;
  priority: JobPriority;
  created_at: number;
  updated_at: number;
  request: {
    kind: 'chat' | 'invocation';
    body: unknown;
    /** Lower-cased request headers routing reads (`x-switchyard-*`, headers policies match on). */
    headers?: Record<string, string>;
  };
  /** The tenant's model allow-list when the job was accepted (routing honours it). */
  allowed_models?: string[];
  webhook_url?: string;
  idempotency_key?: string;
  attempts: AttemptRecord[];
  /** The routing plan, fixed when the workflow starts: targets in order, tried by cursor. */
  plan?: JobPlan;
  result?: unknown;
  error?: { message: string; code: string };
  /** Set when it finished with an upstream's answer: what that answer was charged. */
  charge?: JobCharge;
  execution_arn?: string;
  /** Epoch ms when the worker started the job's execution. */
  started_at?: number;
}

export interface JobPlan {
  policy: string;
  targets: PlanTarget[];
  max_attempts_per_target: number;
  /** What the job holds of its tenant's budgets from plan to record (none: the tenant has no limits). */
  budget_hold?: BudgetHold;
}

/** What a job was charged (its usage record's figures), kept on the job for settling its hold. */
export interface JobCharge {
  /** Integer cost in the budget's money unit (the usage record's). */
  cost: number;
  /** The upstream's token usage, when it reported one. */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export type JobFinal = (
  | { status: 'succeeded'; result: unknown }
  | { status: 'failed' | 'dead-lettered'; error: { message: string; code: string } }
) & {
  /** What an upstream's answer was charged (a served job, or one whose answer was too large to store). */
  charge?: JobCharge;
};

/** Durable job state. Every transition is conditional, so redelivery never writes twice. */
export interface JobStore {
  /** Creates the job; false when a job with this id already exists. */
  create(job: Job): Promise<boolean>;
  get(id: string): Promise<Job | undefined>;
  /** Records the plan and moves a queued job to running (idempotent). */
  start(id: string, plan: JobPlan, executionArn?: string): Promise<void>;
  /** Counts one more attempt on target `cursor`; returns the count including this one. */
  countAttempt(id: string, cursor: number): Promise<number>;
  appendAttempt(id: string, attempt: AttemptRecord): Promise<void>;
  /**
   * Moves a job to a final state once; false when it already was final (or, with `onlyFrom`,
   * when its status was not that one: the dead-letter consumer finishes only queued jobs).
   */
  finish(id: string, final: JobFinal, onlyFrom?: JobStatus): Promise<boolean>;
  /**
   * Records that the job's execution has started (queued → running, execution ARN); false when
   * the job is missing or already final. The worker acknowledges a message only after this.
   */
  markStarted(id: string, executionArn: string): Promise<boolean>;
}

/** A queued job's message: just enough to find the job. */
export interface JobMessage {
  job_id: string;
  tenant: string;
}

export interface JobQueue {
  send(message: JobMessage, priority: JobPriority): Promise<void>;
}

export interface WorkflowStarter {
  /** Starts an execution named `name`; starting the same name twice starts it once. */
  start(name: string, input: unknown): Promise<{ execution_arn: string; already_started: boolean }>;
}

/** An `Idempotency-Key` claim: the first request with a key fixes the job id and the body hash. */
export interface IdempotencyRecord {
  tenant: string;
  key: string;
  /** sha256 of the request (body and routing headers); another body under the key is a conflict. */
  request_hash: string;
  job_id: string;
  created_at: number;
}

export interface IdempotencyStore {
  /** Claims the key for `record.tenant`; when it was claimed before, returns that claim instead. */
  claim(
    record: IdempotencyRecord,
  ): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }>;
}

/** A job message as the worker receives it from a priority queue. */
export interface ReceivedJobMessage {
  message_id: string;
  body: string;
  receipt: string;
}

/** What the worker does with the priority queues besides its event source (see worker.service.ts). */
export interface JobMessageSource {
  receive(priority: JobPriority, max: number): Promise<ReceivedJobMessage[]>;
  delete(priority: JobPriority, receipts: readonly string[]): Promise<void>;
  /** Messages waiting (visible) and received but not yet deleted (in flight). */
  backlog(priority: JobPriority): Promise<{ visible: number; in_flight: number }>;
}

/**
 * Budget periods, one item each, every write a single-item conditional update (no transactions),
 * so routers and the sweeper can interleave in any order: a lease takes from `available` only if
 * enough is there, a lease is returned or settled at most once, and `available = limit - spent -
 * Σ leases` holds after every write. Amounts are integers in the budget's unit.
 */
export interface BudgetStore {
  /** Creates the period item unless it exists (concurrent first uses agree); returns what is stored. */
  openPeriod(init: BudgetPeriodInit): Promise<BudgetPeriodRecord>;
  getPeriod(key: BudgetKey): Promise<BudgetPeriodRecord | undefined>;
  /** Every period of a tenant's budgets (dashboards, usage views). */
  listPeriods(tenant: string): Promise<BudgetPeriodRecord[]>;
  /** Takes `lease.amount` from `available` and records the lease, iff available >= amount and the id is new. */
  lease(key: BudgetKey, leaseId: string, lease: BudgetLease): Promise<LeaseOutcome>;
  /**
   * Renews and resizes an outstanding lease (spend so far to spent, `more` from available, a new
   * expiry), iff it is there with `change.amount`, has not expired at `change.now`, and (when
   * `more > 0`) available >= more. Nothing changes otherwise.
   */
  topUpLease(key: BudgetKey, leaseId: string, change: LeaseTopUp): Promise<TopUpOutcome>;
  /**
   * Settles a lease of `amount`: `used` to spent, `amount - used` back to available, the lease
   * removed. False (and nothing changed) when the lease is no longer there: returning twice is a no-op.
   */
  returnLease(key: BudgetKey, leaseId: string, amount: number, used: number): Promise<boolean>;
  /** The sweeper: settles an expired lease (`expires_at <= now`) at its full `amount`; at most once. */
  settleExpired(key: BudgetKey, leaseId: string, amount: number, now: number): Promise<boolean>;
  /** Replaces the limit (adjusting available by the difference) iff `revision` is newer than the stored one. */
  setLimit(key: BudgetKey, limit: number, revision: number): Promise<boolean>;
  /** Takes an ended period without leases out of the sweeper's list; false when it is not ready. */
  closePeriod(key: BudgetKey, now: number): Promise<boolean>;
  /** Periods the sweeper still visits (not closed). */
  listOpen(): Promise<BudgetKey[]>;
}
