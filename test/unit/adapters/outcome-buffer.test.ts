// OutcomeBuffer: outcomes are written in batches off the request path, a trailing batch is
// written by the timer once traffic stops, and a failing sink never reaches the caller.

import { OutcomeBuffer } from '@switchyard/adapters';
import type { Outcome } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

const outcome = (endpoint: string, at: number): Outcome => ({ endpoint, ok: true, latency_ms: 5, at });

describe('OutcomeBuffer', () => {
  it('buffers adds within the interval and writes them in one batch when due', async () => {
    let now = 0;
    const batches: Outcome[][] = [];
    const buffer = new OutcomeBuffer({
      sink: async (o) => void batches.push(o),
      flushIntervalMs: 1000,
      now: () => now,
    });
    for (let i = 0; i < 10; i++) buffer.add([outcome('a', i)]);
    expect(batches).toHaveLength(0);
    expect(buffer.buffered).toBe(10);
    now = 1000;
    buffer.add([outcome('b', 1000)]);
    await buffer.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(11);
    expect(buffer.buffered).toBe(0);
  });

  it('writes at once when maxBuffered pile up', async () => {
    const batches: Outcome[][] = [];
    const buffer = new OutcomeBuffer({
      sink: async (o) => void batches.push(o),
      maxBuffered: 3,
      now: () => 0,
    });
    buffer.add([outcome('a', 0), outcome('a', 1)]);
    expect(batches).toHaveLength(0);
    buffer.add([outcome('a', 2)]);
    await buffer.flush();
    expect(batches.map((b) => b.length)).toEqual([3]);
  });

  it('writes the trailing outcomes on its timer when no more traffic comes', async () => {
    const written = new Promise<Outcome[]>((resolve) => {
      const buffer = new OutcomeBuffer({ sink: async (o) => resolve(o), flushIntervalMs: 5 });
      buffer.add([outcome('late', 1)]);
    });
    expect((await written).map((o) => o.endpoint)).toEqual(['late']);
  });

  it('keeps one write in flight; what arrives meanwhile goes in the next batch', async () => {
    let release: () => void = () => undefined;
    const batches: Outcome[][] = [];
    const buffer = new OutcomeBuffer({
      sink: (o) => {
        batches.push(o);
        return batches.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
      flushIntervalMs: 0,
    });
    buffer.add([outcome('a', 0)]);
    buffer.add([outcome('b', 1)]);
    expect(batches).toHaveLength(1);
    release();
    await buffer.flush();
    expect(batches.map((b) => b.map((o) => o.endpoint))).toEqual([['a'], ['b']]);
  });

  it('reports a failing sink to onError and never throws into add', async () => {
    const errors: unknown[] = [];
    const buffer = new OutcomeBuffer({
      sink: async () => {
        throw new Error('table unavailable');
      },
      flushIntervalMs: 0,
      onError: (err) => errors.push(err),
    });
    expect(() => buffer.add([outcome('a', 0)])).not.toThrow();
    await buffer.flush();
    expect(errors).toHaveLength(1);
  });
});

describe('OutcomeBuffer.flush', () => {
  it('also waits for the flush that the end of the one under way starts on later adds', async () => {
    const written: Outcome[] = [];
    let release: () => void = () => {};
    let first = true;
    const buffer = new OutcomeBuffer({
      sink: async (o) => {
        if (first) {
          first = false;
          await new Promise<void>((r) => {
            release = r;
          });
        }
        // Every write takes a turn of the event loop, as a real one does.
        await new Promise<void>((r) => setImmediate(r));
        written.push(...o);
      },
      flushIntervalMs: 0,
    });
    buffer.add([outcome('a', 1)]); // starts a flush that waits
    buffer.add([outcome('b', 2)]); // buffered behind it
    const done = buffer.flush();
    release();
    await done;
    expect(written.map((o) => o.endpoint)).toEqual(['a', 'b']);
    expect(buffer.buffered).toBe(0);
  });
});
