// A single-value cache with a TTL for Lambda module scope: one in-flight load shared by
// concurrent callers (single-flight), and stale-while-error: when a reload fails and an older
// value exists, the older value is served and the next call retries.

export interface TtlCacheOptions<T> {
  load: () => Promise<T>;
  ttlMs: number;
  now: () => number;
  /** Called when a reload failed and the stale value was served instead. */
  onStaleError?: (error: unknown) => void;
}

export class TtlCache<T> {
  readonly #load: () => Promise<T>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #onStaleError: ((error: unknown) => void) | undefined;
  #value: { value: T; expiresAt: number } | undefined;
  #inflight: Promise<T> | undefined;
  #generation = 0;

  constructor(options: TtlCacheOptions<T>) {
    this.#load = options.load;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#onStaleError = options.onStaleError;
  }

  /** The cached value, reloading it when it is older than the TTL. */
  get(): Promise<T> {
    const cached = this.#value;
    if (cached && this.#now() < cached.expiresAt) return Promise.resolve(cached.value);
    if (this.#inflight) return this.#inflight;
    const inflight = this.#reload(this.#generation).finally(() => {
      if (this.#inflight === inflight) this.#inflight = undefined;
    });
    this.#inflight = inflight;
    return inflight;
  }

  /**
   * Forgets the TTL so the next `get` starts a fresh load, even if one is in flight (its result
   * is then served to its own callers only). A failing reload still falls back to the old value.
   */
  invalidate(): void {
    this.#generation++;
    this.#inflight = undefined;
    if (this.#value) this.#value = { ...this.#value, expiresAt: Number.NEGATIVE_INFINITY };
  }

  async #reload(generation: number): Promise<T> {
    try {
      const value = await this.#load();
      if (generation === this.#generation) {
        this.#value = { value, expiresAt: this.#now() + this.#ttlMs };
      }
      return value;
    } catch (error) {
      if (!this.#value) throw error;
      this.#onStaleError?.(error);
      return this.#value.value;
    }
  }
}
