// The jobs API over ports: `POST /v1/jobs` accepts a chat completion or invocation body (plus
// `webhook_url` and `priority`), checks everything that can be checked up front, stores the job
// and enqueues it; `GET /v1/jobs/{id}` shows a job to the tenant that made it (404 to anyone else,
// so ids leak nothing).
//
// Order of work, so that no 4xx ever leaves a trace and a crash between steps is repaired by the
// client's resubmission: validate (body, webhook, priority, hints) -> route once against the
// registry with an empty health snapshot (unknown model: 404; constraints no endpoint of the
// registry can ever meet: 400) -> claim the Idempotency-Key (same key, other body: 409) -> create
// the job item (conditional) -> enqueue. A resubmission with the same key and body finds the
// claim, creates the job item if the first attempt died before it, and enqueues again while the
// job is still queued; executions are named by job id, so a second message never runs it twice.
//
// Budgets: the route is bounded by the tenant record (allow-list, default classification), and a
// job whose maximum cost its spend budget cannot hold before the period resets (or at all), or
// whose tokens exceed a whole tokens-per-minute limit, is refused now with the 429 the router
// would answer (insufficient_quota / rate_limit_exceeded). That check reserves nothing: the job's
// plan step holds the budget for the job's run (job-steps.service.ts).
import { createHash, randomUUID } from 'node:crypto';
import type { BudgetHolds, JobView } from '@switchyard/adapters';
import { jobView, webhookUrlProblem } from '@switchyard/adapters';
import type { Caller } from '@switchyard/adapters/lambda';
import { nameMap, parseInput } from '@switchyard/adapters/lambda';
import type {
  CompiledRegistry,
  ExclusionRule,
  IdempotencyStore,
  Job,
  JobPriority,
  JobQueue,
  JobStore,
  RouteRequest,
  TenantBudgetSource,
  TenantContext,
} from '@switchyard/core';
import {
  applyTenantPolicy,
  BudgetUnavailableError,
  budgetRefusalError,
  ChatCompletionRequestSchema,
  ConflictError,
  chatRouteRequest,
  HINT_HEADERS,
  InvalidRequestError,
  InvocationRequestSchema,
  invocationRouteRequest,
  jobBoundsOutput,
  jobMaximum,
  jobPrivacy,
  jsonTooDeepError,
  MAX_JSON_DEPTH,
  modelKey,
  NoCandidateError,
  NotFoundError,
  type Plan,
  PrioritySchema,
  route,
  SwitchyardError,
  type TenantBudgets,
  tenantBudgets,
} from '@switchyard/core';

/**
 * Exclusion rules that depend only on the request and the registry: when one of them empties the
 * candidate set, the job could never run, so it is refused at once (400). Rules about the
 * system's state (endpoint draining, health, circuits, measured latency) may change before the
 * job runs: such a job is accepted and fails later with the reason if it still cannot be routed.
 */
export const EARLY_REJECT_RULES: ReadonlySet<ExclusionRule> = new Set([
  'policy-models',
  'tenant-allow-list',
  'task',
  'domain',
  'context-window',
  'data-classification',
  'region',
  'max-cost',
]);

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const JOB_ID = /^job_[0-9a-f]{32}$/;

export interface JobsDeps {
  jobs: Pick<JobStore, 'create' | 'get'>;
  idempotency: IdempotencyStore;
  queue: JobQueue;
  registry: { get(): Promise<CompiledRegistry> };
  now: () => number;
  random: () => number;
  /** @default `job_` + 32 random hex digits */
  newId?: () => string;
  /** Local mode: webhooks may use http to this machine. */
  allowLocalWebhooks: boolean;
  /** The tenant record (budgets, allow-list, classification) and a read-only budget check. */
  budget?: {
    tenants: TenantBudgetSource;
    holds: Pick<BudgetHolds, 'check'>;
  };
}

export interface JobsResponse {
  status: number;
  body: JobView;
  headers: Record<string, string>;
}

export const newJobId = (): string => `job_${randomUUID().replaceAll('-', '')}`;

export class JobsService {
  private readonly newId: () => string;

  constructor(private readonly deps: JobsDeps) {
    this.newId = deps.newId ?? newJobId;
  }

  /** `POST /v1/jobs`: 202 with a new job, or 200 with the job an earlier request with this key made. */
  async submit(body: unknown, headers: Record<string, string>, caller: Caller): Promise<JobsResponse> {
    if (body === undefined) {
      throw new InvalidRequestError('The request body is missing; send a JSON object.', {
        code: 'missing_body',
      });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidRequestError('The request body must be a JSON object.');
    }
    const { webhook_url: webhookUrl, priority: rawPriority, ...request } = body as Record<string, unknown>;
    const priority = parsePriority(rawPriority);
    if (webhookUrl !== undefined) {
      const problem = webhookUrlProblem(webhookUrl, { allowLocal: this.deps.allowLocalWebhooks });
      if (problem) {
        throw new InvalidRequestError(`webhook_url ${problem}.`, {
          param: 'webhook_url',
          code: 'invalid_webhook_url',
        });
      }
    }
    const idempotencyKey = headers['idempotency-key'];
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new InvalidRequestError('Idempotency-Key must be 1 to 255 printable ASCII characters.', {
        param: 'Idempotency-Key',
        code: 'invalid_idempotency_key',
      });
    }

    const tenant: TenantContext = {
      id: caller.tenant,
      ...(caller.allowed_models ? { allowed_models: caller.allowed_models } : {}),
    };
    const [registry, budgets] = await Promise.all([
      this.deps.registry.get(),
      this.deps.budget ? this.budgetsOf(caller.tenant) : undefined,
    ]);
    const routingHeaders = headersForRouting(headers, registry);
    const { kind, parsed, routeRequest: asked } = parseJobRequest(request, routingHeaders, tenant);
    const bounded = budgets ? applyTenantPolicy(asked, budgets.request_policy ?? {}) : asked;
    // Personal data raises the classification (or is refused) as on the synchronous path.
    const routeRequest = jobPrivacy(bounded, { kind, parsed }, registry, budgets?.request_policy?.pii_action);
    const plan = this.checkRoutable(routeRequest, registry);
    if (plan && budgets) {
      const max = jobMaximum(
        plan,
        routeRequest,
        (t) => registry.modelsByKey.get(modelKey(t.model, t.version)),
        jobBoundsOutput(kind, parsed),
      );
      await this.checkBudgets(caller.tenant, budgets, max.cost_nanos, max.tokens);
    }

    const now = this.deps.now();
    let id = this.newId();
    if (idempotencyKey !== undefined) {
      const requestHash = hashOf({ body, headers: routingHeaders });
      const claim = await this.deps.idempotency.claim({
        tenant: caller.tenant,
        key: idempotencyKey,
        request_hash: requestHash,
        job_id: id,
        created_at: now,
      });
      if (!claim.claimed) {
        if (claim.existing.request_hash !== requestHash) {
          throw new ConflictError(
            'This Idempotency-Key was already used with a different request body; use a new key for a new job.',
            { param: 'Idempotency-Key', code: 'idempotency_key_reused' },
          );
        }
        id = claim.existing.job_id;
      }
    }

    const fresh: Job = {
      id,
      tenant: caller.tenant,
      status: 'queued',
      priority: priority ?? routeRequest.hints.priority ?? 'normal',
      created_at: now,
      updated_at: now,
      request: {
        kind,
        body: parsed,
        ...(Object.keys(routingHeaders).length > 0 ? { headers: routingHeaders } : {}),
      },
      ...(caller.allowed_models ? { allowed_models: caller.allowed_models } : {}),
      ...(typeof webhookUrl === 'string' ? { webhook_url: webhookUrl } : {}),
      ...(idempotencyKey !== undefined ? { idempotency_key: idempotencyKey } : {}),
      attempts: [],
    };
    const created = await this.deps.jobs.create(fresh);
    const job = created ? fresh : await this.deps.jobs.get(id);
    if (!job) throw new Error(`job ${id} neither created nor found`);
    // Still queued: (re-)enqueue. A resubmission repairs a first request that died before this;
    // a duplicate message is harmless (the execution is named by the job id).
    if (job.status === 'queued')
      await this.deps.queue.send({ job_id: job.id, tenant: job.tenant }, job.priority);
    return {
      status: created ? 202 : 200,
      body: jobView(job),
      headers: {
        location: `jobs/${job.id}`,
        ...(created ? {} : { 'idempotent-replayed': 'true' }),
      },
    };
  }

  /** `GET /v1/jobs/{id}`: the caller's own job; any other id is "not found". */
  async get(id: string | undefined, caller: Caller): Promise<JobView> {
    const job = id !== undefined && JOB_ID.test(id) ? await this.deps.jobs.get(id) : undefined;
    if (!job || job.tenant !== caller.tenant) {
      throw new NotFoundError(`No job "${id ?? ''}".`, { param: 'id', code: 'job_not_found' });
    }
    return jobView(job);
  }

  /**
   * Routes once with no health data: unknown model or constraints nothing can meet are refused
   * now. The plan, or undefined when only the system's state stands in the way.
   */
  private checkRoutable(request: RouteRequest, registry: CompiledRegistry): Plan | undefined {
    try {
      return route(
        request,
        { registry, health: { endpoints: {} } },
        { now: this.deps.now(), random: this.deps.random },
      ).plan;
    } catch (err) {
      if (err instanceof NoCandidateError && !EARLY_REJECT_RULES.has(err.rule)) return undefined;
      throw err;
    }
  }

  private async budgetsOf(tenant: string): Promise<TenantBudgets> {
    try {
      return tenantBudgets(await this.deps.budget?.tenants.get(tenant));
    } catch (err) {
      throw new BudgetUnavailableError(undefined, { cause: err });
    }
  }

  /**
   * Refuses a job its budgets cannot hold however long it waits in this period: more than the
   * spend budget's settled spend leaves, or more tokens than the whole tokens-per-minute limit.
   */
  private async checkBudgets(tenant: string, budgets: TenantBudgets, cost: number, tokens: number) {
    const holds = this.deps.budget?.holds;
    if (!holds) return;
    try {
      const spend = budgets.spend ? await holds.check(tenant, budgets.spend, cost) : undefined;
      if (spend) throw budgetRefusalError(spend);
      const perMinute = budgets.tokens ? await holds.check(tenant, budgets.tokens, tokens) : undefined;
      if (perMinute?.reason === 'exceeds-limit') throw budgetRefusalError(perMinute);
    } catch (err) {
      if (err instanceof SwitchyardError) throw err;
      throw new BudgetUnavailableError(undefined, { cause: err });
    }
  }
}

function parsePriority(value: unknown): JobPriority | undefined {
  if (value === undefined) return undefined;
  const parsed = PrioritySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError('priority must be one of "high", "normal", "low".', { param: 'priority' });
}

/** Which body this is (chat: `messages`; invocation: `task` + `payload`), validated, and its route request. */
function parseJobRequest(
  request: Record<string, unknown>,
  headers: Record<string, string>,
  tenant: TenantContext,
): { kind: Job['request']['kind']; parsed: unknown; routeRequest: RouteRequest } {
  if ('messages' in request) {
    const parsed = parseInput(ChatCompletionRequestSchema, request);
    if (parsed.stream === true) {
      throw new InvalidRequestError('A job cannot stream its answer; send "stream": false or leave it out.', {
        param: 'stream',
      });
    }
    return { kind: 'chat', parsed, routeRequest: chatRouteRequest(parsed, headers, tenant) };
  }
  if ('task' in request || 'payload' in request) {
    const parsed = parseInput(InvocationRequestSchema, request);
    return { kind: 'invocation', parsed, routeRequest: invocationRouteRequest(parsed, headers, tenant) };
  }
  throw new InvalidRequestError(
    'A job body is a chat completion body (model, messages) or an invocation body (task, payload), plus optional webhook_url and priority.',
    { param: 'messages' },
  );
}

/** The request headers routing reads, kept with the job: hint headers and those policies match on. */
function headersForRouting(
  headers: Record<string, string>,
  registry: CompiledRegistry,
): Record<string, string> {
  const wanted = new Set<string>(Object.keys(HINT_HEADERS));
  for (const p of registry.policies) {
    for (const name of Object.keys(p.match.headers ?? {})) wanted.add(name.toLowerCase());
  }
  const out = nameMap();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (wanted.has(lower)) out[lower] = value;
  }
  return out;
}

/** sha256 of a JSON value with object keys sorted, so key order does not change the hash. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * Canonical JSON. The recursion is bounded: at most MAX_JSON_DEPTH + 1 levels, an accepted body
 * inside the hashed envelope (the edge refuses deeper bodies before they get here).
 */
function canonicalJson(value: unknown, depth = 0): string {
  const nested = (v: unknown) => canonicalJson(v, depth + 1);
  if (depth > MAX_JSON_DEPTH && typeof value === 'object' && value !== null) throw jsonTooDeepError();
  if (Array.isArray(value)) return `[${value.map(nested).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${nested(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
