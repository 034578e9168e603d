// The health snapshot cached in memory with a TTL (TtlCache: single-flight, stale-while-error).
import type { HealthSnapshot, HealthStore } from '@switchyard/core';
import { TtlCache } from './ttl-cache.ts';

export interface CachedHealthOptions {
  source: Pick<HealthStore, 'snapshot'>;
  ttlMs: number;
  now: () => number;
  onStaleError?: (error: unknown) => void;
}

export class CachedHealth {
  readonly #cache: TtlCache<HealthSnapshot>;

  constructor(options: CachedHealthOptions) {
    const { source, ...rest } = options;
    this.#cache = new TtlCache({ ...rest, load: () => source.snapshot() });
  }

  get(): Promise<HealthSnapshot> {
    return this.#cache.get();
  }

  invalidate(): void {
    this.#cache.invalidate();
  }
}
