// The simulated endpoints' prefix cache: what a vLLM/TGI/SGLang replica keeps of the prompts it
// served recently, so a request that starts like one of them skips most of the prefill and gets
// its first token sooner. Modelled by the conversation key (core affinity-key.ts: the messages
// up to and including the first user message): a replica that served a request with the same
// key within `ttl_ms`, and has not evicted it for `max_entries` newer keys since (LRU), serves
// the request with its time to first token multiplied by `ttft_factor`.
// Used by sim-endpoints.server.ts and by the affinity bench (the same model of the cache).

export interface PrefixCacheSettings {
  /** The time to first token of a hit, as a share of a miss's (0..1). @default 0.3 */
  ttft_factor: number;
  /** How long a key stays cached after its last use. @default 300_000 */
  ttl_ms: number;
  /** Keys kept; the least recently used goes first. @default 1024 */
  max_entries: number;
}

export const PREFIX_CACHE_DEFAULTS: PrefixCacheSettings = {
  ttft_factor: 0.3,
  ttl_ms: 300_000,
  max_entries: 1024,
};

export class PrefixCache {
  /** Key -> expiry; Map order is recency (oldest first). */
  readonly #entries = new Map<string, number>();
  hits = 0;
  misses = 0;

  constructor(
    readonly settings: PrefixCacheSettings,
    private readonly now: () => number,
  ) {}

  /** Whether `key` is cached now (a hit); either way it is cached afresh, as the replica's prefill does. */
  use(key: string): boolean {
    const at = this.now();
    const expiry = this.#entries.get(key);
    const hit = expiry !== undefined && expiry > at;
    this.#entries.delete(key);
    this.#entries.set(key, at + this.settings.ttl_ms);
    while (this.#entries.size > this.settings.max_entries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    if (hit) this.hits++;
    else this.misses++;
    return hit;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * The latency before jitter of one request: the time to first token (`ttft_ms`, else the
 * latency) for a stream, the latency for a buffered answer; a hit takes (1 - ttft_factor) of the
 * time to first token off either.
 */
export function prefilledLatencyMs(
  timing: { latency_ms: number; ttft_ms?: number | undefined },
  streaming: boolean,
  hit: boolean,
  ttftFactor: number,
): number {
  const ttft = timing.ttft_ms ?? timing.latency_ms;
  const base = streaming ? ttft : timing.latency_ms;
  return hit ? Math.max(0, base - ttft * (1 - ttftFactor)) : base;
}
