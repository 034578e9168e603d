// Step 4 (budget part): budget-aware degrade. For a tenant that degrades instead of refusing, as
// its spend budget runs low the request gets a per-request cost cap (core budgetCostCap) and the
// decision picks among the cheaper models under it; the explanation says so. When no eligible
// model fits under the cap, the decision is taken without it (and says that too): the reserve
// step then serves the request if the budget holds it, or refuses it with insufficient_quota.
import {
  type BudgetCostCap,
  budgetCostCap,
  type Decision,
  degradedRequest,
  NoCandidateError,
  nanosToUsd,
  type RouteRequest,
  type TenantBudgets,
} from '@switchyard/core';
import type { MoneyDeps } from './money.types.ts';

/** What the degrade step did, for the explanation and the route-reason header. */
export interface BudgetNote {
  cap_usd: number;
  remaining_share: number;
  /** false: nothing eligible was under the cap, so the decision was taken without it. */
  applied: boolean;
  reason: string;
}

/** The cap the tenant's budget imposes now, or undefined (no degrade, no spend budget, enough left). */
export async function budgetCapStep(
  money: MoneyDeps,
  tenant: string,
  budgets: TenantBudgets,
): Promise<BudgetCostCap | undefined> {
  if (!budgets.degrade || !budgets.spend) return undefined;
  const left = await money.leases.remaining(tenant, budgets.spend);
  return budgetCostCap(left.remaining, left.limit, budgets.degrade);
}

/** Decides under the cap (see the module header). */
export function decideUnderCap(
  request: RouteRequest,
  cap: BudgetCostCap | undefined,
  decide: (request: RouteRequest) => Decision,
): { decision: Decision; note: BudgetNote | undefined } {
  if (!cap) return { decision: decide(request), note: undefined };
  const note = { cap_usd: nanosToUsd(cap.cap_nanos), remaining_share: cap.remaining_share };
  try {
    const decision = decide(degradedRequest(request, cap));
    return { decision, note: { ...note, applied: true, reason: cap.reason } };
  } catch (err) {
    if (!(err instanceof NoCandidateError) || err.rule !== 'max-cost') throw err;
    return {
      decision: decide(request),
      note: {
        ...note,
        applied: false,
        reason: `${cap.reason}; no eligible model under it, routed without it`,
      },
    };
  }
}
