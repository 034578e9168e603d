// Batches the router's passive outcomes (latency, success) so the request path never waits on
// the health table: outcomes are buffered in memory and written by one background flush at most
// every `flushIntervalMs` (or sooner when `maxBuffered` pile up). In Lambda a flush still running
// when the response is sent resumes on the container's next invocation.
import type { Outcome } from '@switchyard/core';

export interface OutcomeBufferOptions {
  sink: (outcomes: Outcome[]) => Promise<void>;
  /** @default 1000 */
  flushIntervalMs?: number;
  /** @default 500 */
  maxBuffered?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export class OutcomeBuffer {
  #pending: Outcome[] = [];
  #inFlight: Promise<void> | undefined;
  #lastFlush: number;
  readonly #now: () => number;

  constructor(private readonly options: OutcomeBufferOptions) {
    this.#now = options.now ?? Date.now;
    this.#lastFlush = this.#now();
  }

  /** Buffers outcomes; starts a background flush when one is due. Never throws, never waits. */
  add(outcomes: readonly Outcome[]): void {
    this.#pending.push(...outcomes);
    const due =
      this.#now() - this.#lastFlush >= (this.options.flushIntervalMs ?? 1000) ||
      this.#pending.length >= (this.options.maxBuffered ?? 500);
    if (due && !this.#inFlight) void this.#startFlush();
  }

  /** Writes everything buffered, waiting for a flush already under way. */
  async flush(): Promise<void> {
    if (this.#inFlight) await this.#inFlight;
    if (this.#pending.length > 0) await this.#startFlush();
  }

  get buffered(): number {
    return this.#pending.length;
  }

  #startFlush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#lastFlush = this.#now();
    this.#inFlight = this.options
      .sink(batch)
      .catch((err: unknown) => this.options.onError?.(err))
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }
}
