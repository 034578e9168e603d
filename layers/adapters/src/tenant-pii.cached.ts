// TenantPiiSource with a per-tenant TTL cache (module scope in the router): one read per tenant
// and TTL, shared by concurrent requests; a failed reload serves the last value it has, and a
// tenant with none yet is answered 503 (privacy_unavailable): never a laxer action than it set.
import { type PiiAction, PrivacyUnavailableError, type TenantPiiSource } from '@switchyard/core';
import { TtlCache } from './ttl-cache.ts';

export interface CachedTenantPiiOptions {
  source: TenantPiiSource;
  ttlMs: number;
  now: () => number;
  /** Tenants kept at most (the least recently added go first). @default 10_000 */
  maxTenants?: number;
  onStaleError?: (error: unknown) => void;
}

export class CachedTenantPii implements TenantPiiSource {
  readonly #options: CachedTenantPiiOptions;
  readonly #caches = new Map<string, TtlCache<PiiAction | undefined>>();

  constructor(options: CachedTenantPiiOptions) {
    this.#options = options;
  }

  async piiAction(tenant: string): Promise<PiiAction | undefined> {
    let cache = this.#caches.get(tenant);
    if (!cache) {
      const { source, ttlMs, now, onStaleError } = this.#options;
      cache = new TtlCache({
        load: () => source.piiAction(tenant),
        ttlMs,
        now,
        ...(onStaleError ? { onStaleError } : {}),
      });
      this.#caches.set(tenant, cache);
      if (this.#caches.size > (this.#options.maxTenants ?? 10_000)) {
        const oldest = this.#caches.keys().next().value;
        if (oldest !== undefined) this.#caches.delete(oldest);
      }
    }
    try {
      return await cache.get();
    } catch (err) {
      throw new PrivacyUnavailableError(undefined, { cause: err });
    }
  }
}
