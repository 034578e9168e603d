// TenantBudgetSource with a per-tenant TTL cache (module scope in the router): one read per tenant
// and TTL, shared by concurrent requests; a failed reload serves the last value it has. A budget
// change (limit, degrade) takes effect within the TTL.
import type { TenantBudgetConfig, TenantBudgetSource } from '@switchyard/core';
import { TtlCache } from './ttl-cache.ts';

export interface CachedTenantBudgetsOptions {
  source: TenantBudgetSource;
  ttlMs: number;
  now: () => number;
  /** Tenants kept at most (the least recently added go first). @default 10_000 */
  maxTenants?: number;
  onStaleError?: (error: unknown) => void;
}

export class CachedTenantBudgets implements TenantBudgetSource {
  readonly #options: CachedTenantBudgetsOptions;
  readonly #caches = new Map<string, TtlCache<TenantBudgetConfig | undefined>>();

  constructor(options: CachedTenantBudgetsOptions) {
    this.#options = options;
  }

  get(tenant: string): Promise<TenantBudgetConfig | undefined> {
    let cache = this.#caches.get(tenant);
    if (!cache) {
      const { source, ttlMs, now, onStaleError } = this.#options;
      cache = new TtlCache({
        load: () => source.get(tenant),
        ttlMs,
        now,
        ...(onStaleError ? { onStaleError } : {}),
      });
      this.#caches.set(tenant, cache);
      const max = this.#options.maxTenants ?? 10_000;
      if (this.#caches.size > max) {
        const oldest = this.#caches.keys().next().value;
        if (oldest !== undefined) this.#caches.delete(oldest);
      }
    }
    return cache.get();
  }
}
