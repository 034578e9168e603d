// BudgetStore in memory, with exactly the conditional semantics of the DynamoDB adapter: each
// call is one atomic single-item write that checks its condition against the item as it is when
// it applies, and nothing else. The property tests and the bench run routers against it; the
// shared contract suite runs it and the DynamoDB adapter (against dynalite) through the same cases.
import type {
  BudgetKey,
  BudgetLease,
  BudgetPeriodInit,
  BudgetPeriodRecord,
  BudgetStore,
  LeaseOutcome,
  LeaseTopUp,
  TopUpOutcome,
} from '@switchyard/core';
import { assertBudgetAmount, budgetSortKey } from './budgets.shared.ts';

const id = (key: BudgetKey) => `${key.tenant}\u0000${budgetSortKey(key)}`;

export class MemoryBudgetStore implements BudgetStore {
  readonly #items = new Map<string, BudgetPeriodRecord>();

  /** Every stored period (copies), for tests and simulations that check invariants. */
  records(): BudgetPeriodRecord[] {
    return [...this.#items.values()].map((r) => structuredClone(r));
  }

  /** The stored period itself, no copy (simulations measuring every write): never change it. */
  peek(key: BudgetKey): Readonly<BudgetPeriodRecord> | undefined {
    return this.#items.get(id(key));
  }

  async openPeriod(init: BudgetPeriodInit): Promise<BudgetPeriodRecord> {
    assertBudgetAmount('limit', init.limit);
    const existing = this.#items.get(id(init));
    if (existing) return structuredClone(existing);
    const record: BudgetPeriodRecord = { ...init, spent: 0, available: init.limit, leases: {}, open: true };
    this.#items.set(id(init), record);
    return structuredClone(record);
  }

  async getPeriod(key: BudgetKey): Promise<BudgetPeriodRecord | undefined> {
    const r = this.#items.get(id(key));
    return r && structuredClone(r);
  }

  async listPeriods(tenant: string): Promise<BudgetPeriodRecord[]> {
    return this.records()
      .filter((r) => r.tenant === tenant)
      .sort((a, b) => budgetSortKey(a).localeCompare(budgetSortKey(b)));
  }

  async lease(key: BudgetKey, leaseId: string, lease: BudgetLease): Promise<LeaseOutcome> {
    assertBudgetAmount('lease amount', lease.amount, 1);
    const r = this.#items.get(id(key));
    if (!r) return { ok: false, reason: 'missing' };
    if (leaseId in r.leases) return { ok: false, reason: 'exists', record: structuredClone(r) };
    if (r.available < lease.amount) return { ok: false, reason: 'insufficient', record: structuredClone(r) };
    r.available -= lease.amount;
    r.leases[leaseId] = { ...lease };
    return { ok: true, available: r.available, leases: Object.keys(r.leases).length };
  }

  async topUpLease(key: BudgetKey, leaseId: string, change: LeaseTopUp): Promise<TopUpOutcome> {
    assertBudgetAmount('used', change.used);
    assertBudgetAmount('more', change.more);
    const r = this.#items.get(id(key));
    const lease = r?.leases[leaseId];
    if (!r || lease?.amount !== change.amount || !(lease.expires_at > change.now)) {
      return { ok: false, reason: 'gone', ...(r ? { record: structuredClone(r) } : {}) };
    }
    if (change.more > 0 && r.available < change.more) {
      return { ok: false, reason: 'insufficient', record: structuredClone(r) };
    }
    r.spent += change.used;
    r.available -= change.more;
    lease.amount = change.amount - change.used + change.more;
    lease.expires_at = change.expires_at;
    return { ok: true, available: r.available, leases: Object.keys(r.leases).length };
  }

  async returnLease(key: BudgetKey, leaseId: string, amount: number, used: number): Promise<boolean> {
    assertBudgetAmount('used', used);
    const r = this.#items.get(id(key));
    if (r?.leases[leaseId]?.amount !== amount) return false;
    r.spent += used;
    r.available += amount - used;
    delete r.leases[leaseId];
    return true;
  }

  async settleExpired(key: BudgetKey, leaseId: string, amount: number, now: number): Promise<boolean> {
    const r = this.#items.get(id(key));
    const lease = r?.leases[leaseId];
    if (!r || lease?.amount !== amount || !(lease.expires_at <= now)) return false;
    r.spent += amount;
    delete r.leases[leaseId];
    return true;
  }

  async setLimit(key: BudgetKey, limit: number, revision: number): Promise<boolean> {
    assertBudgetAmount('limit', limit);
    const r = this.#items.get(id(key));
    if (!r || !(r.revision < revision)) return false;
    r.available += limit - r.limit;
    r.limit = limit;
    r.revision = revision;
    return true;
  }

  async closePeriod(key: BudgetKey, now: number): Promise<boolean> {
    const r = this.#items.get(id(key));
    if (!r?.open || !(r.ends_at <= now) || Object.keys(r.leases).length !== 0) return false;
    r.open = false;
    return true;
  }

  async listOpen(): Promise<BudgetKey[]> {
    return [...this.#items.values()]
      .filter((r) => r.open)
      .map((r) => ({ tenant: r.tenant, budget: r.budget, period: r.period }));
  }
}
