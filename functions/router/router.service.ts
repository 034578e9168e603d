// What the router function does for each route, over ports: build the core's request from the
// OpenAI body and hints, decide (core.route) on the shared health with this container's own open
// circuits laid over it (local-circuits.ts) and its exact in-flight counts in place of its shared
// share (inflight-tracker.ts), execute the plan (core.runPlan, same-target retries only while
// the local circuit is closed), record the outcome of every attempt however the plan ended, and
// shape the answer with the x-switchyard-* headers. No AWS here; the handler wires it.

import type { Caller } from '@switchyard/adapters/lambda';
import { parseInput } from '@switchyard/adapters/lambda';
import type {
  AttemptRecord,
  CompiledRegistry,
  Decision,
  ExecutionResult,
  HealthSnapshot,
  InferenceCall,
  InferenceClient,
  Outcome,
  PlanTarget,
  RouteRequest,
  TenantContext,
} from '@switchyard/core';
import {
  ChatCompletionRequestSchema,
  CompletionRequestSchema,
  chatRouteRequest,
  completionRouteRequest,
  endpointOutcome,
  estimateCostUsd,
  InvocationRequestSchema,
  invocationRouteRequest,
  mayUseModel,
  modelKey,
  route,
  runPlan,
  tenantAliases,
  tenantExplanation,
} from '@switchyard/core';
import { isShortCircuited } from './circuit-client.ts';
import type { InflightTracker } from './inflight-tracker.ts';
import type { LocalCircuits } from './local-circuits.ts';
import { openStream, type StreamRequest } from './steps/stream.step.ts';

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

  async chat(body: unknown, headers: Record<string, string>, caller: Caller): Promise<ServiceResponse> {
    const parsed = parseInput(ChatCompletionRequestSchema, body);
    const request = chatRouteRequest(parsed, headers, tenantOf(caller));
    const { 'x-switchyard': _hints, stream, stream_options, ...upstreamBody } = parsed;
    if (stream === true) {
      return this.stream(request, {
        kind: 'chat',
        call: { kind: 'chat', body: upstreamBody },
        includeUsage: stream_options?.include_usage === true,
        promptTokens: request.prompt_tokens,
      });
    }
    const { decision, execution, registry } = await this.decideAndExecute(request, {
      kind: 'chat',
      body: upstreamBody,
    });
    const answer = { ...(execution.result.body as Record<string, unknown>), model: execution.target.model };
    return { body: answer, headers: this.headers(decision, execution, registry) };
  }

  /** `POST /v1/completions`: OpenAI legacy completions, routed by task `completion`, streamed or not. */
  async completions(
    body: unknown,
    headers: Record<string, string>,
    caller: Caller,
  ): Promise<ServiceResponse> {
    const parsed = parseInput(CompletionRequestSchema, body);
    const request = completionRouteRequest(parsed, headers, tenantOf(caller));
    const { 'x-switchyard': _hints, stream, stream_options, ...upstreamBody } = parsed;
    const call: InferenceCall = { kind: 'completion', body: upstreamBody };
    if (stream === true) {
      return this.stream(request, {
        kind: 'completion',
        call,
        includeUsage: stream_options?.include_usage === true,
        promptTokens: request.prompt_tokens,
      });
    }
    const { decision, execution, registry } = await this.decideAndExecute(request, call);
    const answer = { ...(execution.result.body as Record<string, unknown>), model: execution.target.model };
    return { body: answer, headers: this.headers(decision, execution, registry) };
  }

  /**
   * A streamed answer (steps/stream.step.ts): decided like any request, answered once the first
   * chunk is there, with the x-switchyard-* headers of that moment (the cost is the estimate);
   * the attempts are recorded when the stream ends. Before the first chunk a failure is the usual
   * JSON error.
   */
  private async stream(request: RouteRequest, streamed: StreamRequest): Promise<ServiceResponse> {
    const [registry, shared] = await Promise.all([this.deps.registry.get(), this.deps.health.get()]);
    const decision = this.decideOn({ ...request, stream: true }, registry, shared);
    const started = this.deps.now();
    const circuits = this.deps.circuits;
    const opened = await openStream(decision.plan, streamed, {
      client: this.deps.inference,
      now: this.deps.now,
      random: this.deps.random,
      ...(circuits
        ? { mayRetry: (t: PlanTarget) => circuits.breaker(t.endpoint, this.deps.now()).state === 'closed' }
        : {}),
      recordAttempts: (attempts) => this.record(attempts, started),
    });
    if (!opened.ok) throw opened.error;
    const { target, attempts, ensemble } = opened.start;
    const execution: ExecutionResult = {
      result: { body: null },
      target,
      attempts: [...attempts],
      ...(ensemble ? { ensemble } : {}),
    };
    return {
      body: undefined,
      headers: { ...SSE_HEADERS, ...this.headers(decision, execution, registry) },
      stream: opened.body,
    };
  }

  async invoke(body: unknown, headers: Record<string, string>, caller: Caller): Promise<ServiceResponse> {
    const parsed = parseInput(InvocationRequestSchema, body);
    const request = invocationRouteRequest(parsed, headers, tenantOf(caller));
    const { decision, execution, registry } = await this.decideAndExecute(request, {
      kind: 'invocation',
      task: request.task,
      payload: parsed.payload,
    });
    return {
      body: {
        object: 'invocation',
        model: execution.target.model,
        task: request.task,
        output: execution.result.body,
        ...(execution.ensemble ? { ensemble: execution.ensemble } : {}),
      },
      headers: this.headers(decision, execution, registry),
    };
  }

  /**
   * `POST /v1/route`: the plan and its explanation for a chat or invocation body, invoking
   * nothing. Consumers see endpoints by id: targets (URLs, SageMaker names) and key references
   * stay private, and the explanation lists no endpoint of a model the caller may not use (core
   * tenant-view.ts: they are only counted, in `excluded_hidden`).
   */
  async dryRun(body: unknown, headers: Record<string, string>, caller: Caller): Promise<unknown> {
    const isInvocation = typeof body === 'object' && body !== null && 'task' in body && 'payload' in body;
    const request = isInvocation
      ? invocationRouteRequest(parseInput(InvocationRequestSchema, body), headers, tenantOf(caller))
      : chatRouteRequest(parseInput(ChatCompletionRequestSchema, body), headers, tenantOf(caller));
    const { plan, explanation } = (await this.decide(request)).decision;
    const tenant = tenantOf(caller);
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
    const registry = await this.deps.registry.get();
    const created = Math.floor(this.deps.now() / 1000);
    const tenant = tenantOf(caller);
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

  private async decide(request: RouteRequest): Promise<{ decision: Decision; registry: CompiledRegistry }> {
    const [registry, shared] = await Promise.all([this.deps.registry.get(), this.deps.health.get()]);
    return { decision: this.decideOn(request, registry, shared), registry };
  }

  /** The decision on `shared` with this container's circuits and in-flight counts laid over it. */
  private decideOn(request: RouteRequest, registry: CompiledRegistry, shared: HealthSnapshot): Decision {
    const now = this.deps.now();
    const { circuits, inflight } = this.deps;
    circuits?.useRegistry(registry);
    inflight?.useRegistry(registry);
    const base = inflight ? inflight.view(shared) : shared;
    const health = circuits ? circuits.view(base, now, this.deps.healthFreshMs) : base;
    const load = inflight?.load();
    return route(
      request,
      { registry, health, ...(load ? { load } : {}) },
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
  ): Promise<{ decision: Decision; execution: ExecutionResult; registry: CompiledRegistry }> {
    const [registry, shared] = await Promise.all([this.deps.registry.get(), this.deps.health.get()]);
    // Deciding and starting the primary in one synchronous step: the attempt is counted in flight
    // before any other request in this container decides.
    const decision = this.decideOn(request, registry, shared);
    const started = this.deps.now();
    const circuits = this.deps.circuits;
    const outcome = await runPlan(decision.plan, call, {
      client: this.deps.inference,
      now: this.deps.now,
      random: this.deps.random,
      // A same-target retry only while this container's circuit for the endpoint is closed.
      ...(circuits
        ? { mayRetry: (t: PlanTarget) => circuits.breaker(t.endpoint, this.deps.now()).state === 'closed' }
        : {}),
    });
    // Every ending carries its attempts: the failures before a rejection or a request that could
    // not be sent count as much as those before an answer or exhaustion.
    await this.record(outcome.attempts, started);
    if (!outcome.ok) throw outcome.error;
    return { decision, execution: outcome, registry };
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

  private headers(
    decision: Decision,
    execution: ExecutionResult,
    registry: CompiledRegistry,
  ): Record<string, string> {
    const t = execution.target;
    const usage = execution.result.usage;
    const model = registry.modelsByKey.get(modelKey(t.model, t.version));
    // The core's cost formula, fed the upstream's actual token counts.
    const cost =
      usage && model
        ? estimateCostUsd(model, usage.prompt_tokens, usage.completion_tokens)
        : t.estimated_cost_usd;
    return {
      'x-switchyard-model': modelKey(t.model, t.version),
      'x-switchyard-endpoint': t.endpoint,
      'x-switchyard-attempts': String(execution.attempts.length),
      'x-switchyard-policy': decision.plan.policy,
      'x-switchyard-strategy': decision.explanation.strategy,
      'x-switchyard-cost-usd': cost.toFixed(8),
      'x-switchyard-route-reason': routeReason(decision, execution),
      ...(execution.ensemble
        ? { 'x-switchyard-ensemble': `${execution.ensemble.combine}; ${execution.ensemble.reason}` }
        : {}),
    };
  }
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
  return `${explanation.strategy}; ${served}; ${explanation.candidate_count} candidates, ${explanation.excluded_count} excluded`;
}
