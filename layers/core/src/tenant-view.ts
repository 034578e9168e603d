// What a tenant may see: only what it may route to. A tenant's allow-list (`allowed_models`,
// model ids or `id@version`) bounds the models it is shown; a policy is shown only when it could
// match the tenant (no `match.tenant`, or its own) and route to at least one model the tenant may
// use; a dry run's explanation lists no endpoint of a model the tenant may not use (they are
// counted in `excluded_hidden`, so the figures still add up, without naming anything).
import type { CompiledRegistry } from './compile.ts';
import type { Policy } from './registry.schema.ts';
import type { Explanation, TenantContext } from './route.types.ts';

/**
 * Whether the tenant may use model `id` (with `version`: that version; without: some version).
 * No allow-list means every model.
 */
export function mayUseModel(tenant: TenantContext, id: string, version?: string): boolean {
  const allowed = tenant.allowed_models;
  if (allowed === undefined || allowed.includes(id)) return true;
  if (version !== undefined) return allowed.includes(`${id}@${version}`);
  const prefix = `${id}@`;
  return allowed.some((a) => a.startsWith(prefix));
}

/** Whether `policy` could govern a request of this tenant: no tenant match, or this tenant's. */
export function policyServesTenant(policy: Policy, tenant: TenantContext): boolean {
  return policy.match.tenant === undefined || policy.match.tenant === tenant.id;
}

/**
 * Whether `policy` could route a request of this tenant to at least one model version: one it
 * lists (or any, when it lists none), the tenant may use, that is active (or staged in the
 * policy's canary) and has an endpoint.
 */
export function policyRoutesForTenant(
  registry: CompiledRegistry,
  policy: Policy,
  tenant: TenantContext,
): boolean {
  if (!policyServesTenant(policy, tenant)) return false;
  const listed = policy.models === undefined ? undefined : new Set(policy.models);
  return registry.models.some(({ model: m, endpoints }) => {
    if (endpoints.length === 0 || (listed && !listed.has(m.id))) return false;
    const live =
      m.status === 'active' ||
      (m.status === 'staged' &&
        (policy.canary ?? []).some(
          (c) => c.model === m.id && (c.candidate === m.version || c.stable === m.version),
        ));
    return live && mayUseModel(tenant, m.id, m.version);
  });
}

/** The aliases a tenant may call, each with the policy a plain request of its would get. */
export function tenantAliases(
  registry: CompiledRegistry,
  tenant: TenantContext,
): Array<{ alias: string; policy: string }> {
  const out: Array<{ alias: string; policy: string }> = [];
  for (const [alias, policies] of registry.aliasPolicies) {
    // Most specific first (compile.ts): the first that could serve the tenant names the alias.
    const first = policies.find((cp) => policyRoutesForTenant(registry, cp.policy, tenant));
    if (first) out.push({ alias, policy: first.policy.name });
  }
  return out;
}

export interface TenantExplanation extends Explanation {
  /** Endpoints excluded but not listed: they serve models this tenant may not use. */
  excluded_hidden: number;
}

/** A decision's explanation as the tenant may see it (see the module header). */
export function tenantExplanation(explanation: Explanation, tenant: TenantContext): TenantExplanation {
  const excluded = explanation.excluded.filter((x) => mayUseModel(tenant, x.model, x.version));
  return {
    policy: explanation.policy,
    strategy: explanation.strategy,
    priority: explanation.priority,
    candidates: explanation.candidates,
    excluded,
    candidate_count: explanation.candidates.length,
    excluded_count: excluded.length,
    excluded_hidden: explanation.excluded.length - excluded.length,
    draws: explanation.draws,
    versions: explanation.versions.filter((v) => mayUseModel(tenant, v.model)),
    ...(explanation.affinity ? { affinity: explanation.affinity } : {}),
    ...(explanation.budget ? { budget: explanation.budget } : {}),
    // Features are counts and scores, never prompt text.
    ...(explanation.understanding ? { understanding: explanation.understanding } : {}),
    ...(explanation.privacy ? { privacy: explanation.privacy } : {}),
    ...(explanation.learned ? { learned: explanation.learned } : {}),
    ...(explanation.shadow ? { shadow: explanation.shadow } : {}),
    ...(explanation.arm ? { arm: explanation.arm } : {}),
  };
}
