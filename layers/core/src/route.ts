// route(): request + registry + health snapshot -> plan and explanation. Pure; time and
// randomness are arguments. (First version: a later change deepens scoring and strategies.)

import type { CompiledRegistry } from './compile.ts';
import { ModelNotFoundError, NoCandidateError } from './errors.ts';
import type { Policy } from './registry.schema.ts';
import { PolicySchema } from './registry.schema.ts';
import type {
  Decision,
  ExclusionExplanation,
  HealthSnapshot,
  PlanTarget,
  RouteContext,
  RouteRequest,
} from './route.types.ts';

const DEFAULT_POLICY: Policy = PolicySchema.parse({ name: 'default' });

export function route(
  request: RouteRequest,
  snapshot: { registry: CompiledRegistry; health: HealthSnapshot },
  ctx: RouteContext,
): Decision {
  const { registry, health } = snapshot;
  const fresh = ctx.options?.health_fresh_ms ?? 90_000;
  const policy =
    registry.policies.find((p) => p.match.model === request.model) ??
    (registry.versionsById.has(request.model) ? DEFAULT_POLICY : undefined);
  if (!policy) throw new ModelNotFoundError(request.model);
  const modelIds =
    policy.match.model === request.model
      ? (policy.models ?? [...registry.versionsById.keys()])
      : [request.model];
  const excluded: ExclusionExplanation[] = [];
  const targets: PlanTarget[] = [];
  for (const id of modelIds) {
    for (const e of registry.endpointsByModel.get(id) ?? []) {
      const h = health.endpoints[e.id];
      const base = { endpoint: e.id, model: e.model, version: e.version };
      if (e.state !== 'active') {
        excluded.push({ ...base, rule: 'endpoint-state', reason: `endpoint is ${e.state}` });
      } else if (h && ctx.now - h.checked_at <= fresh && h.status === 'down') {
        excluded.push({ ...base, rule: 'health-down', reason: h.reason ?? 'health check says down' });
      } else {
        targets.push({
          ...base,
          kind: e.kind,
          target: e.target,
          region: e.region,
          upstream_model: e.upstream_model ?? e.model,
          ...(e.api_key_ref ? { api_key_ref: e.api_key_ref } : {}),
          timeout_ms: policy.timeouts.attempt_ms,
          estimated_cost_usd: 0,
        });
      }
    }
  }
  const [primary, ...rest] = targets;
  if (!primary) {
    const rule = excluded[0]?.rule ?? 'policy-models';
    throw new NoCandidateError(rule, `No endpoint can serve model "${request.model}": ${rule}.`, excluded);
  }
  return {
    plan: {
      policy: policy.name,
      primary,
      fallbacks: rest.slice(0, policy.fallback.count),
      attempt_timeout_ms: policy.timeouts.attempt_ms,
      deadline_ms: policy.timeouts.deadline_ms,
      max_attempts_per_target: policy.retry.max_attempts_per_target,
    },
    explanation: {
      policy: policy.name,
      strategy: policy.strategy,
      priority: request.hints.priority ?? 'normal',
      candidates: targets.map((t) => ({
        endpoint: t.endpoint,
        model: t.model,
        version: t.version,
        score: 0,
        parts: { quality: 0, cost: 0, latency: 0, load: 0 },
        estimated_cost_usd: 0,
        expected_latency_ms: 0,
      })),
      excluded,
      draws: [],
      versions: [],
    },
  };
}
