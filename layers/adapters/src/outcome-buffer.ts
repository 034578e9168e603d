// Batches the router's passive outcomes (latency, success), and its local circuit changes, so the
// request path never waits on the health table: items are buffered in memory and written by one
// background flush at most every `flushIntervalMs` (or sooner when `maxBuffered` pile up); a
// timer writes what is left when traffic stops. In Lambda a flush or timer pending when the
// response is sent resumes on the container's next invocation.
import type { Outcome } from '@switchyard/core';

export interface OutcomeBufferOptions<T = Outcome> {
  sink: (items: T[]) => Promise<void>;
  /** @default 1000 */
  flushIntervalMs?: number;
  /** @default 500 */
  maxBuffered?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export class OutcomeBuffer<T = Outcome> {
  #pending: T[] = [];
  #inFlight: Promise<void> | undefined;
  #lastFlush: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #now: () => number;
  readonly #interval: number;

  constructor(private readonly options: OutcomeBufferOptions<T>) {
    this.#now = options.now ?? Date.now;
    this.#interval = options.flushIntervalMs ?? 1000;
    this.#lastFlush = this.#now();
  }

  /** Buffers outcomes; starts a background flush when one is due. Never throws, never waits. */
  add(items: readonly T[]): void {
    this.#pending.push(...items);
    this.#flushOrSchedule();
  }

  #flushOrSchedule(): void {
    if (this.#pending.length === 0 || this.#inFlight) return;
    const wait = this.#interval - (this.#now() - this.#lastFlush);
    if (wait <= 0 || this.#pending.length >= (this.options.maxBuffered ?? 500)) {
      void this.#startFlush();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushOrSchedule();
      }, wait);
      this.#timer.unref?.();
    }
  }

  /**
   * Writes everything buffered, waiting for a flush already under way and for the one its end
   * starts on what arrived meanwhile.
   */
  async flush(): Promise<void> {
    while (this.#inFlight || this.#pending.length > 0) {
      await (this.#inFlight ?? this.#startFlush());
    }
  }

  get buffered(): number {
    return this.#pending.length;
  }

  #startFlush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    this.#lastFlush = this.#now();
    this.#inFlight = this.options
      .sink(batch)
      .catch((err: unknown) => this.options.onError?.(err))
      .finally(() => {
        this.#inFlight = undefined;
        this.#flushOrSchedule();
      });
    return this.#inFlight;
  }
}
