// Policy resolution: which policy governs a request, and which model (and version) it names.
// 1. `request.model` equal to a policy's `match.model` (an alias such as `auto`): the most
//    specific of those policies whose task/tenant/header matches hold (then the highest priority,
//    then registry order).
// 2. Otherwise a concrete model id or `id@version`: its endpoints are the candidates, governed
//    by the most specific policy without `match.model` whose matches hold, else the built-in default policy.
// 3. Otherwise ModelNotFoundError, and also for a model the tenant's allow-list does not permit:
//    to a tenant a model it may not use does not exist (as in /v1/models). An alias shadows a
//    model id of the same name.
// 4. No model at all (a task invocation without one): routed by task. The most specific policy
//    without `match.model` whose `match.task` is the request's task (and whose tenant/header
//    matches hold) governs, with every model it lists (or every model serving the task); with no
//    such policy, the built-in default policy over every model serving the task. A general policy that names no
//    task is for requests naming a model, so it does not take these.
// Feature conditions (`match.when`, understanding/conditions.ts) are matches like the others: each
// adds one to a policy's specificity, so `{ model: auto, when: { domain: legal } }` wins over
// `{ model: auto }` for a legal prompt.
import type { CompiledPolicy, CompiledRegistry } from './compile.ts';
import { compilePolicy } from './compile.ts';
import { ModelNotFoundError } from './errors.ts';
import { PolicySchema } from './registry.schema.ts';
import type { RouteRequest } from './route.types.ts';
import { mayUseModel } from './tenant-view.ts';

let defaultCompiled: CompiledPolicy | undefined;
/**
 * The built-in policy for concrete model requests that no policy matches, parsed on first use (not
 * at import: that would build the whole registry schema during the router's cold start).
 */
function defaultPolicy(): CompiledPolicy {
  defaultCompiled ??= compilePolicy(PolicySchema.parse({ name: 'default' }));
  return defaultCompiled;
}

export interface ResolvedPolicy {
  compiled: CompiledPolicy;
  /** Set when the request named a concrete model id. */
  model?: string;
  /** Set when the request named `id@version`. */
  version?: string;
}

/**
 * True when the policy's task, tenant, header and feature-condition (`match.when`) matches all
 * hold for the request. Conditions need the request's features: without them they never hold.
 */
export function policyMatches(cp: CompiledPolicy, request: RouteRequest): boolean {
  const m = cp.policy.match;
  if (m.task !== undefined && m.task !== request.task) return false;
  if (m.tenant !== undefined && m.tenant !== request.tenant.id) return false;
  for (const [name, value] of cp.headers) {
    if (request.headers?.[name] !== value) return false;
  }
  if (cp.conditions.length > 0) {
    const features = request.features;
    if (features === undefined) return false;
    const subject = { features, hints: request.hints };
    for (const c of cp.conditions) if (!c.test(subject)) return false;
  }
  return true;
}

/** Resolves the request's policy and model pin; throws ModelNotFoundError for an unknown (or forbidden) name. */
export function resolvePolicy(registry: CompiledRegistry, request: RouteRequest): ResolvedPolicy {
  const name = request.model;
  if (name === undefined) {
    const byTask = registry.generalPolicies.find(
      (cp) => cp.policy.match.task === request.task && policyMatches(cp, request),
    );
    return { compiled: byTask ?? defaultPolicy() };
  }
  const aliased = registry.aliasPolicies.get(name)?.find((cp) => policyMatches(cp, request));
  if (aliased) return { compiled: aliased };
  let model = name;
  let version: string | undefined;
  if (!registry.compiledById.has(name)) {
    const at = name.lastIndexOf('@');
    if (at <= 0 || !registry.compiledByKey.has(name)) throw new ModelNotFoundError(name);
    model = name.slice(0, at);
    version = name.slice(at + 1);
  }
  if (!mayUseModel(request.tenant, model, version)) throw new ModelNotFoundError(name);
  const compiled = registry.generalPolicies.find((cp) => policyMatches(cp, request)) ?? defaultPolicy();
  return version === undefined ? { compiled, model } : { compiled, model, version };
}
