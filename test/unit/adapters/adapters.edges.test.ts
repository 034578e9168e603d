// The small adapters at their edges, with fake timers where timing is the behaviour: the outcome
// buffer's default interval (1000 ms) and batch size (500) at exactly their values, the failure
// classification at the 4xx/5xx boundaries and through cause chains.
import { failureForStatus, OutcomeBuffer, summariseOutcomes, transportError } from '@switchyard/adapters';
import type { Outcome } from '@switchyard/core';
import { UpstreamError } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const outcome = (endpoint: string, at: number, over: Partial<Outcome> = {}): Outcome => ({
  endpoint,
  ok: true,
  latency_ms: 5,
  at,
  ...over,
});

describe('OutcomeBuffer defaults (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 10_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the trailing batch exactly 1000 ms after the last flush, not before', async () => {
    const batches: Outcome[][] = [];
    const buffer = new OutcomeBuffer({ sink: async (o) => void batches.push(o) });
    buffer.add([outcome('a', 1)]);
    await vi.advanceTimersByTimeAsync(999);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((b) => b.length)).toEqual([1]);
  });

  it('a timer set mid-interval waits only for the rest of it', async () => {
    const batches: Outcome[][] = [];
    const buffer = new OutcomeBuffer({ sink: async (o) => void batches.push(o) });
    await vi.advanceTimersByTimeAsync(600);
    buffer.add([outcome('a', 1)]);
    await vi.advanceTimersByTimeAsync(399);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((b) => b.length)).toEqual([1]);
  });

  it('writes at once when exactly 500 are buffered, not at 499', async () => {
    const batches: Outcome[][] = [];
    const buffer = new OutcomeBuffer({ sink: async (o) => void batches.push(o) });
    buffer.add(Array.from({ length: 499 }, (_, i) => outcome('a', i)));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([]);
    expect(buffer.buffered).toBe(499);
    buffer.add([outcome('a', 499)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(batches.map((b) => b.length)).toEqual([500]);
    expect(buffer.buffered).toBe(0);
  });

  it('adds right after a flush wait a whole interval again', async () => {
    const batches: Outcome[][] = [];
    const buffer = new OutcomeBuffer({ sink: async (o) => void batches.push(o), flushIntervalMs: 200 });
    await vi.advanceTimersByTimeAsync(200);
    buffer.add([outcome('a', 1)]); // due: written at once
    await vi.advanceTimersByTimeAsync(0);
    buffer.add([outcome('b', 2)]);
    await vi.advanceTimersByTimeAsync(199);
    expect(batches.map((b) => b.map((o) => o.endpoint))).toEqual([['a']]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((b) => b.map((o) => o.endpoint))).toEqual([['a'], ['b']]);
  });

  it('flush() with nothing buffered writes nothing', async () => {
    const sink = vi.fn(async () => undefined);
    const buffer = new OutcomeBuffer({ sink });
    await buffer.flush();
    expect(sink).not.toHaveBeenCalled();
  });
});

describe('failureForStatus at the class boundaries', () => {
  it.each([
    [399, 'server'],
    [400, 'rejected'],
    [407, 'rejected'],
    [409, 'rejected'],
    [428, 'rejected'],
    [430, 'rejected'],
    [499, 'rejected'],
    [500, 'server'],
    [200, 'server'],
  ] as const)('HTTP %i → %s', (status, failure) => {
    expect(failureForStatus(status)).toBe(failure);
  });
});

describe('transportError', () => {
  const live = new AbortController().signal;

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ECONNABORTED',
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'UND_ERR_CONNECT_TIMEOUT',
  ])('names the connection code %s', (code) => {
    const e = transportError(Object.assign(new Error('boom'), { code }), live, 'gpu-a');
    expect(e.failure).toBe('connection');
    expect(e.message).toBe(`gpu-a: connection failed (${code})`);
  });

  it('describes other errors by message and cause; a code deeper than 4 causes is not read', () => {
    const inner = new Error('socket hang up');
    const e = transportError(new TypeError('fetch failed', { cause: inner }), live, 'gpu-a');
    expect(e.message).toBe('gpu-a: connection failed (fetch failed: socket hang up)');
    expect(transportError('weird', live, 'gpu-a').message).toBe('gpu-a: connection failed (weird)');
    const chain = (depth: number): unknown =>
      depth === 0 ? { code: 'ECONNRESET' } : { message: 'x', cause: chain(depth - 1) };
    expect(transportError(chain(3), live, 'e').message).toBe('e: connection failed (ECONNRESET)');
    expect(transportError(chain(4), live, 'e').message).toBe('e: connection failed ([object Object])');
  });

  it('timeouts: ETIMEDOUT, undici header timeouts and TimeoutError names; they keep the cause', () => {
    const t1 = transportError(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), live, 'e');
    expect([t1.failure, t1.message]).toEqual(['timeout', 'e: t']);
    const t2 = transportError(Object.assign(new Error('h'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), live, 'e');
    expect(t2.failure).toBe('timeout');
    const err = Object.assign(new Error('slow'), { name: 'TimeoutError' });
    const t3 = transportError(err, live, 'e');
    expect(t3.failure).toBe('timeout');
    expect(t3.cause).toBe(err);
    const up = new UpstreamError('server', 'x', 500);
    expect(transportError(up, live, 'e')).toBe(up);
  });
});

describe('summariseOutcomes', () => {
  it('counts trailing failures after the last success, in time order whatever the input order', () => {
    const [s] = summariseOutcomes([
      outcome('a', 30, { ok: false, failure: 'server' }),
      outcome('a', 10, { ok: false, failure: 'server' }),
      outcome('a', 20, { latency_ms: 40 }),
      outcome('a', 40, { ok: false, failure: 'timeout', latency_ms: 900 }),
    ]);
    expect(s).toMatchObject({
      endpoint: 'a',
      requests: 4,
      failures: 3,
      trailingFailures: 2,
      anySuccess: true,
      lastAt: 40,
      latencySamplesMs: [40, 900],
    });
    expect([...(s?.buckets ?? [])]).toEqual([
      [4, 1],
      [12, 1],
    ]);
  });

  it('an endpoint that only failed has no success and every failure trailing', () => {
    const [s] = summariseOutcomes([
      outcome('b', 1, { ok: false, failure: 'connection' }),
      outcome('b', 2, { ok: false, failure: 'connection' }),
    ]);
    expect(s).toMatchObject({ requests: 2, failures: 2, trailingFailures: 2, anySuccess: false, lastAt: 2 });
    expect(s?.latencySamplesMs).toEqual([]);
  });
});
