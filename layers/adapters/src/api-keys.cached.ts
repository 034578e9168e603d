// The authorizer's key lookups, cached in the container's memory. A found key (enabled or not)
// is kept `ttlMs`: that is how long a key disabled in the table may keep working in a warm
// container. An unknown hash is kept `negativeTtlMs`, shorter (a key created a moment ago starts
// working that soon), in a table of its own with its own bound, so a flood of random keys can
// only churn the negative entries and never evicts a real key. Concurrent lookups of one hash
// share one read; a failed read is not cached.
import type { ApiKeyRecord, ApiKeyStore } from '@switchyard/core';

/** The authorizer's defaults: a disabled key stops working within 10 s, a new one within 5 s. */
export const API_KEY_CACHE_TTL_MS = 10_000;
export const API_KEY_NEGATIVE_CACHE_TTL_MS = 5_000;

export interface CachedApiKeyStoreOptions {
  source: Pick<ApiKeyStore, 'findByHash'>;
  /** How long a found key is trusted (the revocation delay). */
  ttlMs: number;
  /** How long "no such key" is trusted. */
  negativeTtlMs: number;
  /** @default 10_000 found keys */
  maxEntries?: number;
  /** @default 1_000 unknown hashes */
  maxNegativeEntries?: number;
  now: () => number;
}

interface Entry {
  record: ApiKeyRecord | undefined;
  expiresAt: number;
}

export class CachedApiKeyStore implements Pick<ApiKeyStore, 'findByHash'> {
  readonly #options: Required<CachedApiKeyStoreOptions>;
  readonly #found = new Map<string, Entry>();
  readonly #unknown = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<ApiKeyRecord | undefined>>();

  constructor(options: CachedApiKeyStoreOptions) {
    this.#options = { maxEntries: 10_000, maxNegativeEntries: 1_000, ...options };
  }

  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const now = this.#options.now();
    for (const table of [this.#found, this.#unknown]) {
      const entry = table.get(keyHash);
      if (!entry) continue;
      if (now < entry.expiresAt) return Promise.resolve(entry.record);
      table.delete(keyHash);
    }
    const pending = this.#inflight.get(keyHash);
    if (pending) return pending;
    const load = this.#load(keyHash).finally(() => this.#inflight.delete(keyHash));
    this.#inflight.set(keyHash, load);
    return load;
  }

  async #load(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const record = await this.#options.source.findByHash(keyHash);
    const { now, ttlMs, negativeTtlMs, maxEntries, maxNegativeEntries } = this.#options;
    if (record) remember(this.#found, maxEntries, keyHash, { record, expiresAt: now() + ttlMs });
    else remember(this.#unknown, maxNegativeEntries, keyHash, { record, expiresAt: now() + negativeTtlMs });
    return record;
  }
}

/** Inserts, evicting the oldest entries beyond `max` (a Map iterates in insertion order). */
function remember(table: Map<string, Entry>, max: number, key: string, entry: Entry): void {
  table.delete(key);
  table.set(key, entry);
  for (const oldest of table.keys()) {
    if (table.size <= max) break;
    table.delete(oldest);
  }
}
