// What the money steps (tenant budgets, degrade, reserve, settle, meter) share: their ports, and
// what one request holds between reserve and settle.
import type { BudgetLeases, BudgetReservationSet } from '@switchyard/adapters';
import type { TenantBudgetSource, TenantBudgets, UsageRecord, UsageRoute } from '@switchyard/core';

export interface MoneyDeps {
  /** The tenant's budget attributes (cached). */
  budgets: TenantBudgetSource;
  /** This container's budget leases. */
  leases: Pick<BudgetLeases, 'reserveAllNow' | 'reserveAll' | 'remaining'>;
  /** Stores usage records (idempotent, retried; usage-writer.ts). */
  usage: { record(record: UsageRecord): Promise<boolean> };
}

/** Who and what a request is, for its usage record. */
export interface RequestMeta {
  request_id: string;
  key_id: string | undefined;
  route: UsageRoute;
  /** Epoch ms the request started. */
  at: number;
  /** Whether the caller bounded the output (max_tokens); invocations: true. */
  explicit_max_tokens: boolean;
}

/** One request's hold on its tenant's budgets, from reserve to settle. */
export interface Held {
  budgets: TenantBudgets;
  set: BudgetReservationSet | undefined;
  /** What was reserved: micro-USD on the spend budget, tokens on the tokens-per-minute one. */
  cost_nanos: number;
  tokens: number;
}
