// Step 1 (money part): the tenant's budgets, from the tenant record's budget attributes (cached).
// A tenant the store cannot tell us about is not served unmetered: 503 budget_unavailable.
import { BudgetUnavailableError, type TenantBudgets, tenantBudgets } from '@switchyard/core';
import type { MoneyDeps } from './money.types.ts';

export async function tenantBudgetsStep(money: MoneyDeps, tenant: string): Promise<TenantBudgets> {
  try {
    return tenantBudgets(await money.budgets.get(tenant));
  } catch (err) {
    throw new BudgetUnavailableError(undefined, { cause: err });
  }
}
