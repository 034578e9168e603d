// Compiles a validated registry into lookup indexes once per load, so each decision only walks
// arrays and small maps: models with their endpoints, policies by alias sorted by specificity,
// each policy's model set and canary entries. The result is immutable and shared by decisions.
import type { Canary, Endpoint, Model, Policy, Registry } from './registry.schema.ts';
import { DEFAULT_CAPACITY } from './score.ts';
import type { CompiledCondition } from './understanding/conditions.ts';
import { compileConditions } from './understanding/conditions.ts';

/** One model version with its endpoints, in registry order. */
export interface CompiledModel {
  readonly model: Model;
  /** `id@version`. */
  readonly key: string;
  readonly endpoints: readonly Endpoint[];
  /** Position of each of `endpoints` in `registry.endpoints` (indexes per-snapshot health). */
  readonly slots: readonly number[];
}

/** What a decision needs from a policy, precomputed. */
export interface CompiledPolicy {
  readonly policy: Policy;
  /**
   * Number of match fields besides `model` (task, tenant, one per header, one per feature
   * condition): higher is more specific.
   */
  readonly specificity: number;
  /** `match.when`: conditions on the request's features (understanding/conditions.ts). */
  readonly conditions: readonly CompiledCondition[];
  /** Lower-cased header matches. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** `policy.models` as a set; undefined means every model. */
  readonly modelSet: ReadonlySet<string> | undefined;
  /** Canary entries by model id. */
  readonly canaries: ReadonlyMap<string, Canary>;
}

/** Endpoint state codes in EndpointColumns.state. */
export const ENDPOINT_STATES = ['active', 'draining', 'disabled'] as const;

/**
 * What the hot loop reads about each endpoint, by slot (its position in `registry.endpoints`),
 * in compact typed arrays rather than scattered objects.
 */
export interface EndpointColumns {
  /** Index into ENDPOINT_STATES. */
  readonly state: Uint8Array;
  readonly weight: Float64Array;
  /** `capacity.max_inflight`, or DEFAULT_CAPACITY when undeclared. */
  readonly capacity: Float64Array;
  /** Region id (see CompiledRegistry.regionIds). */
  readonly region: Int32Array;
  /** Model id of each slot. */
  readonly modelIds: readonly string[];
  /** 1 where the endpoint returns `n > 1` chat choices (`supports_n`). */
  readonly supportsN: Uint8Array;
}

export interface CompiledRegistry {
  readonly registry: Registry;
  readonly modelsByKey: ReadonlyMap<string, Model>;
  readonly versionsById: ReadonlyMap<string, readonly Model[]>;
  readonly endpointsByModel: ReadonlyMap<string, readonly Endpoint[]>;
  /** Policies by descending `priority` (registry order among equals). */
  readonly policies: readonly Policy[];
  /** Every model version with its endpoints, in registry order. */
  readonly models: readonly CompiledModel[];
  /** Model versions by model id, in registry order. */
  readonly compiledById: ReadonlyMap<string, readonly CompiledModel[]>;
  readonly compiledByKey: ReadonlyMap<string, CompiledModel>;
  /** Policies whose `match.model` is set, by that alias: most specific first, then priority. */
  readonly aliasPolicies: ReadonlyMap<string, readonly CompiledPolicy[]>;
  /** Policies without `match.model` (they apply to concrete model requests), same order. */
  readonly generalPolicies: readonly CompiledPolicy[];
  readonly endpointCount: number;
  readonly endpointColumns: EndpointColumns;
  /** Region name -> id used in EndpointColumns.region. */
  readonly regionIds: ReadonlyMap<string, number>;
}

/** The registry key of a model version: `id@version`. */
export const modelKey = (id: string, version: string): string => `${id}@${version}`;

/** Builds every index a decision needs. Call once per registry load; `route` never mutates it. */
export function compileRegistry(registry: Registry): CompiledRegistry {
  const modelsByKey = new Map<string, Model>();
  const versionsById = new Map<string, Model[]>();
  const compiledByKey = new Map<
    string,
    { model: Model; key: string; endpoints: Endpoint[]; slots: number[] }
  >();
  const compiledById = new Map<string, CompiledModel[]>();
  const models: CompiledModel[] = [];
  for (const m of registry.models) {
    const key = modelKey(m.id, m.version);
    modelsByKey.set(key, m);
    push(versionsById, m.id, m);
    const compiled = { model: m, key, endpoints: [] as Endpoint[], slots: [] as number[] };
    compiledByKey.set(key, compiled);
    push(compiledById, m.id, compiled);
    models.push(compiled);
  }
  const endpointsByModel = new Map<string, Endpoint[]>();
  registry.endpoints.forEach((e, slot) => {
    push(endpointsByModel, e.model, e);
    const cm = compiledByKey.get(modelKey(e.model, e.version));
    cm?.endpoints.push(e);
    cm?.slots.push(slot);
  });

  const compiledPolicies = registry.policies.map((policy, index) => ({ index, ...compilePolicy(policy) }));
  compiledPolicies.sort(
    (a, b) => b.specificity - a.specificity || b.policy.priority - a.policy.priority || a.index - b.index,
  );
  const aliasPolicies = new Map<string, CompiledPolicy[]>();
  const generalPolicies: CompiledPolicy[] = [];
  for (const { index: _, ...cp } of compiledPolicies) {
    const alias = cp.policy.match.model;
    if (alias === undefined) generalPolicies.push(cp);
    else push(aliasPolicies, alias, cp);
  }
  const policies = [...registry.policies].sort((a, b) => b.priority - a.priority);
  const n = registry.endpoints.length;
  const regionIds = new Map<string, number>();
  const endpointColumns: EndpointColumns = {
    state: new Uint8Array(n),
    weight: new Float64Array(n),
    capacity: new Float64Array(n),
    region: new Int32Array(n),
    modelIds: registry.endpoints.map((e) => e.model),
    supportsN: new Uint8Array(n),
  };
  registry.endpoints.forEach((e, slot) => {
    endpointColumns.state[slot] = ENDPOINT_STATES.indexOf(e.state);
    endpointColumns.weight[slot] = e.weight;
    endpointColumns.supportsN[slot] = e.supports_n === true ? 1 : 0;
    endpointColumns.capacity[slot] = e.capacity?.max_inflight ?? DEFAULT_CAPACITY;
    if (!regionIds.has(e.region)) regionIds.set(e.region, regionIds.size);
    endpointColumns.region[slot] = regionIds.get(e.region) as number;
  });
  return {
    registry,
    modelsByKey,
    versionsById,
    endpointsByModel,
    policies,
    models,
    compiledById,
    compiledByKey,
    aliasPolicies,
    generalPolicies,
    endpointCount: n,
    endpointColumns,
    regionIds,
  };
}

/** Precomputes one policy's match and candidate data. */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const headers = Object.entries(policy.match.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
  const conditions = compileConditions(policy.match.when);
  const specificity =
    (policy.match.task === undefined ? 0 : 1) +
    (policy.match.tenant === undefined ? 0 : 1) +
    headers.length +
    conditions.length;
  return {
    policy,
    specificity,
    conditions,
    headers,
    modelSet: policy.models ? new Set(policy.models) : undefined,
    canaries: new Map(policy.canary.map((c) => [c.model, c])),
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
