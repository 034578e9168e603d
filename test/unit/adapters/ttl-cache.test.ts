import { CachedHealth, CachedRegistry, TtlCache } from '@switchyard/adapters';
import type { ModelRegistry, Registry } from '@switchyard/core';
import { RegistrySchema } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

/** A load whose calls are counted and whose results the test releases by hand. */
function controlledLoad<T>() {
  const pending: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }> = [];
  let calls = 0;
  return {
    load: () =>
      new Promise<T>((resolve, reject) => {
        calls++;
        pending.push({ resolve, reject });
      }),
    get calls() {
      return calls;
    },
    resolveNext(value: T) {
      const next = pending.shift();
      if (!next) throw new Error('no pending load');
      next.resolve(value);
    },
    rejectNext(error: unknown) {
      const next = pending.shift();
      if (!next) throw new Error('no pending load');
      next.reject(error);
    },
  };
}

describe('TtlCache', () => {
  it('serves the cached value within the TTL and reloads after it', async () => {
    let now = 1_000;
    let loads = 0;
    const cache = new TtlCache({ load: async () => ++loads, ttlMs: 100, now: () => now });
    expect(await cache.get()).toBe(1);
    now += 99;
    expect(await cache.get()).toBe(1);
    now += 1;
    expect(await cache.get()).toBe(2);
    expect(loads).toBe(2);
  });

  it('shares one in-flight load between concurrent callers (single-flight)', async () => {
    const source = controlledLoad<string>();
    const cache = new TtlCache({ load: source.load, ttlMs: 100, now: () => 0 });
    const callers = [cache.get(), cache.get(), cache.get(), cache.get()];
    expect(source.calls).toBe(1);
    source.resolveNext('v1');
    expect(await Promise.all(callers)).toEqual(['v1', 'v1', 'v1', 'v1']);
    expect(source.calls).toBe(1);
  });

  it('keeps serving the previous value when a reload fails, and retries on the next call', async () => {
    let now = 0;
    const source = controlledLoad<string>();
    const staleErrors: unknown[] = [];
    const cache = new TtlCache({
      load: source.load,
      ttlMs: 10,
      now: () => now,
      onStaleError: (e) => staleErrors.push(e),
    });
    const first = cache.get();
    source.resolveNext('v1');
    expect(await first).toBe('v1');

    now = 50;
    const second = cache.get();
    const boom = new Error('table unavailable');
    source.rejectNext(boom);
    expect(await second).toBe('v1');
    expect(staleErrors).toEqual([boom]);

    const third = cache.get();
    expect(source.calls).toBe(3);
    source.resolveNext('v2');
    expect(await third).toBe('v2');
    expect(await cache.get()).toBe('v2');
    expect(source.calls).toBe(3);
  });

  it('rejects when the first load fails and retries on the next call', async () => {
    let fail = true;
    const cache = new TtlCache({
      load: async () => {
        if (fail) throw new Error('nope');
        return 'ok';
      },
      ttlMs: 10,
      now: () => 0,
    });
    await expect(cache.get()).rejects.toThrow('nope');
    fail = false;
    expect(await cache.get()).toBe('ok');
  });

  it('invalidate() makes the next call reload, even while a load is in flight', async () => {
    const source = controlledLoad<string>();
    const cache = new TtlCache({ load: source.load, ttlMs: 1_000, now: () => 0 });
    const a = cache.get();
    source.resolveNext('v1');
    expect(await a).toBe('v1');

    cache.invalidate();
    const b = cache.get();
    expect(source.calls).toBe(2);
    cache.invalidate();
    const c = cache.get();
    expect(source.calls).toBe(3);
    source.resolveNext('stale-v2');
    source.resolveNext('v3');
    expect(await b).toBe('stale-v2');
    expect(await c).toBe('v3');
    expect(await cache.get()).toBe('v3');
    expect(source.calls).toBe(3);
  });
});

const registry: Registry = RegistrySchema.parse({
  models: [{ id: 'm', version: 'v1', tasks: ['chat'], context_window: 4096, regions: ['us-east-1'] }],
  endpoints: [
    { id: 'e1', model: 'm', version: 'v1', kind: 'openai-http', target: 'http://x/v1', region: 'us-east-1' },
  ],
});

describe('CachedRegistry', () => {
  it('compiles the loaded registry, caches it for the TTL and reloads after', async () => {
    let now = 0;
    let loads = 0;
    const source: ModelRegistry = {
      load: async () => {
        loads++;
        return registry;
      },
      replace: async () => {},
    };
    const cached = new CachedRegistry({ source, ttlMs: 5_000, now: () => now });
    const [a, b] = await Promise.all([cached.get(), cached.get()]);
    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(a.modelsByKey.get('m@v1')?.tasks).toEqual(['chat']);
    expect(a.endpointsByModel.get('m')?.map((e) => e.id)).toEqual(['e1']);
    now = 5_000;
    await cached.get();
    expect(loads).toBe(2);
  });

  it('serves the last good registry when the table read fails', async () => {
    let now = 0;
    let fail = false;
    const source: ModelRegistry = {
      load: async () => {
        if (fail) throw new Error('throttled');
        return registry;
      },
      replace: async () => {},
    };
    const cached = new CachedRegistry({ source, ttlMs: 10, now: () => now });
    const good = await cached.get();
    fail = true;
    now = 100;
    expect(await cached.get()).toBe(good);
  });
});

describe('CachedHealth', () => {
  it('caches snapshots for the TTL', async () => {
    let now = 0;
    let loads = 0;
    const cached = new CachedHealth({
      source: {
        snapshot: async () => ({
          endpoints: {
            [`e${++loads}`]: { endpoint: `e${loads}`, status: 'up', checked_at: 0, circuit: 'closed' },
          },
        }),
      },
      ttlMs: 2_000,
      now: () => now,
    });
    expect(Object.keys((await cached.get()).endpoints)).toEqual(['e1']);
    now = 1_999;
    expect(Object.keys((await cached.get()).endpoints)).toEqual(['e1']);
    now = 2_000;
    expect(Object.keys((await cached.get()).endpoints)).toEqual(['e2']);
  });
});
