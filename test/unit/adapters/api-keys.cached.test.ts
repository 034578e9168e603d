// The authorizer's key cache with a fake clock: a found key is trusted exactly ttlMs (then
// re-read, so a disabled key stops working), an unknown one exactly negativeTtlMs; unknown
// hashes never evict found keys; concurrent misses share one read; failures are not cached.
import { CachedApiKeyStore } from '@switchyard/adapters';
import type { ApiKeyRecord } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

const record = (hash: string, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  key_hash: hash,
  key_id: `key_${hash}`,
  usage_id: `usage_${hash}`,
  tenant: 't',
  name: 'n',
  role: 'consumer',
  created_at: 1,
  ...extra,
});

function world(options: { maxEntries?: number; maxNegativeEntries?: number } = {}) {
  let now = 1_000_000;
  const table = new Map<string, ApiKeyRecord>();
  const reads: string[] = [];
  let failing = false;
  const cache = new CachedApiKeyStore({
    source: {
      findByHash: async (hash) => {
        reads.push(hash);
        if (failing) throw new Error('dynamodb down');
        return table.get(hash);
      },
    },
    ttlMs: 10_000,
    negativeTtlMs: 5_000,
    now: () => now,
    ...options,
  });
  return {
    cache,
    table,
    reads,
    advance: (ms: number) => {
      now += ms;
    },
    fail: (v: boolean) => {
      failing = v;
    },
  };
}

describe('CachedApiKeyStore', () => {
  it('trusts a found key for 10 000 ms exactly, then reads it again (a disable shows)', async () => {
    const w = world();
    w.table.set('a', record('a'));
    expect(await w.cache.findByHash('a')).toEqual(record('a'));
    w.table.set('a', record('a', { disabled: true }));
    w.advance(9_999);
    expect((await w.cache.findByHash('a'))?.disabled).toBeUndefined();
    w.advance(1);
    expect((await w.cache.findByHash('a'))?.disabled).toBe(true);
    expect(w.reads).toEqual(['a', 'a']);
  });

  it('trusts "no such key" for 5 000 ms exactly, then reads again (a new key starts working)', async () => {
    const w = world();
    expect(await w.cache.findByHash('new')).toBeUndefined();
    w.table.set('new', record('new'));
    w.advance(4_999);
    expect(await w.cache.findByHash('new')).toBeUndefined();
    w.advance(1);
    expect(await w.cache.findByHash('new')).toEqual(record('new'));
    expect(w.reads).toEqual(['new', 'new']);
  });

  it('a flood of unknown keys churns only the negative entries; found keys stay cached', async () => {
    const w = world({ maxNegativeEntries: 3 });
    w.table.set('real', record('real'));
    await w.cache.findByHash('real');
    for (let i = 0; i < 50; i++) await w.cache.findByHash(`random-${i}`);
    await w.cache.findByHash('real');
    expect(w.reads.filter((h) => h === 'real')).toHaveLength(1);
    // Only the last 3 unknown hashes are remembered.
    await w.cache.findByHash('random-49');
    await w.cache.findByHash('random-46');
    expect(w.reads.filter((h) => h === 'random-49')).toHaveLength(1);
    expect(w.reads.filter((h) => h === 'random-46')).toHaveLength(2);
  });

  it('keeps at most maxEntries found keys, dropping the oldest', async () => {
    const w = world({ maxEntries: 2 });
    for (const h of ['k1', 'k2', 'k3']) w.table.set(h, record(h));
    for (const h of ['k1', 'k2', 'k3', 'k3', 'k2', 'k1']) await w.cache.findByHash(h);
    expect(w.reads).toEqual(['k1', 'k2', 'k3', 'k1']);
  });

  it('concurrent lookups of one key share one read', async () => {
    const w = world();
    w.table.set('a', record('a'));
    const all = await Promise.all([
      w.cache.findByHash('a'),
      w.cache.findByHash('a'),
      w.cache.findByHash('a'),
    ]);
    expect(all.map((r) => r?.key_id)).toEqual(['key_a', 'key_a', 'key_a']);
    expect(w.reads).toEqual(['a']);
  });

  it('a failed read is not cached: the next lookup reads again', async () => {
    const w = world();
    w.table.set('a', record('a'));
    w.fail(true);
    await expect(w.cache.findByHash('a')).rejects.toThrow('dynamodb down');
    w.fail(false);
    expect(await w.cache.findByHash('a')).toEqual(record('a'));
    expect(w.reads).toEqual(['a', 'a']);
  });
});
