// Durable budget reservations for work that outlives one process (async jobs): a hold is one
// lease per budget item, named by the work's id (`job.<job id>`), on the same period items the
// routers lease from, so one conditional write decides between them and nothing is overspent.
// The hold is taken by one function (the job's plan step), persisted with the work, and settled
// by another (its record step): actual use to spent, the rest back. Taking is idempotent (the
// lease id is the work's; a second take finds it), settling twice changes nothing (the lease is
// gone), and a hold whose worker died expires and is settled by the sweeper at its full amount.
import {
  type BudgetHold,
  type BudgetHoldItem,
  type BudgetKey,
  type BudgetRefusal,
  type BudgetSpec,
  type BudgetStore,
  budgetId,
  budgetRefusal,
  DEFAULT_LEASE_POLICY,
  periodWindow,
} from '@switchyard/core';
import { syncPeriod } from './budgets.shared.ts';

export interface BudgetHoldsOptions {
  store: BudgetStore;
  now?: () => number;
  /** Retry-After of a refusal because the rest is leased out. @default 5 s */
  heldRetryMs?: number;
}

/** The holder name stored on a hold's leases (the sweeper and dashboards see it). */
export const HOLD_HOLDER = 'hold';

export class BudgetHolds {
  readonly #store: BudgetStore;
  readonly #now: () => number;
  readonly #heldRetryMs: number;
  /** Period items read (created, limit synced) by this container, by `tenant#budget#period|revision`. */
  readonly #syncedFor = new Map<string, Promise<unknown>>();

  constructor(options: BudgetHoldsOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#heldRetryMs = options.heldRetryMs ?? DEFAULT_LEASE_POLICY.heldRetryMs;
  }

  /**
   * Takes `amount` of each spec's current period for `id`, all or none, expiring `ttlMs` from now.
   * Resolves to the hold to persist, or to the first refusal (what was taken is given back).
   * Zero amounts hold nothing (they are left out).
   */
  async take(
    tenant: string,
    id: string,
    wanted: ReadonlyArray<{ spec: BudgetSpec; amount: number }>,
    ttlMs: number,
  ): Promise<BudgetHold | BudgetRefusal> {
    const now = this.#now();
    const hold: BudgetHold = { tenant, lease_id: id, expires_at: now + ttlMs, items: [] };
    for (const { spec, amount } of wanted) {
      if (amount <= 0) continue;
      const window = periodWindow(spec.period, now);
      const item: BudgetHoldItem = { budget: budgetId(spec), period: window.key, unit: spec.unit, amount };
      const key = keyOf(tenant, item);
      // The period item is read (created, its limit synced) once per period and spec revision
      // in this container; then a hold is one conditional write per item.
      await this.#synced(key, spec, window);
      let outcome = await this.#store.lease(key, id, {
        amount,
        expires_at: hold.expires_at,
        holder: HOLD_HOLDER,
      });
      if (!outcome.ok && outcome.reason === 'missing') {
        this.#syncedFor.delete(`${budgetSortKeyOf(key)}|${spec.revision ?? 0}`);
        await this.#synced(key, spec, window);
        outcome = await this.#store.lease(key, id, {
          amount,
          expires_at: hold.expires_at,
          holder: HOLD_HOLDER,
        });
      }
      if (outcome.ok) {
        hold.items.push(item);
        continue;
      }
      const mine = outcome.record?.leases[id];
      if (outcome.reason === 'exists' && mine) {
        // Taken by an earlier run of the same step: adopt what is stored.
        hold.items.push({ ...item, amount: mine.amount });
        hold.expires_at = mine.expires_at;
        continue;
      }
      await this.settle(hold, []);
      const record = outcome.record ?? (await this.#store.getPeriod(key));
      return budgetRefusal({
        tenant,
        spec,
        window,
        limit: record?.limit ?? spec.limit,
        spent: record?.spent ?? 0,
        available: record?.available ?? spec.limit,
        requested: amount,
        now,
        heldRetryMs: this.#heldRetryMs,
      });
    }
    return hold;
  }

  /**
   * Settles each item to its actual use (`actuals[i]`, 0 when missing: a release), in one
   * conditional write per item. Items already settled (by an earlier call or the sweeper) are
   * left alone. Returns how many items this call settled.
   */
  async settle(hold: BudgetHold, actuals: readonly number[]): Promise<number> {
    let settled = 0;
    for (const [i, item] of hold.items.entries()) {
      const used = actuals[i] ?? 0;
      if (await this.#store.returnLease(keyOf(hold.tenant, item), hold.lease_id, item.amount, used))
        settled++;
    }
    return settled;
  }

  /**
   * Whether `amount` can fit the spec's current period at all (read only, no reservation): the
   * refusal when it is more than settled spend leaves (`exhausted`) or than the whole limit
   * (`exceeds-limit`); undefined when it may fit (what is leased out comes back).
   */
  async check(tenant: string, spec: BudgetSpec, amount: number): Promise<BudgetRefusal | undefined> {
    const now = this.#now();
    const window = periodWindow(spec.period, now);
    const record = await this.#store.getPeriod({ tenant, budget: budgetId(spec), period: window.key });
    const newer = !record || (spec.revision ?? 0) > record.revision;
    const limit = newer ? spec.limit : record.limit;
    const spent = record?.spent ?? 0;
    if (amount <= limit - spent) return undefined;
    return budgetRefusal({
      tenant,
      spec,
      window,
      limit,
      spent,
      available: record?.available ?? limit,
      requested: amount,
      now,
      heldRetryMs: this.#heldRetryMs,
    });
  }

  /** The period item exists, with the spec's limit when the spec is newer (read once per period and revision). */
  async #synced(key: BudgetKey, spec: BudgetSpec, window: { starts_at: number; ends_at: number }) {
    const revision = spec.revision ?? 0;
    const id = `${budgetSortKeyOf(key)}|${revision}`;
    let synced = this.#syncedFor.get(id);
    if (!synced) {
      synced = syncPeriod(this.#store, key, spec, window, revision);
      this.#syncedFor.set(id, synced);
      synced.catch(() => this.#syncedFor.delete(id));
      // A container lives through many periods: forget the oldest.
      if (this.#syncedFor.size > 1_000) {
        const oldest = this.#syncedFor.keys().next().value;
        if (oldest !== undefined) this.#syncedFor.delete(oldest);
      }
    }
    await synced;
  }
}

const budgetSortKeyOf = (key: BudgetKey): string => `${key.tenant}#${key.budget}#${key.period}`;

function keyOf(tenant: string, item: BudgetHoldItem): BudgetKey {
  return { tenant, budget: item.budget, period: item.period };
}
