// Writes usage records from the request path without losing them and without counting one twice.
// `record` puts the record (awaited, so the answer leaves only after its record is stored in the
// normal case), retrying a failed put a few times with backoff; puts are idempotent by
// (tenant, request_id, at), so a retry after a timeout whose first write landed is harmless. A
// record still not written goes to a backlog that a timer retries until the store takes it
// (the answer is not held hostage to the usage table). What a backlog holds when its container
// dies is lost: `pending()` is exported as a metric and the README names this limit.
import type { UsageRecord, UsageStore } from '@switchyard/core';
import type { Timers } from './budget-leases.ts';

export interface UsageWriterOptions {
  store: UsageStore;
  /** Puts per record on the request path before it goes to the backlog. @default 3 */
  attempts?: number;
  /** Backoff before the second put, doubled per attempt. @default 50 */
  baseDelayMs?: number;
  /** Backlog retry interval. @default 1000 */
  retryMs?: number;
  /** Records kept in the backlog at most (the oldest are dropped, and reported). @default 10_000 */
  maxBacklog?: number;
  timers?: Timers;
  /** A put failed (each failure), or a record was dropped from a full backlog. */
  onError?: (err: unknown, record: UsageRecord) => void;
}

const DEFAULT_TIMERS: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class UsageWriter {
  readonly #store: UsageStore;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #retryMs: number;
  readonly #maxBacklog: number;
  readonly #timers: Timers;
  readonly #onError: (err: unknown, record: UsageRecord) => void;
  readonly #backlog: UsageRecord[] = [];
  #timer: unknown;
  #stopped = false;
  #draining: Promise<void> | undefined;

  constructor(options: UsageWriterOptions) {
    this.#store = options.store;
    this.#attempts = Math.max(1, options.attempts ?? 3);
    this.#baseDelayMs = options.baseDelayMs ?? 50;
    this.#retryMs = options.retryMs ?? 1000;
    this.#maxBacklog = options.maxBacklog ?? 10_000;
    this.#timers = options.timers ?? DEFAULT_TIMERS;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Stores `record`; resolves true when written now, false when it went to the backlog. Never rejects. */
  async record(record: UsageRecord): Promise<boolean> {
    for (let i = 0; i < this.#attempts; i++) {
      if (i > 0) await this.#sleep(this.#baseDelayMs * 2 ** (i - 1));
      try {
        await this.#store.put(record);
        return true;
      } catch (err) {
        this.#onError(err, record);
        if (err instanceof TypeError) return false; // an invalid record: no retry can help
      }
    }
    this.#enqueue(record);
    return false;
  }

  /** Records waiting in the backlog. */
  pending(): number {
    return this.#backlog.length;
  }

  /** Tries the whole backlog once now; resolves when done. */
  flush(): Promise<void> {
    if (!this.#draining) {
      this.#draining = this.#drain().finally(() => {
        this.#draining = undefined;
      });
    }
    return this.#draining;
  }

  /** Stops the retry timer for good (the backlog stays; `flush` still works). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #enqueue(record: UsageRecord): void {
    this.#backlog.push(record);
    while (this.#backlog.length > this.#maxBacklog) {
      const dropped = this.#backlog.shift() as UsageRecord;
      this.#onError(new Error('usage backlog full: record dropped'), dropped);
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped || this.#timer !== undefined || this.#backlog.length === 0) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      void this.flush().then(() => this.#arm());
    }, this.#retryMs);
  }

  async #drain(): Promise<void> {
    const batch = this.#backlog.splice(0, this.#backlog.length);
    const failed: UsageRecord[] = [];
    for (const record of batch) {
      try {
        await this.#store.put(record);
      } catch (err) {
        this.#onError(err, record);
        failed.push(record);
      }
    }
    this.#backlog.unshift(...failed);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.setTimeout(resolve, ms));
  }
}
