// The in-container side of the budget engine: what a router step calls. A container leases a
// slice of a tenant's budget period with one conditional write, reserves each request's maximum
// cost against it in memory (exact under any number of concurrent requests in one process: every
// check-and-take is synchronous), settles each request to its actual cost or releases it. When
// the slice runs short it tops the same lease up (one write that also moves what was settled so
// far to spent and renews the lease), so a container holds one lease per budget, not a trail of
// them; when the container goes idle it returns the lease (used to spent, the rest back). Sizes
// follow the container's demand, capped by a share of what is left (lease-sizing.ts in the core).
//
// Timers return idle leases, renew leases in use (or with requests in flight) before they
// expire, and retry failed returns. A lease whose container dies is settled by the sweeper at
// its full amount once it expires.
import { randomBytes } from 'node:crypto';
import {
  addDemand,
  type BudgetKey,
  type BudgetPeriodRecord,
  type BudgetRefusal,
  type BudgetSpec,
  type BudgetStore,
  BudgetUnavailableError,
  budgetId,
  budgetRefusal,
  DEFAULT_LEASE_POLICY,
  type DemandRate,
  demandPerMs,
  idleReturnAfterMs,
  type LeasePolicy,
  leaseSize,
  type PeriodWindow,
  periodWindow,
} from '@switchyard/core';
import { assertBudgetAmount, syncPeriod } from './budgets.shared.ts';

/** The timer functions the manager uses (injectable for tests and simulations). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BudgetLeasesOptions {
  store: BudgetStore;
  /** This container's id, recorded on its leases. @default 12 random hex digits */
  holder?: string;
  /** @default Date.now */
  now?: () => number;
  /** @default the global setTimeout / clearTimeout (unref'd) */
  timers?: Timers;
  /** @default DEFAULT_LEASE_POLICY */
  policy?: Partial<LeasePolicy>;
  /** Background failures (a return or a renewal the store answered with an error). */
  onError?: (err: unknown) => void;
}

/** A request's hold on a budget: settle it with the actual cost, or release it; the first call wins. */
export interface BudgetReservation {
  readonly ok: true;
  readonly tenant: string;
  /** Budget id (`usd-month`) and period key (`2026-11`) the amount was reserved in. */
  readonly budget: string;
  readonly period: string;
  readonly amount: number;
  /** The lease it was taken from (usage records may name it); undefined for a zero amount. */
  readonly lease_id: string | undefined;
  /** Charges `actual` (a non-negative integer; more than `amount` is charged too). False if already settled or released. */
  settle(actual: number): boolean;
  /** Gives the amount back (the request never reached an upstream). False if already settled or released. */
  release(): boolean;
}

export type ReserveResult = BudgetReservation | BudgetRefusal;

/** Reservations against several budgets of one tenant, taken all or none. */
export interface BudgetReservationSet {
  readonly ok: true;
  readonly reservations: readonly BudgetReservation[];
  /** Settles each reservation with its actual amount, in the order they were asked for. */
  settle(actuals: readonly number[]): void;
  release(): void;
}

/** What a container knows of a budget period: approximate, from its own leases and last store answer. */
export interface BudgetRemaining {
  /** What the store had not leased out when last seen, plus this container's unreserved lease part. */
  remaining: number;
  limit: number;
  period: string;
  /** Epoch ms when the period resets; null for `total`. */
  resets_at: number | null;
}

/**
 * `active`: takes reservations; `draining`: takes none, returned once nothing is in flight on it;
 * `returning`: its return is being written; `done`: returned (or found settled); `lost`: this
 * container no longer knows its stored state (a write failed): the sweeper settles it.
 */
type LeaseState = 'active' | 'draining' | 'returning' | 'done' | 'lost';

interface LocalLease {
  slot: Slot;
  id: string;
  key: BudgetKey;
  /** The amount as stored. */
  amount: number;
  /** Maximum amounts of reservations in flight. */
  reserved: number;
  /** Actual amounts settled since the last write that moved them to spent. */
  used: number;
  expires_at: number;
  last_used: number;
  state: LeaseState;
  /** The write in flight on this lease (one at a time: each is conditional on the last). */
  writing: Promise<unknown> | undefined;
  /** When a failed return may be tried again. */
  retry_at: number | undefined;
}

interface Waiter {
  amount: number;
  resolve(result: ReserveResult): void;
  reject(err: unknown): void;
}

/** What the store last said about the slot's current period. */
interface Seen {
  limit: number;
  spent: number;
  revision: number;
  available: number;
  /** Leases on the item. */
  leases: number;
}

interface Slot {
  tenant: string;
  spec: BudgetSpec;
  budget: string;
  window: PeriodWindow;
  seen: Seen | undefined;
  /** The period read (and created, and its limit synced) for `syncedFor`. */
  sync: Promise<void> | undefined;
  syncedFor: string | undefined;
  active: LocalLease | undefined;
  leases: Set<LocalLease>;
  waiters: Waiter[];
  acquiring: boolean;
  rate: DemandRate | undefined;
  /** A refusal remembered: `held` until `until`; `exhausted` (more than `unspent`) for the period. */
  refused: { until: number; seen: Seen } | undefined;
  /** Costs of zero-amount reservations, charged with the next lease returned in their period. */
  debt: Map<string, number>;
  last_seen: number;
}

type Acquired = 'taken' | 'retry' | 'refused';

/** A slot with nothing outstanding is forgotten after this long. */
const SLOT_IDLE_MS = 600_000;
/** A failed return is retried after this long. */
const RETURN_RETRY_MS = 1_000;
/** Consecutive failed lease attempts for one batch of waiters before they are refused. */
const MAX_LEASE_ATTEMPTS = 5;

const DEFAULT_TIMERS: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class BudgetLeases {
  readonly holder: string;
  readonly policy: LeasePolicy;
  readonly #store: BudgetStore;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #onError: (err: unknown) => void;
  readonly #slots = new Map<string, Slot>();
  #seq = 0;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(options: BudgetLeasesOptions) {
    this.#store = options.store;
    this.holder = options.holder ?? randomBytes(6).toString('hex');
    this.#now = options.now ?? (() => Date.now());
    this.#timers = options.timers ?? DEFAULT_TIMERS;
    this.policy = { ...DEFAULT_LEASE_POLICY, ...options.policy };
    this.#onError = options.onError ?? (() => undefined);
  }

  /**
   * Reserves `amount` (a non-negative integer in the spec's unit: nano-USD, tokens or requests) of the
   * tenant's budget for one request. Resolves to a reservation, or to a refusal that says which
   * budget, why and when to retry (turn it into the HTTP error with `budgetRefusalError`).
   * Rejects with BudgetUnavailableError when the store cannot be reached (never served unmetered).
   */
  async reserve(tenant: string, spec: BudgetSpec, amount: number): Promise<ReserveResult> {
    assertBudgetAmount('amount', amount);
    const now = this.#now();
    const slot = this.#slot(tenant, spec, now);
    if (amount === 0) return this.#zeroReservation(slot);
    slot.rate = addDemand(slot.rate, amount, now, this.policy.rateTauMs);
    const lease = this.#usable(slot, now);
    if (lease && free(lease) >= amount) return this.#take(lease, amount, now);
    const cached = this.#cachedRefusal(slot, amount, now);
    if (cached) return cached;
    return new Promise<ReserveResult>((resolve, reject) => {
      slot.waiters.push({ amount, resolve, reject });
      void this.#acquire(slot);
    });
  }

  /**
   * Reserves synchronously when this container's lease for every item has room (the common case:
   * no store write, no await, so the router decides and dispatches in one step); undefined when
   * any item needs a store write or may be refused: then call `reserveAll`. All or none.
   */
  reserveAllNow(
    tenant: string,
    items: ReadonlyArray<{ spec: BudgetSpec; amount: number }>,
  ): BudgetReservationSet | undefined {
    const now = this.#now();
    const leases: Array<LocalLease | undefined> = [];
    const asked = new Map<LocalLease, number>();
    for (const item of items) {
      assertBudgetAmount('amount', item.amount);
      const slot = this.#slot(tenant, item.spec, now);
      if (item.amount === 0) {
        leases.push(undefined);
        continue;
      }
      const lease = this.#usable(slot, now);
      const total = (lease ? (asked.get(lease) ?? 0) : 0) + item.amount;
      if (!lease || free(lease) < total) return undefined;
      asked.set(lease, total);
      leases.push(lease);
    }
    const taken = items.map((item, i) => {
      const lease = leases[i];
      const slot = this.#slot(tenant, item.spec, now);
      if (!lease) return this.#zeroReservation(slot);
      slot.rate = addDemand(slot.rate, item.amount, now, this.policy.rateTauMs);
      return this.#take(lease, item.amount, now);
    });
    return reservationSet(taken);
  }

  /** Reserves against several budgets (spend and tokens per minute): all, or none and the first refusal. */
  async reserveAll(
    tenant: string,
    items: ReadonlyArray<{ spec: BudgetSpec; amount: number }>,
  ): Promise<BudgetReservationSet | BudgetRefusal> {
    const taken: BudgetReservation[] = [];
    try {
      for (const item of items) {
        const r = await this.reserve(tenant, item.spec, item.amount);
        if (!r.ok) {
          for (const t of taken) t.release();
          return r;
        }
        taken.push(r);
      }
    } catch (err) {
      for (const t of taken) t.release();
      throw err;
    }
    return reservationSet(taken);
  }

  /**
   * What is left of the tenant's budget period, as far as this container knows (reads the period
   * once per period; then answers from memory). For budget-aware degrade (`budgetCostCap`).
   */
  async remaining(tenant: string, spec: BudgetSpec): Promise<BudgetRemaining> {
    const now = this.#now();
    const slot = this.#slot(tenant, spec, now);
    try {
      await this.#synced(slot);
    } catch (err) {
      throw new BudgetUnavailableError(undefined, { cause: err });
    }
    const lease = this.#usable(slot, now);
    return {
      remaining: (slot.seen?.available ?? spec.limit) + (lease ? Math.max(0, free(lease)) : 0),
      limit: slot.seen?.limit ?? spec.limit,
      period: slot.window.key,
      resets_at: spec.period === 'total' ? null : slot.window.ends_at,
    };
  }

  /** Returns every lease with nothing in flight now (e.g. on SIGTERM) and waits for the writes. */
  async flush(): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const slot of this.#slots.values()) {
      if (slot.active) this.#drain(slot.active);
      for (const lease of slot.leases) {
        if (lease.state === 'draining' && lease.reserved === 0) {
          lease.retry_at = undefined;
          this.#return(lease);
        }
        if (lease.writing) writes.push(lease.writing);
      }
    }
    await Promise.all(writes);
  }

  /** Stops the timer (leases left are returned by nobody: the sweeper settles them). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /** Outstanding leases of this container (for tests, metrics and the bench). */
  leases(): Array<{
    id: string;
    key: BudgetKey;
    amount: number;
    reserved: number;
    used: number;
    state: string;
  }> {
    return [...this.#slots.values()].flatMap((s) =>
      [...s.leases].map((l) => ({
        id: l.id,
        key: l.key,
        amount: l.amount,
        reserved: l.reserved,
        used: l.used,
        state: l.state,
      })),
    );
  }

  // --- slots and periods -------------------------------------------------------------------

  #slot(tenant: string, spec: BudgetSpec, now: number): Slot {
    const budget = budgetId(spec);
    const id = `${tenant}\u0000${budget}`;
    let slot = this.#slots.get(id);
    if (!slot) {
      this.#forgetIdleSlots(now);
      slot = {
        tenant,
        spec,
        budget,
        window: periodWindow(spec.period, now),
        seen: undefined,
        sync: undefined,
        syncedFor: undefined,
        active: undefined,
        leases: new Set(),
        waiters: [],
        acquiring: false,
        rate: undefined,
        refused: undefined,
        debt: new Map(),
        last_seen: now,
      };
      this.#slots.set(id, slot);
    } else if (slot.spec.limit !== spec.limit || (slot.spec.revision ?? 0) !== (spec.revision ?? 0)) {
      // The tenant's budget changed: sync the limit before the next lease, forget refusals.
      slot.spec = spec;
      slot.refused = undefined;
    }
    slot.last_seen = now;
    this.#roll(slot, now);
    return slot;
  }

  /** Forgets slots with nothing outstanding that no request touched for SLOT_IDLE_MS. */
  #forgetIdleSlots(now: number): void {
    for (const [id, slot] of this.#slots) {
      if (slot.leases.size === 0 && slot.waiters.length === 0 && now - slot.last_seen >= SLOT_IDLE_MS) {
        this.#slots.delete(id);
      }
    }
  }

  /** Moves the slot to the period `now` falls in; the old period's lease drains. */
  #roll(slot: Slot, now: number): void {
    if (now < slot.window.ends_at) return;
    slot.window = periodWindow(slot.spec.period, now);
    slot.seen = undefined;
    slot.refused = undefined;
    if (slot.active) this.#drain(slot.active);
  }

  /** The period item read (created on first use) and its limit synced to the spec, once per period and spec. */
  #synced(slot: Slot): Promise<void> {
    const revision = slot.spec.revision ?? 0;
    const wanted = `${slot.window.key}|${slot.spec.limit}|${revision}`;
    if (slot.syncedFor === wanted && slot.sync) return slot.sync;
    const window = slot.window;
    const key = this.#key(slot);
    const spec = slot.spec;
    const sync = (async () => {
      const record = await syncPeriod(this.#store, key, spec, window, revision);
      if (slot.window.key === window.key) this.#see(slot, record);
    })();
    slot.syncedFor = wanted;
    slot.sync = sync;
    sync.catch(() => {
      if (slot.sync === sync) {
        slot.sync = undefined;
        slot.syncedFor = undefined;
      }
    });
    return sync;
  }

  #see(slot: Slot, record: BudgetPeriodRecord): void {
    slot.seen = {
      limit: record.limit,
      spent: record.spent,
      revision: record.revision,
      available: record.available,
      leases: Object.keys(record.leases).length,
    };
  }

  /** What a lease write said about the period (if the slot is still on it). */
  #seeAfterWrite(slot: Slot, key: BudgetKey, available: number, leases: number): void {
    if (slot.seen && key.period === slot.window.key) slot.seen = { ...slot.seen, available, leases };
  }

  #key(slot: Slot): BudgetKey {
    return { tenant: slot.tenant, budget: slot.budget, period: slot.window.key };
  }

  // --- reserving ---------------------------------------------------------------------------

  /** The slot's active lease if it may take reservations at `now`. */
  #usable(slot: Slot, now: number): LocalLease | undefined {
    const lease = slot.active;
    if (!lease) return undefined;
    if (lease.key.period !== slot.window.key || now >= lease.expires_at - this.policy.drainMs) {
      this.#drain(lease);
      return undefined;
    }
    return lease;
  }

  #take(lease: LocalLease, amount: number, now: number): BudgetReservation {
    lease.reserved += amount;
    lease.last_used = now;
    let done = false;
    const finish = (actual: number | undefined): boolean => {
      if (actual !== undefined) assertBudgetAmount('actual', actual);
      if (done) return false;
      done = true;
      lease.reserved -= amount;
      if (actual !== undefined) lease.used += actual;
      if (lease.state === 'draining' && lease.reserved === 0) this.#return(lease);
      else this.#scheduleFor(lease);
      return true;
    };
    return {
      ok: true,
      tenant: lease.slot.tenant,
      budget: lease.slot.budget,
      period: lease.key.period,
      amount,
      lease_id: lease.id,
      settle: (actual) => finish(actual),
      release: () => finish(undefined),
    };
  }

  #zeroReservation(slot: Slot): BudgetReservation {
    const period = slot.window.key;
    let done = false;
    const finish = (actual: number): boolean => {
      assertBudgetAmount('actual', actual);
      if (done) return false;
      done = true;
      if (actual > 0) slot.debt.set(period, (slot.debt.get(period) ?? 0) + actual);
      return true;
    };
    return {
      ok: true,
      tenant: slot.tenant,
      budget: slot.budget,
      period,
      amount: 0,
      lease_id: undefined,
      settle: finish,
      release: () => finish(0),
    };
  }

  #cachedRefusal(slot: Slot, amount: number, now: number): BudgetRefusal | undefined {
    const r = slot.refused;
    if (!r) return undefined;
    const exhausted = amount > r.seen.limit - r.seen.spent;
    if (!exhausted && (now >= r.until || amount <= r.seen.available)) return undefined;
    return this.#refusal(slot, r.seen, amount, now);
  }

  #refusal(slot: Slot, seen: Seen, amount: number, now: number): BudgetRefusal {
    return budgetRefusal({
      tenant: slot.tenant,
      spec: slot.spec,
      window: slot.window,
      limit: seen.limit,
      spent: seen.spent,
      available: seen.available,
      requested: amount,
      now,
      heldRetryMs: this.policy.heldRetryMs,
    });
  }

  /** Serves waiters (in order; those that do not fit wait) from the active lease. */
  #serve(slot: Slot, now: number): void {
    const lease = this.#usable(slot, now);
    if (!lease) return;
    slot.waiters = slot.waiters.filter((w) => {
      if (free(lease) < w.amount) return true;
      w.resolve(this.#take(lease, w.amount, now));
      return false;
    });
  }

  /** Leases (or tops up) for the waiting reservations, one write at a time per slot, until none waits. */
  async #acquire(slot: Slot): Promise<void> {
    if (slot.acquiring) return;
    slot.acquiring = true;
    let failures = 0;
    try {
      while (slot.waiters.length > 0) {
        let now = this.#now();
        this.#roll(slot, now);
        this.#serve(slot, now);
        if (slot.waiters.length === 0) break;
        await this.#synced(slot);
        now = this.#now();
        this.#roll(slot, now);
        if (slot.seen === undefined) continue; // the period rolled over while reading: read the new one
        const active = this.#usable(slot, now);
        const need =
          slot.waiters.reduce((sum, w) => sum + w.amount, 0) - (active ? Math.max(0, free(active)) : 0);
        const size = leaseSize(
          {
            need,
            amountPerMs: demandPerMs(slot.rate, now, this.policy.rateTauMs).amount,
            available: slot.seen.available,
            leases: slot.seen.leases,
          },
          this.policy,
        );
        const outcome = active ? await this.#topUp(active, size) : await this.#lease(slot, size, now);
        if (outcome === 'taken') {
          failures = 0;
          continue;
        }
        failures++;
        const seen = slot.seen;
        if (outcome === 'retry' && failures < MAX_LEASE_ATTEMPTS) continue;
        if (!seen)
          throw new Error(`budget period ${slot.budget}#${slot.window.key} cannot be read or created`);
        // Refused: the waiters that fit in what the store has (in order) try again, the rest are
        // refused; after MAX_LEASE_ATTEMPTS lost races in a row, all are.
        const giveUp = failures >= MAX_LEASE_ATTEMPTS;
        const spare = Math.max(0, slot.active ? free(slot.active) : 0);
        let fits = 0;
        slot.waiters = slot.waiters.filter((w) => {
          if (!giveUp && fits + w.amount <= seen.available + spare) {
            fits += w.amount;
            return true;
          }
          // What is left for this one: not leased out, and not promised to a waiter before it.
          const left = Math.max(0, seen.available + spare - fits);
          w.resolve(this.#refusal(slot, { ...seen, available: left }, w.amount, now));
          return false;
        });
        slot.refused = { until: now + this.policy.refusalCacheMs, seen };
      }
    } catch (err) {
      const waiters = slot.waiters;
      slot.waiters = [];
      const error = new BudgetUnavailableError(undefined, { cause: err });
      for (const w of waiters) w.reject(error);
    } finally {
      slot.acquiring = false;
    }
  }

  /** A new lease of `amount` for the slot's period; it becomes the active one. */
  async #lease(slot: Slot, amount: number, now: number): Promise<Acquired> {
    const key = this.#key(slot);
    const lease: LocalLease = {
      slot,
      id: `${this.holder}.${(++this.#seq).toString(36)}`,
      key,
      amount,
      reserved: 0,
      used: 0,
      expires_at: now + this.policy.ttlMs,
      last_used: now,
      state: 'active',
      writing: undefined,
      retry_at: undefined,
    };
    let outcome: Awaited<ReturnType<BudgetStore['lease']>>;
    try {
      outcome = await this.#store.lease(key, lease.id, {
        amount,
        expires_at: lease.expires_at,
        holder: this.holder,
      });
    } catch (err) {
      // The write may or may not have happened: give it back (a no-op if it did not).
      lease.state = 'draining';
      slot.leases.add(lease);
      this.#return(lease);
      throw err;
    }
    if (outcome.ok) {
      slot.leases.add(lease);
      if (slot.active) this.#drain(slot.active);
      this.#seeAfterWrite(slot, key, outcome.available, outcome.leases);
      if (key.period === slot.window.key) {
        slot.active = lease;
        slot.refused = undefined;
      } else {
        this.#drain(lease);
      }
      this.#scheduleFor(lease);
      return 'taken';
    }
    if (outcome.reason === 'missing') {
      slot.syncedFor = undefined;
      return 'retry';
    }
    if (outcome.record && key.period === slot.window.key) this.#see(slot, outcome.record);
    if (outcome.reason === 'exists') return 'retry';
    return this.#fitsNow(slot) ? 'retry' : 'refused';
  }

  /** Adds `more` to the active lease (and renews it, moving what was settled so far to spent). */
  async #topUp(lease: LocalLease, more: number): Promise<Acquired> {
    const result = await this.#renew(lease, more);
    if (result === 'ok') {
      lease.slot.refused = undefined;
      return 'taken';
    }
    if (result === 'gone') return 'retry'; // the next round leases anew
    return this.#fitsNow(lease.slot) ? 'retry' : 'refused';
  }

  /** Whether every waiter fits in what the store and the active lease have, as last seen. */
  #fitsNow(slot: Slot): boolean {
    const need = slot.waiters.reduce((sum, w) => sum + w.amount, 0);
    const spare = slot.active ? Math.max(0, free(slot.active)) : 0;
    return slot.seen !== undefined && need <= slot.seen.available + spare;
  }

  /**
   * One top-up write on `lease` (queued behind the write in flight on it): `used` so far to
   * spent, `more` from available, expiry renewed. `gone`: it expired or is no longer there (then
   * it drains, or is lost); a failed write is checked against the stored lease to learn whether
   * it happened, and the lease is lost if that cannot be told.
   */
  #renew(lease: LocalLease, more: number): Promise<'ok' | 'gone' | 'insufficient'> {
    const run = async (): Promise<'ok' | 'gone' | 'insufficient'> => {
      if (lease.state !== 'active' && lease.state !== 'draining') return 'gone';
      if (more > 0 && lease.state !== 'active') return 'gone'; // drained meanwhile: take no more on it
      const now = this.#now();
      const { amount, used } = lease;
      const change = { amount, used, more, expires_at: now + this.policy.ttlMs, now };
      const adopt = () => {
        lease.amount = amount - used + more;
        lease.used -= used;
        lease.expires_at = change.expires_at;
      };
      let outcome: Awaited<ReturnType<BudgetStore['topUpLease']>>;
      try {
        outcome = await this.#store.topUpLease(lease.key, lease.id, change);
      } catch (err) {
        this.#onError(err);
        const stored = await this.#store.getPeriod(lease.key).then(
          (r) => r?.leases[lease.id],
          () => null,
        );
        if (stored?.amount === change.amount - used + more && stored.expires_at === change.expires_at)
          adopt();
        else if (stored?.amount !== amount || stored.expires_at !== lease.expires_at) this.#lose(lease);
        throw err;
      }
      if (outcome.ok) {
        adopt();
        this.#seeAfterWrite(lease.slot, lease.key, outcome.available, outcome.leases);
        return 'ok';
      }
      if (outcome.record && lease.key.period === lease.slot.window.key) this.#see(lease.slot, outcome.record);
      if (outcome.reason === 'insufficient') return 'insufficient';
      // Expired but still there: it can still be returned (more exactly than the sweeper would).
      if (outcome.record?.leases[lease.id]?.amount === amount) this.#drain(lease);
      else this.#lose(lease);
      return 'gone';
    };
    return this.#queue(lease, run);
  }

  /** Runs `write` after the write in flight on `lease` (each is conditional on the state the last left). */
  #queue<T>(lease: LocalLease, write: () => Promise<T>): Promise<T> {
    const before = lease.writing;
    const p = (before ? before.then(write, write) : write()).finally(() => {
      if (lease.writing === settledP) lease.writing = undefined;
      this.#scheduleFor(lease);
    });
    const settledP = p.then(
      () => undefined,
      () => undefined,
    );
    lease.writing = settledP;
    return p;
  }

  // --- giving back -------------------------------------------------------------------------

  /** Stops a lease taking reservations; returns it now when nothing is in flight on it. */
  #drain(lease: LocalLease): void {
    if (lease.slot.active === lease) lease.slot.active = undefined;
    if (lease.state !== 'active') return;
    lease.state = 'draining';
    if (lease.reserved === 0) this.#return(lease);
    else this.#scheduleFor(lease);
  }

  /** The lease no longer has a state this container knows: nothing more is written for it. */
  #lose(lease: LocalLease): void {
    if (lease.slot.active === lease) lease.slot.active = undefined;
    lease.state = 'lost';
    lease.slot.leases.delete(lease);
  }

  /** Returns a drained lease with nothing in flight (queued behind any write on it). */
  #return(lease: LocalLease): void {
    if (lease.state !== 'draining' || lease.reserved !== 0) return;
    lease.state = 'returning';
    void this.#queue(lease, () => this.#returnOnce(lease));
  }

  async #returnOnce(lease: LocalLease): Promise<void> {
    const { slot, key } = lease;
    if (lease.state !== 'returning') return;
    // Costs of zero-amount reservations ride on the next return of their period.
    const debt = slot.debt.get(key.period) ?? 0;
    slot.debt.delete(key.period);
    const giveBack = () => {
      if (debt > 0) slot.debt.set(key.period, (slot.debt.get(key.period) ?? 0) + debt);
    };
    try {
      const returned = await this.#store.returnLease(key, lease.id, lease.amount, lease.used + debt);
      // Not returned: the sweeper settled it at its full amount (or the lease write never landed).
      if (!returned) giveBack();
      lease.state = 'done';
      slot.leases.delete(lease);
    } catch (err) {
      giveBack();
      this.#onError(err);
      const now = this.#now();
      if (now >= lease.expires_at + this.policy.ttlMs) {
        // Long expired: the sweeper has settled it, or will.
        lease.state = 'done';
        slot.leases.delete(lease);
        return;
      }
      lease.state = 'draining';
      lease.retry_at = now + RETURN_RETRY_MS;
    }
  }

  // --- the timer ---------------------------------------------------------------------------

  /** When the timer must next look at `lease`: idle return, renewal, period end or a retried return. */
  #dueAt(lease: LocalLease, now: number): number {
    const p = this.policy;
    const { slot } = lease;
    if (lease.state === 'returning' || lease.state === 'done' || lease.state === 'lost') {
      return Number.POSITIVE_INFINITY;
    }
    let due = Number.POSITIVE_INFINITY;
    if (lease.state === 'active') {
      due = lease.key.period === slot.window.key ? slot.window.ends_at : now;
      if (lease.reserved === 0) due = Math.min(due, lease.last_used + this.#idleMs(slot));
    }
    if (lease.state === 'draining' && lease.reserved === 0) due = Math.min(due, lease.retry_at ?? now);
    if ((lease.state === 'active' || lease.reserved > 0) && !lease.writing && lease.expires_at > now) {
      due = Math.min(due, lease.expires_at - p.renewBeforeMs);
    }
    return due;
  }

  #idleMs(slot: Slot): number {
    return idleReturnAfterMs(slot.rate?.gap_ms, this.policy);
  }

  #scheduleFor(lease: LocalLease): void {
    this.#arm(this.#dueAt(lease, this.#now()));
  }

  #arm(at: number): void {
    if (this.#stopped || !(at < this.#timerAt)) return;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    const now = this.#now();
    this.#timerAt = Math.max(at, now);
    this.#timer = this.#timers.setTimeout(() => this.#tick(), Math.max(0, at - now));
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#stopped) return;
    const now = this.#now();
    const p = this.policy;
    let next = Number.POSITIVE_INFINITY;
    for (const slot of this.#slots.values()) {
      this.#roll(slot, now);
      for (const lease of [...slot.leases]) {
        if (lease.state === 'active' && lease.reserved === 0 && now >= lease.last_used + this.#idleMs(slot)) {
          this.#drain(lease);
        }
        if (lease.state === 'draining' && lease.reserved === 0 && (lease.retry_at ?? now) <= now) {
          lease.retry_at = undefined;
          this.#return(lease);
        }
        const inUse = lease.state === 'active' || (lease.state === 'draining' && lease.reserved > 0);
        if (inUse && !lease.writing && now < lease.expires_at && now >= lease.expires_at - p.renewBeforeMs) {
          this.#renew(lease, 0).catch(() => undefined);
        }
        if (slot.leases.has(lease)) next = Math.min(next, this.#dueAt(lease, now));
      }
    }
    if (next < Number.POSITIVE_INFINITY) this.#arm(Math.max(next, now + 1));
  }
}

function reservationSet(taken: BudgetReservation[]): BudgetReservationSet {
  return {
    ok: true,
    reservations: taken,
    settle: (actuals) => {
      taken.forEach((t, i) => {
        t.settle(actuals[i] ?? 0);
      });
    },
    release: () => {
      for (const t of taken) t.release();
    },
  };
}

function free(lease: LocalLease): number {
  return lease.amount - lease.reserved - lease.used;
}
