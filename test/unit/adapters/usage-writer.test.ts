// The usage writer on the request path: a record is put at once; a failed put is retried after
// 50 then 100 ms (manual clock); after three failures the record waits in the backlog, retried
// every second until the store takes it; a retried put that had landed is not counted twice (the
// store is put-once); an invalid record is not retried; a full backlog drops its oldest, reported.
import { MemoryUsageStore, UsageWriter } from '@switchyard/adapters';
import type { UsageRecord, UsageStore } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../support/manual-clock.ts';
import { usageRecord } from './usage-store.contract.ts';

/** A memory store that fails the next `n` puts (after writing, when `landed`: a lost answer). */
function flaky(n: number, landed = false) {
  const inner = new MemoryUsageStore();
  let failures = n;
  let puts = 0;
  const store: UsageStore = {
    put: async (r: UsageRecord) => {
      puts++;
      if (failures > 0) {
        failures--;
        if (landed) await inner.put(r);
        throw new Error('ProvisionedThroughputExceededException');
      }
      await inner.put(r);
    },
    query: (t, f, to) => inner.query(t, f, to),
  };
  return { store, inner, puts: () => puts, fail: (k: number) => (failures = k) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('UsageWriter', () => {
  it('puts a record at once', async () => {
    const s = flaky(0);
    const w = new UsageWriter({ store: s.store, timers: new ManualClock(0) });
    expect(await w.record(usageRecord())).toBe(true);
    expect(s.inner.all()).toHaveLength(1);
    expect(w.pending()).toBe(0);
  });

  it('retries after 50 and 100 ms; a put whose answer was lost is not counted twice', async () => {
    const clock = new ManualClock(0);
    const s = flaky(2, true);
    const errors: unknown[] = [];
    const w = new UsageWriter({ store: s.store, timers: clock, onError: (e) => errors.push(e) });
    const done = w.record(usageRecord());
    await flush();
    expect(s.puts()).toBe(1);
    clock.advance(49);
    await flush();
    expect(s.puts()).toBe(1);
    clock.advance(1);
    await flush();
    expect(s.puts()).toBe(2);
    clock.advance(99);
    await flush();
    expect(s.puts()).toBe(2);
    clock.advance(1);
    expect(await done).toBe(true);
    expect(s.puts()).toBe(3);
    expect(errors).toHaveLength(2);
    expect(s.inner.all()).toHaveLength(1);
  });

  it('after three failures the record waits in the backlog, retried every second until written', async () => {
    const clock = new ManualClock(0);
    const s = flaky(5);
    const w = new UsageWriter({ store: s.store, timers: clock });
    const done = w.record(usageRecord({ request_id: 'late' }));
    for (const ms of [50, 100]) {
      await flush();
      clock.advance(ms);
    }
    expect(await done).toBe(false);
    expect(w.pending()).toBe(1);
    clock.advance(999);
    await flush();
    expect(s.puts()).toBe(3);
    clock.advance(1); // 4th put: fails
    await flush();
    expect(w.pending()).toBe(1);
    clock.advance(1_000); // 5th: fails
    await flush();
    clock.advance(1_000); // 6th: written
    await flush();
    await flush();
    expect(s.puts()).toBe(6);
    expect(w.pending()).toBe(0);
    expect(s.inner.all().map((r) => r.request_id)).toEqual(['late']);
    expect(clock.pending).toBe(0);
  });

  it('an invalid record is reported, not retried', async () => {
    const s = flaky(0);
    const errors: unknown[] = [];
    const w = new UsageWriter({ store: s.store, timers: new ManualClock(0), onError: (e) => errors.push(e) });
    expect(await w.record(usageRecord({ attempts: 0 }))).toBe(false);
    expect(s.puts()).toBe(1);
    expect(w.pending()).toBe(0);
    expect(String(errors[0])).toMatch(/attempts/);
  });

  it('a full backlog drops its oldest record and says so; stop() ends the retries', async () => {
    const clock = new ManualClock(0);
    const s = flaky(1_000);
    const dropped: string[] = [];
    const w = new UsageWriter({
      store: s.store,
      timers: clock,
      attempts: 1,
      maxBacklog: 2,
      onError: (e, r) => {
        if (String(e).includes('backlog full')) dropped.push(r.request_id);
      },
    });
    for (const id of ['a', 'b', 'c']) await w.record(usageRecord({ request_id: id }));
    expect(w.pending()).toBe(2);
    expect(dropped).toEqual(['a']);
    w.stop();
    clock.advance(5_000);
    await flush();
    expect(s.puts()).toBe(3);
    s.fail(0);
    await w.flush();
    expect(s.inner.all().map((r) => r.request_id)).toEqual(['b', 'c']);
  });
});
