// What a tenant record imposes on each of its requests (pure): the tenant's current model
// allow-list, intersected with the calling key's own narrowing (a key carries only what it
// narrows, so a PATCH of the tenant's list reaches every key), and the tenant's default data
// classification, which a caller's `data_classification` hint may raise but never lower (the
// stricter of the two, by the registry's order public < internal < confidential < pii < phi < pci).
import type { RoutingHints } from '../api.schema.ts';
import type { PiiAction } from '../pii/pii-action.ts';
import { DATA_CLASSIFICATIONS, type DataClassification } from '../registry.schema.ts';
import type { RouteRequest } from '../route.types.ts';

/** The tenant record's attributes that bound its requests. */
export interface TenantRequestPolicy {
  allowed_models?: string[] | undefined;
  data_classification?: DataClassification | undefined;
  /** The least strict PII action of the tenant's requests (read by the router's privacy step). */
  pii_action?: PiiAction | undefined;
}

const RANK: ReadonlyMap<string, number> = new Map(DATA_CLASSIFICATIONS.map((c, i) => [c, i]));

/** The stricter of two classifications (undefined counts as none); a tie keeps `a`. */
export function strictestClassification(
  a: DataClassification | undefined,
  b: DataClassification | undefined,
): DataClassification | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (RANK.get(b) ?? -1) > (RANK.get(a) ?? -1) ? b : a;
}

/**
 * The models a request may use: the tenant's list narrowed by the key's (undefined: no limit).
 * An entry `id` of one side and `id@v` of the other meet as `id@v`; entries only one side permits
 * are dropped, so the answer permits exactly what both permit (an empty list permits nothing).
 */
export function effectiveAllowedModels(
  tenant: readonly string[] | undefined,
  key: readonly string[] | undefined,
): string[] | undefined {
  if (tenant === undefined) return key === undefined ? undefined : [...key];
  if (key === undefined) return [...tenant];
  const out = new Set<string>();
  const add = (entry: string, other: readonly string[]) => {
    const id = entry.split('@')[0] ?? entry;
    if (other.includes(entry) || (entry.includes('@') && other.includes(id))) out.add(entry);
    else if (!entry.includes('@')) for (const o of other) if (o.startsWith(`${id}@`)) out.add(o);
  };
  for (const entry of key) add(entry, tenant);
  for (const entry of tenant) if (entry.includes('@')) add(entry, key);
  return [...out].sort();
}

/** The request with the tenant's allow-list (narrowed by the key's) and classification floor applied. */
export function applyTenantPolicy(request: RouteRequest, policy: TenantRequestPolicy): RouteRequest {
  const allowed = effectiveAllowedModels(policy.allowed_models, request.tenant.allowed_models);
  const classification = strictestClassification(
    policy.data_classification,
    request.hints.data_classification,
  );
  const { allowed_models: _keyList, ...tenant } = request.tenant;
  const { data_classification: _hint, ...hints } = request.hints;
  return {
    ...request,
    tenant: allowed === undefined ? tenant : { ...tenant, allowed_models: allowed },
    hints: (classification === undefined
      ? hints
      : { ...hints, data_classification: classification }) as RoutingHints,
  };
}
