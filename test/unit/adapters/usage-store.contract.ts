// The contract every UsageStore keeps, run by the in-memory store (unit) and the DynamoDB adapter
// against dynalite (integration, real SDK client): a record comes back as written; a second put
// of the same (tenant, request_id, at) changes nothing, also when both race; ranges are half-open
// (`from <= at < to`, literal boundaries); tenants never see each other's records; order is by
// time, then request id; invalid records are refused before anything is stored.
import type { UsageRecord, UsageStore } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

let seq = 0;
const fresh = () => `u${++seq}-${Math.random().toString(36).slice(2, 8)}`;

/** A served chat request of `tenant` at `at` (2026-11-24T10:00:00Z by default). */
export function usageRecord(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    tenant: 'acme',
    key_id: 'key_abc',
    request_id: 'req-1',
    route: 'chat',
    model: 'small',
    model_version: '1',
    endpoint: 'small-a',
    prompt_tokens: 12,
    completion_tokens: 30,
    cost_nanos: 1_150,
    cost_usd: 0.00115,
    latency_ms: 420,
    attempts: 1,
    status: 'ok',
    at: 1_795_514_400_000,
    ...over,
  };
}

export function usageStoreContract(name: string, makeStore: () => UsageStore): void {
  describe(`UsageStore contract: ${name}`, () => {
    it('returns a record as written, optional fields included or left out', async () => {
      const store = makeStore();
      const tenant = fresh();
      const a = usageRecord({ tenant, request_id: 'a', ttft_ms: 80, stream: true });
      const b = usageRecord({ tenant, request_id: 'b', at: 1_795_514_400_001 });
      delete b.model_version;
      await store.put(a);
      await store.put(b);
      expect(await store.query(tenant, 1_795_514_400_000, 1_795_514_400_002)).toEqual([
        {
          tenant,
          key_id: 'key_abc',
          request_id: 'a',
          route: 'chat',
          model: 'small',
          model_version: '1',
          endpoint: 'small-a',
          prompt_tokens: 12,
          completion_tokens: 30,
          cost_nanos: 1_150,
          cost_usd: 0.00115,
          latency_ms: 420,
          ttft_ms: 80,
          attempts: 1,
          status: 'ok',
          stream: true,
          at: 1_795_514_400_000,
        },
        {
          tenant,
          key_id: 'key_abc',
          request_id: 'b',
          route: 'chat',
          model: 'small',
          endpoint: 'small-a',
          prompt_tokens: 12,
          completion_tokens: 30,
          cost_nanos: 1_150,
          cost_usd: 0.00115,
          latency_ms: 420,
          attempts: 1,
          status: 'ok',
          at: 1_795_514_400_001,
        },
      ]);
    });

    it('a second put of the same request (a retried write) never counts twice; the first one wins', async () => {
      const store = makeStore();
      const tenant = fresh();
      await store.put(usageRecord({ tenant, request_id: 'r' }));
      await store.put(usageRecord({ tenant, request_id: 'r', cost_nanos: 9_999, cost_usd: 0.009999 }));
      const out = await store.query(tenant, 0, 2_000_000_000_000);
      expect(out.map((r) => [r.request_id, r.cost_nanos])).toEqual([['r', 1_150]]);
    });

    it('concurrent puts of one record store it once', async () => {
      const store = makeStore();
      const tenant = fresh();
      await Promise.all(
        Array.from({ length: 8 }, () => store.put(usageRecord({ tenant, request_id: 'race' }))),
      );
      expect(await store.query(tenant, 0, 2_000_000_000_000)).toHaveLength(1);
    });

    it('the same request id at another time, or of another tenant, is another record', async () => {
      const store = makeStore();
      const [t1, t2] = [fresh(), fresh()];
      await store.put(usageRecord({ tenant: t1, request_id: 'x', at: 1_000 }));
      await store.put(usageRecord({ tenant: t1, request_id: 'x', at: 2_000 }));
      await store.put(usageRecord({ tenant: t2, request_id: 'x', at: 1_000 }));
      expect((await store.query(t1, 0, 3_000)).map((r) => r.at)).toEqual([1_000, 2_000]);
      expect((await store.query(t2, 0, 3_000)).map((r) => [r.tenant, r.at])).toEqual([[t2, 1_000]]);
    });

    it('ranges are half-open: from is included, to is not', async () => {
      const store = makeStore();
      const tenant = fresh();
      for (const at of [999, 1_000, 1_001, 1_999, 2_000]) {
        await store.put(usageRecord({ tenant, request_id: `at-${at}`, at }));
      }
      expect((await store.query(tenant, 1_000, 2_000)).map((r) => r.at)).toEqual([1_000, 1_001, 1_999]);
      expect((await store.query(tenant, 1_000, 1_001)).map((r) => r.at)).toEqual([1_000]);
      expect((await store.query(tenant, 999, 1_000)).map((r) => r.at)).toEqual([999]);
      expect(await store.query(tenant, 1_001, 1_001)).toEqual([]);
      expect(await store.query(tenant, 2_000, 1_000)).toEqual([]);
      expect((await store.query(tenant, 0, 9_999_999_999_999)).map((r) => r.at)).toEqual([
        999, 1_000, 1_001, 1_999, 2_000,
      ]);
    });

    it('returns every record of a busy minute (many request ids), ordered by time then request id', async () => {
      const store = makeStore();
      const tenant = fresh();
      const ids = Array.from({ length: 40 }, (_, i) => `req-${String(i).padStart(2, '0')}`);
      await Promise.all(
        ids.map((id, i) => store.put(usageRecord({ tenant, request_id: id, at: 5_000 + (i % 4) }))),
      );
      const out = await store.query(tenant, 5_000, 5_004);
      expect(out).toHaveLength(40);
      expect(out.slice(0, 3).map((r) => [r.at, r.request_id])).toEqual([
        [5_000, 'req-00'],
        [5_000, 'req-04'],
        [5_000, 'req-08'],
      ]);
      expect(out.at(-1)?.request_id).toBe('req-39');
      expect(out.reduce((s, r) => s + r.cost_nanos, 0)).toBe(46_000);
    });

    it('another tenant whose id shares a prefix sees nothing', async () => {
      const store = makeStore();
      const tenant = fresh();
      await store.put(usageRecord({ tenant: `${tenant}x`, request_id: 'p' }));
      await store.put(usageRecord({ tenant: `${tenant}-1`, request_id: 'p' }));
      expect(await store.query(tenant, 0, 2_000_000_000_000)).toEqual([]);
    });

    it.each([
      ['negative tokens', { prompt_tokens: -1 }, /prompt_tokens/],
      ['fractional cost', { cost_nanos: 1.5 }, /cost_nanos/],
      ['no attempts', { attempts: 0 }, /attempts/],
      ['unknown route', { route: 'fax' }, /route/],
      ['unknown status', { status: 'maybe' }, /status/],
      ['empty tenant', { tenant: '' }, /tenant/],
      ['a 14-digit time', { at: 10_000_000_000_000 }, /at/],
    ] as Array<[string, Record<string, unknown>, RegExp]>)(
      'refuses %s, storing nothing',
      async (_label, over, message) => {
        const store = makeStore();
        const tenant = fresh();
        const bad = { ...usageRecord({ tenant: 'tenant' in over ? '' : tenant }), ...over } as UsageRecord;
        await expect(store.put(bad)).rejects.toThrow(message);
        expect(await store.query(tenant, 0, 9_999_999_999_999)).toEqual([]);
      },
    );

    it('refuses a range that is not epoch ms', async () => {
      const store = makeStore();
      await expect(store.query('acme', -1, 5)).rejects.toThrow(RangeError);
      await expect(store.query('acme', 0, 1.5)).rejects.toThrow(RangeError);
    });
  });
}
