// The compiled registry cached in memory with a TTL (TtlCache: single-flight, stale-while-error),
// so each request pays for a registry load at most once per TTL per Lambda instance.
import type { CompiledRegistry, ModelRegistry } from '@switchyard/core';
import { compileRegistry } from '@switchyard/core';
import { TtlCache } from './ttl-cache.ts';

export interface CachedRegistryOptions {
  source: ModelRegistry;
  ttlMs: number;
  now: () => number;
  onStaleError?: (error: unknown) => void;
}

export class CachedRegistry {
  readonly #cache: TtlCache<CompiledRegistry>;

  constructor(options: CachedRegistryOptions) {
    const { source, ...rest } = options;
    this.#cache = new TtlCache({ ...rest, load: async () => compileRegistry(await source.load()) });
  }

  get(): Promise<CompiledRegistry> {
    return this.#cache.get();
  }

  /** Reload on the next `get` (e.g. after an admin write in this instance). */
  invalidate(): void {
    this.#cache.invalidate();
  }
}
