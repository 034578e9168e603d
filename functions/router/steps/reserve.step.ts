// Step 5: reserve the plan's maximum cost (core planMaximum: estimated prompt plus max_tokens, or
// the model's output cap, at the most expensive target's prices) on the tenant's spend budget and
// the same tokens on its tokens-per-minute limit, all or none, before anything is dispatched. From
// this container's lease when it has room (synchronously), else through the lease engine's store
// write. A refusal is the 429 that names the budget and when it resets (core budgetRefusalError).
import {
  budgetRefusalError,
  type CompiledRegistry,
  modelKey,
  type Plan,
  planMaximum,
  type RouteRequest,
  reservationItems,
  type TenantBudgets,
} from '@switchyard/core';
import type { Held, MoneyDeps } from './money.types.ts';

/** The hold, synchronously when the leases have room; otherwise a promise of it (or of the refusal). */
export function reserveStep(
  money: MoneyDeps,
  tenant: string,
  budgets: TenantBudgets,
  plan: Plan,
  request: RouteRequest,
  registry: CompiledRegistry,
  explicitMaxTokens: boolean,
): Held | Promise<Held> {
  const max = planMaximum(
    plan,
    request,
    (t) => registry.modelsByKey.get(modelKey(t.model, t.version)),
    explicitMaxTokens,
  );
  const wanted = reservationItems(budgets, max.cost_nanos, max.tokens);
  const held = (set: Held['set']): Held => ({
    budgets,
    set,
    cost_nanos: max.cost_nanos,
    tokens: max.tokens,
  });
  if (wanted.length === 0) return held(undefined);
  const now = money.leases.reserveAllNow(tenant, wanted);
  if (now) return held(now);
  return money.leases.reserveAll(tenant, wanted).then((r) => {
    if (!r.ok) throw budgetRefusalError(r);
    return held(r);
  });
}
