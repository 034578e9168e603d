// The budget engine's vocabulary: what a budget is (a limit in integer units per period), the
// stored state of one budget period (limit, spent, available, outstanding leases) and what a
// refusal says. Money is integer nano-USD everywhere; tokens are integer tokens.

/** `usd_nanos`: spend in integer millionths of a US dollar; `tokens`: prompt + completion tokens. */
export type BudgetUnit = 'usd_nanos' | 'tokens' | 'requests';

/** UTC calendar periods; `total` never resets. `minute` is for tokens-per-minute limits. */
export const BUDGET_PERIODS = ['minute', 'day', 'month', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** One limit of a tenant: e.g. $100 a month (`usd_nanos`, 100_000_000) or 10,000 tokens a minute. */
export interface BudgetSpec {
  unit: BudgetUnit;
  period: BudgetPeriod;
  /** Non-negative integer in `unit`. */
  limit: number;
  /**
   * Monotonic version of the spec (e.g. the tenant record's `updated_at`). A period item takes the
   * limit of the spec that created it; a spec with a higher revision replaces it mid-period.
   * @default 0
   */
  revision?: number;
}

/** Where one budget period lives: tenant, budget id (`usd-month`, `tokens-minute`) and period key. */
export interface BudgetKey {
  tenant: string;
  budget: string;
  /** `2026-11-24T10:31Z`, `2026-11-24`, `2026-11` or `total`. */
  period: string;
}

/** A slice of a budget taken by one router container (the holder). */
export interface BudgetLease {
  amount: number;
  /** Epoch ms; from then on the sweeper may settle the lease at its full amount. */
  expires_at: number;
  holder: string;
}

/** What creates a period item on first use. */
export interface BudgetPeriodInit extends BudgetKey {
  unit: BudgetUnit;
  limit: number;
  revision: number;
  /** Epoch ms, inclusive. */
  starts_at: number;
  /** Epoch ms, exclusive (`NEVER` for `total`). */
  ends_at: number;
}

/**
 * The stored state of one budget period. Invariant: `available = limit - spent - Σ leases.amount`
 * (kept explicit because conditions cannot add attributes). `available` may be negative only
 * after the limit was lowered or a request cost more than its reservation.
 */
export interface BudgetPeriodRecord extends BudgetPeriodInit {
  spent: number;
  available: number;
  leases: Record<string, BudgetLease>;
  /** Whether the sweeper still visits it (false once the period ended and its leases are settled). */
  open: boolean;
}

/** A lease write: taken (with the period's `available` and number of leases after it), or why not. */
export type LeaseOutcome =
  | { ok: true; available: number; leases: number }
  | {
      ok: false;
      /** `missing`: no item for the period yet; `insufficient`: available < amount; `exists`: lease id taken. */
      reason: 'missing' | 'insufficient' | 'exists';
      record?: BudgetPeriodRecord;
    };

/**
 * A lease's holder renews and resizes it in one write: `used` (settled since the last time) moves
 * to spent, `more` is taken from available, and the lease expires at `expires_at`.
 */
export interface LeaseTopUp {
  /** The lease's amount as stored now (the write is conditional on it). */
  amount: number;
  used: number;
  more: number;
  expires_at: number;
  /** The lease must not have expired at `now`. */
  now: number;
}

export type TopUpOutcome =
  | { ok: true; available: number; leases: number }
  | {
      ok: false;
      /** `gone`: no such lease with that amount, or it expired (the sweeper's now); `insufficient`: available < more. */
      reason: 'gone' | 'insufficient';
      record?: BudgetPeriodRecord;
    };

/**
 * Why a reservation was refused. `exhausted`: more than `limit - spent` is asked (only a new
 * period or a higher limit helps); `held`: it fits the limit, but the rest is leased to routers
 * serving requests in flight (it comes back within seconds); `exceeds-limit`: more than the whole
 * limit is asked (it can never fit).
 */
export type BudgetRefusalReason = 'exhausted' | 'held' | 'exceeds-limit';

export interface BudgetRefusal {
  ok: false;
  reason: BudgetRefusalReason;
  tenant: string;
  budget: string;
  unit: BudgetUnit;
  period: BudgetPeriod;
  period_key: string;
  limit: number;
  /** `limit - spent` when refused (what settled spend leaves; part of it may be leased). */
  unspent: number;
  /** What the store had not leased out when refused. */
  available: number;
  requested: number;
  /** Epoch ms when the period resets; null for `total`. */
  resets_at: number | null;
  /** When a retry may succeed (ms from the refusal); null when waiting cannot help. */
  retry_after_ms: number | null;
}

/** One item of a durable hold (budget-holds.ts in the adapters): the period it was taken in and how much. */
export interface BudgetHoldItem {
  budget: string;
  period: string;
  unit: BudgetUnit;
  amount: number;
}

/**
 * A durable reservation for work that outlives one process (an async job), persisted with the
 * work: one lease per item, named `lease_id`, settled by whichever step finishes the work.
 */
export interface BudgetHold {
  tenant: string;
  lease_id: string;
  /** Epoch ms; from then on the sweeper settles whatever is left of it at its full amount. */
  expires_at: number;
  /** In the order the specs were asked for (zero amounts left out). */
  items: BudgetHoldItem[];
}
