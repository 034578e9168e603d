// What the router function does for each route, over ports: build the core's request from the
// OpenAI body and hints, decide (core.route) on the shared health with this container's own open
// circuits laid over it (local-circuits.ts) and its exact in-flight counts in place of its shared
// share (inflight-tracker.ts), execute the plan (core.runPlan, same-target retries only while
// the local circuit is closed), record the outcome of every attempt however the plan ended, and
// shape the answer with the x-switchyard-* headers. Streamed answers (`stream: true`) go through
// the stream step (steps/stream.step.ts) between the same reserve and settle/meter steps. No AWS
// here; the handler wires it.

import { randomUUID } from 'node:crypto';
import type { Caller } from '@switchyard/adapters/lambda';
import { parseInput } from '@switchyard/adapters/lambda';
import type {
  AttemptRecord,
  ChatCompletionRequest,
  CompiledLearnedState,
  CompiledRegistry,
  Decision,
  EmbeddingsRequest,
  EmbeddingVectors,
  ExecutionResult,
  HealthSnapshot,
  InferenceCall,
  InferenceClient,
  InvocationRequest,
  Outcome,
  PlanTarget,
  PrivacyNote,
  RouteRequest,
  StreamSummary,
  TenantContext,
} from '@switchyard/core';
import {
  applyTenantPolicy,
  ChatCompletionRequestSchema,
  CompletionRequestSchema,
  chargedCostNanos,
  chatRouteRequest,
  completionRouteRequest,
  costHeader,
  EmbeddingsRequestSchema,
  effectiveAllowedModels,
  embeddingRouteRequest,
  embeddingsAnswer,
  embeddingUpstreamBody,
  endpointOutcome,
  InvocationRequestSchema,
  invocationRouteRequest,
  lastReached,
  mayUseModel,
  modelKey,
  reachedUpstream,
  route,
  runPlan,
  tenantAliases,
  tenantExplanation,
} from '@switchyard/core';
import { isShortCircuited } from './circuit-client.ts';
import type { InflightTracker } from './inflight-tracker.ts';
import type { LocalCircuits } from './local-circuits.ts';
import { type DecisionLogDeps, decisionLogStep } from './steps/decision-log.step.ts';
import { type BudgetNote, budgetCapStep, decideUnderCap } from './steps/degrade.step.ts';
import { meterStep } from './steps/meter.step.ts';
import type { Held, MoneyDeps, RequestMeta } from './steps/money.types.ts';
import { privacyHeader, privacyStep, restoredBody, streamRestorer } from './steps/privacy.step.ts';
import { reserveStep } from './steps/reserve.step.ts';
import { releaseStep, settleStep } from './steps/settle.step.ts';
import { openStream, type StreamRequest } from './steps/stream.step.ts';
import { tenantBudgetsStep } from './steps/tenant-budgets.step.ts';
import { understandStep } from './steps/understand.step.ts';

export interface RouterDeps {
  registry: { get(): Promise<CompiledRegistry> };
  health: { get(): Promise<HealthSnapshot> };
  inference: InferenceClient;
  /** Passive outcomes for the health store; must not throw into the request. */
  recordOutcomes: (outcomes: Outcome[]) => Promise<void>;
  now: () => number;
  random: () => number;
  healthFreshMs: number;
  /** This container's circuit breakers (fed by the inference client, see circuit-client.ts). */
  circuits?: LocalCircuits;
  /** This container's requests in flight (fed by the inference client, see inflight-client.ts). */
  inflight?: InflightTracker;
  /** Budgets and metering (steps/): absent, requests are neither reserved nor metered. */
  money?: MoneyDeps;
  /** The decision log (steps/decision-log.step.ts): absent, no decision is recorded. */
  decisions?: DecisionLogDeps;
  /** The learned strategy's state (refit from feedback), cached like the snapshot; absent: priors only. */
  learned?: { get(): Promise<CompiledLearnedState | undefined> };
}

/** Who is asking, beyond the caller: the request's id (API Gateway's) for its usage record. */
export interface RequestContext {
  request_id: string;
}

export interface ServiceResponse {
  body: unknown;
  headers: Record<string, string>;
  /** A streamed answer: the SSE text, piece by piece (then `body` is unused). */
  stream?: AsyncIterable<string>;
}

/** Headers of every streamed answer besides the x-switchyard-* ones. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

export class RouterService {
  constructor(private readonly deps: RouterDeps) {}

  async chat(
    body: unknown,
    headers: Record<string, string>,
    caller: Caller,
    ctx: RequestContext = { request_id: randomUUID() },
  ): Promise<ServiceResponse> {
    const parsed = parseInput(ChatCompletionRequestSchema, body);
    const request = chatRouteRequest(parsed, headers, tenantOf(caller));
    const { 'x-switchyard': _hints, stream, stream_options, ...upstreamBody } = parsed;
    const explicit = parsed.max_tokens !== undefined || parsed.max_completion_tokens !== undefined;
    if (stream === true) {
      return this.stream(
        request,
        {
          kind: 'chat',
          call: { kind: 'chat', body: upstreamBody },
          includeUsage: stream_options?.include_usage === true,
          promptTokens: request.prompt_tokens,
        },
        { ...meta(caller, ctx, 'chat'), explicit_max_tokens: explicit },
      );
    }
    const served = await this.decideAndExecute(
      request,
      { kind: 'chat', body: upstreamBody },
      {
        ...meta(caller, ctx, 'chat'),
        explicit_max_tokens: parsed.max_tokens !== undefined || parsed.max_completion_tokens !== undefined,
      },
    );
    const { execution } = served;
    const answer = { ...(execution.result.body as Record<string, unknown>), model: execution.target.model };
    return { body: answer, headers: this.headers(served) };
  }

  /** `POST /v1/completions`: OpenAI legacy completions, routed by task `completion`, streamed or not. */
  async completions(
    body: unknown,
    headers: Record<string, string>,
    caller: Caller,
    ctx: RequestContext = { request_id: randomUUID() },
  ): Promise<ServiceResponse> {
    const parsed = parseInput(CompletionRequestSchema, body);
    const request = completionRouteRequest(parsed, headers, tenantOf(caller));
    const { 'x-switchyard': _hints, stream, stream_options, ...upstreamBody } = parsed;
    const call: InferenceCall = { kind: 'completion', body: upstreamBody };
    const requestMeta = {
      ...meta(caller, ctx, 'completion'),
      explicit_max_tokens: parsed.max_tokens !== undefined && parsed.max_tokens !== null,
    };
    if (stream === true) {
      return this.stream(
        request,
        {
          kind: 'completion',
          call,
          includeUsage: stream_options?.include_usage === true,
          promptTokens: request.prompt_tokens,
        },
        requestMeta,
      );
    }
    const served = await this.decideAndExecute(request, call, requestMeta);
    const { execution } = served;
    const answer = { ...(execution.result.body as Record<string, unknown>), model: execution.target.model };
    return { body: answer, headers: this.headers(served) };
  }

  /**
   * A streamed answer (steps/stream.step.ts), between the same steps as a buffered one: budgets,
   * decision (scored on TTFT), reservation; answered once the first chunk is there, with the
   * x-switchyard-* headers of that moment (the cost header is the reservation's estimate); when
   * the stream has ended its attempts are recorded, the reservation settled at the stream's usage
   * and one usage record written (`ok`, `error` for a cut, `cancelled` when the client left).
   * Before the first chunk a failure is the usual JSON error, released and metered as one.
   */
  private async stream(
    request: RouteRequest,
    streamed: StreamRequest,
    meta: Omit<RequestMeta, 'at'>,
  ): Promise<ServiceResponse> {
    const money = this.deps.money;
    const tenant = request.tenant.id;
    const streaming: RouteRequest = { ...request, stream: true };
    const loaded = await this.load(streaming);
    const understood = understandStep(loaded.request, streamed.call, loaded.registry);
    const privacy = privacyStep(understood, streamed.call, loaded.registry, piiActionOf(loaded));
    const admission = this.admit(privacy.request, loaded, meta);
    const { at, registry, decision, note, held } = admission instanceof Promise ? await admission : admission;
    const started = this.deps.now();
    const onEnd = async (summary: StreamSummary): Promise<string | undefined> => {
      const t = summary.target;
      const usage = summary.usage;
      const cost = chargedCostNanos(registry.modelsByKey.get(modelKey(t.model, t.version)), usage, t);
      if (held) settleStep(held, cost, usage);
      if (!money || !reachedUpstream(summary.attempts, isShortCircuited)) return costHeader(cost);
      const first = summary.attempts.find((a) => a.ttft_ms !== undefined);
      await meterStep(money, {
        tenant,
        meta: { ...meta, at },
        ended_at: this.deps.now(),
        target: t,
        usage,
        cost_nanos: cost,
        attempts: summary.attempts,
        status: summary.ended === 'completed' ? 'ok' : summary.ended === 'failed' ? 'error' : 'cancelled',
        stream: true,
        ...(first?.ttft_ms !== undefined ? { ttft_ms: first.ttft_ms } : {}),
      });
      // The actual charge, at the end of the body (the header was the reservation).
      return costHeader(cost);
    };
    const restore = streamRestorer(privacy);
    const upstream = { ...streamed, call: privacy.call, ...(restore ? { transform: restore } : {}) };
    const opened = await openStream(decision.plan, upstream, {
      ...this.execution(),
      recordAttempts: (attempts) => this.record(attempts, started),
      onEnd,
    });
    if (!opened.ok) {
      releaseStep(held);
      await this.meterFailure(tenant, { ...meta, at }, opened.attempts, true);
      throw opened.error;
    }
    const { target, attempts, ensemble } = opened.start;
    const execution: ExecutionResult = {
      result: { body: null },
      target,
      attempts: [...attempts],
      ...(ensemble ? { ensemble } : {}),
    };
    const explained = explainedWith(decision, note, privacy.note);
    const estimate = held?.cost_nanos ?? chargedCostNanos(undefined, undefined, target);
    return {
      body: undefined,
      headers: {
        ...SSE_HEADERS,
        ...this.headers({ decision: explained, execution, registry, cost_nanos: estimate, note }),
      },
      stream: opened.body,
    };
  }

  async invoke(
    body: unknown,
    headers: Record<string, string>,
    caller: Caller,
    ctx: RequestContext = { request_id: randomUUID() },
  ): Promise<ServiceResponse> {
    const parsed = parseInput(InvocationRequestSchema, body);
    const request = invocationRouteRequest(parsed, headers, tenantOf(caller));
    const served = await this.decideAndExecute(
      request,
      { kind: 'invocation', task: request.task, payload: parsed.payload },
      { ...meta(caller, ctx, 'invocation'), explicit_max_tokens: true },
    );
    const { execution } = served;
    return {
      body: {
        object: 'invocation',
        model: execution.target.model,
        task: request.task,
        output: execution.result.body,
        ...(execution.ensemble ? { ensemble: execution.ensemble } : {}),
      },
      headers: this.headers(served),
    };
  }

  /**
   * `POST /v1/embeddings`: routed by task `embedding` (core embeddings/), the vectors answered as
   * floats or base64, usage from the upstream or the counted tokens.
   */
  async embeddings(
    body: unknown,
    headers: Record<string, string>,
    caller: Caller,
    ctx: RequestContext = { request_id: randomUUID() },
  ): Promise<ServiceResponse> {
    const parsed = parseInput(EmbeddingsRequestSchema, body);
    const request = embeddingRouteRequest(parsed, headers, tenantOf(caller));
    const served = await this.decideAndExecute(
      request,
      { kind: 'embedding', body: embeddingUpstreamBody(parsed) },
      { ...meta(caller, ctx, 'embedding'), explicit_max_tokens: true },
    );
    const { execution } = served;
    const answer = embeddingsAnswer({
      vectors: (execution.result.body as EmbeddingVectors).vectors,
      model: execution.target.model,
      encoding: parsed.encoding_format,
      upstreamPromptTokens: execution.result.usage?.prompt_tokens,
      countedTokens: request.prompt_tokens,
    });
    return { body: answer, headers: this.headers(served) };
  }

  /**
   * `POST /v1/route`: the plan and its explanation for a chat, embeddings or invocation body,
   * invoking nothing. Consumers see endpoints by id: targets (URLs, SageMaker names) and key references
   * stay private, and the explanation lists no endpoint of a model the caller may not use (core
   * tenant-view.ts: they are only counted, in `excluded_hidden`).
   */
  async dryRun(body: unknown, headers: Record<string, string>, caller: Caller): Promise<unknown> {
    const isObject = typeof body === 'object' && body !== null;
    const isInvocation = isObject && 'task' in body && 'payload' in body;
    const isEmbeddings = isObject && 'input' in body && !('messages' in body);
    const { request, call } = isInvocation
      ? invocationDryRun(parseInput(InvocationRequestSchema, body), headers, tenantOf(caller))
      : isEmbeddings
        ? embeddingsDryRun(parseInput(EmbeddingsRequestSchema, body), headers, tenantOf(caller))
        : chatDryRun(parseInput(ChatCompletionRequestSchema, body), headers, tenantOf(caller));
    const decided = await this.decide(request, call);
    const { plan, explanation } = decided.decision;
    const tenant = decided.tenant;
    return {
      plan: {
        ...plan,
        primary: publicTarget(plan.primary),
        fallbacks: plan.fallbacks.map(publicTarget),
        ...(plan.hedge ? { hedge: { ...plan.hedge, target: publicTarget(plan.hedge.target) } } : {}),
        ...(plan.ensemble
          ? { ensemble: { ...plan.ensemble, targets: plan.ensemble.targets.map(publicTarget) } }
          : {}),
      },
      explanation: tenantExplanation(explanation, tenant),
    };
  }

  /**
   * `GET /v1/models`: the models (and `id@version`) the caller's allow-list permits, and the
   * aliases whose policy could match the caller and route to one of them (core tenant-view.ts):
   * another tenant's policy, or one that only serves models the caller may not use, is not shown.
   */
  async models(caller: Caller): Promise<unknown> {
    const money = this.deps.money;
    const [registry, budgets] = await Promise.all([
      this.deps.registry.get(),
      money ? tenantBudgetsStep(money, caller.tenant) : undefined,
    ]);
    const created = Math.floor(this.deps.now() / 1000);
    const allowed = effectiveAllowedModels(budgets?.request_policy?.allowed_models, caller.allowed_models);
    const tenant: TenantContext = { id: caller.tenant, ...(allowed ? { allowed_models: allowed } : {}) };
    const visible = (id: string, version: string) => mayUseModel(tenant, id, version);
    const data: Array<Record<string, unknown>> = [];
    for (const [id, versions] of registry.versionsById) {
      const live = versions.filter((v) => v.status === 'active' || v.status === 'staged');
      if (live.length === 0 || !live.some((v) => visible(id, v.version))) continue;
      data.push({
        id,
        object: 'model',
        created,
        owned_by: 'switchyard',
        tasks: [...new Set(live.flatMap((v) => v.tasks))],
      });
      for (const v of live) {
        if (visible(id, v.version)) {
          data.push({
            id: modelKey(id, v.version),
            object: 'model',
            created,
            owned_by: 'switchyard',
            tasks: v.tasks,
          });
        }
      }
    }
    for (const { alias, policy } of tenantAliases(registry, tenant)) {
      data.push({ id: alias, object: 'model', created, owned_by: 'switchyard', alias: true, policy });
    }
    return { object: 'list', data };
  }

  /** Steps 1-4: the tenant's budgets, the snapshot, the features and the decision (under a degrade cap). */
  private async decide(
    asked: RouteRequest,
    call: InferenceCall,
  ): Promise<{
    decision: Decision;
    registry: CompiledRegistry;
    tenant: TenantContext;
    held?: Held;
    note?: BudgetNote;
  }> {
    const money = this.deps.money;
    const tenant = asked.tenant.id;
    const [registry, shared, budgets, learned] = await Promise.all([
      this.deps.registry.get(),
      this.deps.health.get(),
      money ? tenantBudgetsStep(money, tenant) : undefined,
      this.deps.learned?.get(),
    ]);
    const cap = money && budgets ? await budgetCapStep(money, tenant, budgets) : undefined;
    const bounded = budgets ? applyTenantPolicy(asked, budgets.request_policy ?? {}) : asked;
    const request = understandStep(bounded, call, registry);
    const privacy = privacyStep(request, call, registry, budgets?.request_policy?.pii_action);
    const { decision, note } = decideUnderCap(privacy.request, cap, (r) =>
      this.decideOn(r, registry, shared, learned),
    );
    return {
      decision: explainedWith(decision, note, privacy.note),
      registry,
      tenant: bounded.tenant,
      ...(note ? { note } : {}),
    };
  }

  /** The decision on `shared` with this container's circuits and in-flight counts laid over it. */
  private decideOn(
    request: RouteRequest,
    registry: CompiledRegistry,
    shared: HealthSnapshot,
    learned: CompiledLearnedState | undefined,
  ): Decision {
    const now = this.deps.now();
    const { circuits, inflight } = this.deps;
    circuits?.useRegistry(registry);
    inflight?.useRegistry(registry);
    const base = inflight ? inflight.view(shared) : shared;
    const health = circuits ? circuits.view(base, now, this.deps.healthFreshMs) : base;
    const load = inflight?.load();
    return route(
      request,
      { registry, health, ...(load ? { load } : {}), ...(learned ? { learned } : {}) },
      {
        now,
        random: this.deps.random,
        options: { health_fresh_ms: this.deps.healthFreshMs },
      },
    );
  }

  private async decideAndExecute(
    request: RouteRequest,
    call: InferenceCall,
    meta: Omit<RequestMeta, 'at'>,
  ): Promise<Served> {
    const money = this.deps.money;
    const tenant = request.tenant.id;
    const loaded = await this.load(request);
    const understood = understandStep(loaded.request, call, loaded.registry);
    const privacy = privacyStep(understood, call, loaded.registry, piiActionOf(loaded));
    const admission = this.admit(privacy.request, loaded, meta);
    const { at, registry, decision, note, held } = admission instanceof Promise ? await admission : admission;
    const logDecision = (attempts: readonly AttemptRecord[], cost_nanos: number, target?: PlanTarget) => {
      const served = target ?? lastReached(attempts, isShortCircuited);
      if (!served) return undefined;
      const status = target ? ('ok' as const) : ('error' as const);
      return decisionLogStep(this.deps.decisions, registry, {
        request_id: meta.request_id,
        ...(meta.key_id ? { key_id: meta.key_id } : {}),
        at,
        request: privacy.request,
        decision,
        served: { model: served.model, version: served.version, endpoint: served.endpoint },
        status,
        latency_ms: this.deps.now() - at,
        // The decision log keeps micro-USD (its own contract): the charge, rounded up.
        cost_micros: Math.ceil(cost_nanos / 1_000),
        attempts: attempts.length,
      });
    };
    try {
      const started = this.deps.now();
      const outcome = await runPlan(decision.plan, privacy.call, this.execution()).catch(
        (error: unknown) => ({
          ok: false as const,
          error,
          attempts: [] as AttemptRecord[],
        }),
      );
      // Every ending carries its attempts: the failures before a rejection or a request that could
      // not be sent count as much as those before an answer or exhaustion.
      await this.record(outcome.attempts, started);
      const ended = this.deps.now();
      if (!outcome.ok) {
        releaseStep(held);
        await this.meterFailure(tenant, { ...meta, at }, outcome.attempts, false);
        await logDecision(outcome.attempts, 0);
        throw outcome.error;
      }
      const t = outcome.target;
      const usage = outcome.result.usage;
      const cost = chargedCostNanos(registry.modelsByKey.get(modelKey(t.model, t.version)), usage, t);
      if (held) settleStep(held, cost, usage);
      if (money && reachedUpstream(outcome.attempts, isShortCircuited)) {
        await meterStep(money, {
          tenant,
          meta: { ...meta, at },
          ended_at: ended,
          target: t,
          usage,
          cost_nanos: cost,
          attempts: outcome.attempts,
          status: 'ok',
        });
      }
      await logDecision(outcome.attempts, cost, t);
      const explained = explainedWith(decision, note, privacy.note);
      const execution = privacy.vault
        ? { ...outcome, result: { ...outcome.result, body: restoredBody(privacy, outcome.result.body) } }
        : outcome;
      return { decision: explained, execution, registry, cost_nanos: cost, note };
    } finally {
      // Settled or released above; this only releases what an unexpected error left held.
      releaseStep(held);
    }
  }

  /**
   * Steps 1 and 3: the registry, health and the tenant's budgets loaded together, and the cost
   * cap; the request bounded by the tenant record's current allow-list (narrowed by the key's)
   * and default data classification (a caller's hint may only raise it).
   */
  private async load(request: RouteRequest): Promise<Loaded> {
    const money = this.deps.money;
    const tenant = request.tenant.id;
    const at = this.deps.now();
    const [registry, shared, budgets, learned] = await Promise.all([
      this.deps.registry.get(),
      this.deps.health.get(),
      money ? tenantBudgetsStep(money, tenant) : undefined,
      this.deps.learned?.get(),
    ]);
    const cap = money && budgets ? await budgetCapStep(money, tenant, budgets) : undefined;
    const bounded = budgets ? applyTenantPolicy(request, budgets.request_policy ?? {}) : request;
    return { at, request: bounded, registry, shared, budgets, cap, learned };
  }

  /**
   * Steps 4 and 5: the decision (under the budget's cap) and the plan's maximum reserved. Deciding,
   * reserving from this container's lease (when it has room) and the caller's starting the primary
   * are one synchronous step, so the attempt is counted in flight before any other request in this
   * container decides: this answers synchronously unless the reservation needs a store write.
   */
  private admit(
    request: RouteRequest,
    loaded: Loaded,
    meta: Omit<RequestMeta, 'at'>,
  ): Admitted | Promise<Admitted> {
    const money = this.deps.money;
    const { at, registry, shared, budgets, cap, learned } = loaded;
    const { decision, note } = decideUnderCap(request, cap, (r) =>
      this.decideOn(r, registry, shared, learned),
    );
    const admitted = (held: Held | undefined): Admitted => ({ at, registry, decision, note, held });
    if (!money || !budgets) return admitted(undefined);
    const h = reserveStep(
      money,
      request.tenant.id,
      budgets,
      decision.plan,
      request,
      registry,
      meta.explicit_max_tokens,
    );
    return h instanceof Promise ? h.then(admitted) : admitted(h);
  }

  /** How plans execute here: a same-target retry only while this container's circuit is closed. */
  private execution() {
    const circuits = this.deps.circuits;
    return {
      client: this.deps.inference,
      now: this.deps.now,
      random: this.deps.random,
      ...(circuits
        ? { mayRetry: (t: PlanTarget) => circuits.breaker(t.endpoint, this.deps.now()).state === 'closed' }
        : {}),
    };
  }

  /** A request that failed after reaching an upstream leaves one `error` record at no cost. */
  private async meterFailure(
    tenant: string,
    meta: RequestMeta,
    attempts: readonly AttemptRecord[],
    stream: boolean,
  ): Promise<void> {
    const money = this.deps.money;
    const last = lastReached(attempts, isShortCircuited);
    if (!money || !last) return;
    await meterStep(money, {
      tenant,
      meta,
      ended_at: this.deps.now(),
      target: last,
      usage: undefined,
      cost_nanos: 0,
      attempts,
      status: 'error',
      ...(stream ? { stream: true } : {}),
    });
  }

  private async record(attempts: readonly AttemptRecord[], started: number): Promise<void> {
    // The core's rule (attempt-outcome.ts): only the upstream's own successes and failures are
    // outcomes; attempts the local circuit refused never reached the endpoint.
    const outcomes: Outcome[] = [];
    for (const a of attempts) {
      const outcome = isShortCircuited(a) ? undefined : endpointOutcome(a, started);
      if (outcome) outcomes.push(outcome);
    }
    if (outcomes.length > 0) await this.deps.recordOutcomes(outcomes);
  }

  private headers(served: Served): Record<string, string> {
    const { decision, execution, note } = served;
    const t = execution.target;
    return {
      'x-switchyard-model': modelKey(t.model, t.version),
      'x-switchyard-endpoint': t.endpoint,
      'x-switchyard-attempts': String(execution.attempts.length),
      'x-switchyard-policy': decision.plan.policy,
      'x-switchyard-strategy': decision.explanation.strategy,
      // What the request is charged (its usage record's cost): the served model's prices x the
      // upstream's token usage, rounded up to the nano-dollar.
      'x-switchyard-cost-usd': costHeader(served.cost_nanos),
      'x-switchyard-route-reason': routeReason(decision, execution) + (note ? `; ${note.reason}` : ''),
      ...privacyHeader(decision.explanation.privacy),
      ...(execution.ensemble
        ? { 'x-switchyard-ensemble': `${execution.ensemble.combine}; ${execution.ensemble.reason}` }
        : {}),
    };
  }
}

/** What a request is decided on: when it started, the snapshots, its budgets and cost cap. */
interface Loaded {
  at: number;
  /** The request bounded by the tenant record (allow-list, classification floor). */
  request: RouteRequest;
  registry: CompiledRegistry;
  shared: HealthSnapshot;
  budgets: Awaited<ReturnType<typeof tenantBudgetsStep>> | undefined;
  cap: Awaited<ReturnType<typeof budgetCapStep>> | undefined;
  learned: CompiledLearnedState | undefined;
}

/** A request past steps 1 to 5: when it started, what was decided, and what it holds. */
interface Admitted {
  at: number;
  registry: CompiledRegistry;
  decision: Decision;
  note: BudgetNote | undefined;
  held: Held | undefined;
}

/** A served request: its decision (with the budget note), execution and charged cost. */
interface Served {
  decision: Decision;
  execution: ExecutionResult;
  registry: CompiledRegistry;
  cost_nanos: number;
  note: BudgetNote | undefined;
}

/** A dry run's request and the call it would make (the understand step reads its prompt). */
interface DryRun {
  request: RouteRequest;
  call: InferenceCall;
}

function chatDryRun(
  parsed: ChatCompletionRequest,
  headers: Record<string, string>,
  tenant: TenantContext,
): DryRun {
  return { request: chatRouteRequest(parsed, headers, tenant), call: { kind: 'chat', body: parsed } };
}

function invocationDryRun(
  parsed: InvocationRequest,
  headers: Record<string, string>,
  tenant: TenantContext,
): DryRun {
  const request = invocationRouteRequest(parsed, headers, tenant);
  return { request, call: { kind: 'invocation', task: request.task, payload: parsed.payload } };
}

function embeddingsDryRun(
  parsed: EmbeddingsRequest,
  headers: Record<string, string>,
  tenant: TenantContext,
): DryRun {
  const request = embeddingRouteRequest(parsed, headers, tenant);
  return { request, call: { kind: 'embedding', body: embeddingUpstreamBody(parsed) } };
}

/** The decision with what the degrade and privacy steps did in its explanation. */
function explainedWith(
  decision: Decision,
  budget: BudgetNote | undefined,
  privacy: PrivacyNote | undefined,
): Decision {
  if (!budget && !privacy) return decision;
  return {
    ...decision,
    explanation: { ...decision.explanation, ...(budget ? { budget } : {}), ...(privacy ? { privacy } : {}) },
  };
}

/** The tenant record's `pii_action`, read with its budgets. */
function piiActionOf(loaded: Loaded) {
  return loaded.budgets?.request_policy?.pii_action;
}

function meta(caller: Caller, ctx: RequestContext, route: RequestMeta['route']) {
  return { request_id: ctx.request_id, key_id: caller.key_id, route };
}

function publicTarget(t: PlanTarget): Omit<PlanTarget, 'target' | 'api_key_ref'> {
  const { target: _target, api_key_ref: _ref, ...rest } = t;
  return rest;
}

function tenantOf(caller: Caller): TenantContext {
  return { id: caller.tenant, ...(caller.allowed_models ? { allowed_models: caller.allowed_models } : {}) };
}

function routeReason(decision: Decision, execution: ExecutionResult): string {
  const { explanation } = decision;
  const served = execution.target.endpoint === decision.plan.primary.endpoint ? 'primary' : 'fallback';
  // Conversation affinity's replica, when it chose the primary (core affinity/affinity.ts).
  const affinity = explanation.affinity?.applied ? ' + affinity' : '';
  return `${explanation.strategy}${affinity}; ${served}; ${explanation.candidate_count} candidates, ${explanation.excluded_count} excluded`;
}
