// Same-target retries on the synchronous path, under fake timers (they drive both the timers and
// Date.now, the executor's clock): which failures retry, exponential backoff with full jitter, an
// upstream Retry-After honoured when it fits and skipped when it does not, the deadline boundary
// (a wait must end before it), the attempt records, and nothing left running afterwards.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  InferenceCall,
  InferenceClient,
  InferenceResult,
  Plan,
  PlanTarget,
  SyncRetry,
  UpstreamFailure,
} from '../../../layers/core/src/index.ts';
import {
  executePlan,
  retriesSameTarget,
  syncRetryDelay,
  TargetsExhaustedError,
  UpstreamError,
} from '../../../layers/core/src/index.ts';

type Step =
  | { ok: true }
  | { fail: UpstreamFailure; status?: number; retryAfterMs?: number }
  /** Never settles unless aborted. */
  | { hang: true };

/** Answers each endpoint's calls from a script, in order (the last step repeats). */
class ScriptedClient implements InferenceClient {
  readonly calls: Array<{ endpoint: string; at: number }> = [];

  constructor(private readonly script: Record<string, Step[]>) {}

  invoke(target: PlanTarget, _call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    const id = target.endpoint;
    const n = this.calls.filter((c) => c.endpoint === id).length;
    this.calls.push({ endpoint: id, at: Date.now() });
    const steps = this.script[id] ?? [{ ok: true }];
    const step = steps[Math.min(n, steps.length - 1)] as Step;
    if ('ok' in step) return Promise.resolve({ body: { from: id, call: n + 1 } });
    if ('hang' in step) {
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new UpstreamError('timeout', 'aborted'))),
      );
    }
    return Promise.reject(
      new UpstreamError(step.fail, `${id}: ${step.fail}`, step.status, {
        ...(step.retryAfterMs === undefined ? {} : { retryAfterMs: step.retryAfterMs }),
      }),
    );
  }

  times(endpoint: string): number[] {
    return this.calls.filter((c) => c.endpoint === endpoint).map((c) => c.at - T0);
  }
}

const T0 = 1_700_000_000_000;
const RETRY: SyncRetry = { max_attempts_per_target: 3, base_delay_ms: 100, max_delay_ms: 2000 };

const target = (endpoint: string): PlanTarget => ({
  endpoint,
  model: 'm',
  version: 'v1',
  kind: 'openai-http',
  target: `http://${endpoint}/v1`,
  region: 'us-east-1',
  upstream_model: 'm',
  timeout_ms: 5000,
  estimated_cost_usd: 0,
});

const plan = (ids: string[], over: Partial<Plan> = {}): Plan => {
  const [first, ...rest] = ids.map(target);
  return {
    policy: 'p',
    primary: first as PlanTarget,
    fallbacks: rest,
    attempt_timeout_ms: 5000,
    deadline_ms: 20_000,
    max_attempts_per_target: 2,
    sync_retry: RETRY,
    ...over,
  };
};

const call: InferenceCall = { kind: 'invocation', task: 't', payload: {} };
const throttled = (retryAfterMs?: number): Step => ({
  fail: 'throttled',
  status: 429,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retriesSameTarget', () => {
  it('retries throttling, 503 and connection failures only', () => {
    const e = (failure: UpstreamFailure, status?: number) => new UpstreamError(failure, 'x', status);
    expect(retriesSameTarget(e('throttled', 429))).toBe(true);
    expect(retriesSameTarget(e('throttled'))).toBe(true);
    expect(retriesSameTarget(e('server', 503))).toBe(true);
    expect(retriesSameTarget(e('connection'))).toBe(true);
    expect(retriesSameTarget(e('server', 500))).toBe(false);
    expect(retriesSameTarget(e('server', 502))).toBe(false);
    expect(retriesSameTarget(e('server', 504))).toBe(false);
    expect(retriesSameTarget(e('server'))).toBe(false);
    expect(retriesSameTarget(e('timeout'))).toBe(false);
    expect(retriesSameTarget(e('invalid-response', 200))).toBe(false);
    expect(retriesSameTarget(e('rejected', 400))).toBe(false);
  });
});

describe('syncRetryDelay', () => {
  const err = (retryAfterMs?: number) =>
    new UpstreamError('throttled', 'x', 429, retryAfterMs === undefined ? {} : { retryAfterMs });

  it('full jitter over an exponential cap: floor(u * min(max, base * 2^(attempt - 1)))', () => {
    expect(syncRetryDelay(RETRY, err(), 1, 10_000, () => 0.5)).toBe(50);
    expect(syncRetryDelay(RETRY, err(), 2, 10_000, () => 0.5)).toBe(100);
    expect(syncRetryDelay({ ...RETRY, max_attempts_per_target: 9 }, err(), 3, 10_000, () => 0.999)).toBe(399);
    expect(syncRetryDelay({ ...RETRY, max_attempts_per_target: 9 }, err(), 6, 10_000, () => 0.999)).toBe(
      1998,
    );
    expect(syncRetryDelay(RETRY, err(), 1, 10_000, () => 0)).toBe(0);
  });

  it('stops at max_attempts_per_target (the first attempt included)', () => {
    expect(syncRetryDelay(RETRY, err(), 2, 10_000, () => 0.5)).toBe(100);
    expect(syncRetryDelay(RETRY, err(), 3, 10_000, () => 0.5)).toBeUndefined();
    expect(
      syncRetryDelay({ ...RETRY, max_attempts_per_target: 1 }, err(), 1, 10_000, () => 0.5),
    ).toBeUndefined();
    expect(syncRetryDelay(undefined, err(), 1, 10_000, () => 0.5)).toBeUndefined();
  });

  it('honours Retry-After up to max_delay_ms, drawing nothing', () => {
    const noDraw = () => {
      throw new Error('no draw');
    };
    expect(syncRetryDelay(RETRY, err(1500), 1, 10_000, noDraw)).toBe(1500);
    expect(syncRetryDelay(RETRY, err(2000), 1, 10_000, noDraw)).toBe(2000);
    expect(syncRetryDelay(RETRY, err(2001), 1, 10_000, noDraw)).toBeUndefined();
  });

  it('only waits when the wait ends before the deadline', () => {
    expect(syncRetryDelay(RETRY, err(999), 1, 1000, () => 0.5)).toBe(999);
    expect(syncRetryDelay(RETRY, err(1000), 1, 1000, () => 0.5)).toBeUndefined();
    expect(syncRetryDelay(RETRY, err(), 1, 51, () => 0.5)).toBe(50);
    expect(syncRetryDelay(RETRY, err(), 1, 50, () => 0.5)).toBeUndefined();
  });

  it('does not retry a failure that is not a same-target one', () => {
    expect(
      syncRetryDelay(RETRY, new UpstreamError('server', 'x', 500), 1, 10_000, () => 0.5),
    ).toBeUndefined();
  });
});

describe('executePlan: same-target retries', () => {
  it('retries a throttled primary after the jittered backoff, recording attempt 2', async () => {
    const client = new ScriptedClient({ a: [throttled(), { ok: true }] });
    const running = executePlan(plan(['a', 'b']), call, { client, now: Date.now, random: () => 0.5 });
    await vi.advanceTimersByTimeAsync(49);
    expect(client.times('a')).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    const out = await running;
    expect(client.times('a')).toEqual([0, 50]);
    expect(client.times('b')).toEqual([]);
    expect(out.target.endpoint).toBe('a');
    expect(out.attempts).toEqual([
      {
        endpoint: 'a',
        model: 'm',
        version: 'v1',
        outcome: 'throttled',
        status: 429,
        duration_ms: 0,
        error: 'a: throttled',
      },
      {
        endpoint: 'a',
        model: 'm',
        version: 'v1',
        outcome: 'success',
        duration_ms: 0,
        attempt: 2,
        backoff_ms: 50,
      },
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('backs off exponentially, then moves to the next target when the attempts are used', async () => {
    const client = new ScriptedClient({ a: [{ fail: 'server', status: 503 }] });
    const running = executePlan(plan(['a', 'b']), call, { client, now: Date.now, random: () => 0.99 });
    await vi.advanceTimersByTimeAsync(10_000);
    const out = await running;
    // Waits floor(0.99 * 100) = 99, then floor(0.99 * 200) = 198.
    expect(client.times('a')).toEqual([0, 99, 297]);
    expect(client.times('b')).toEqual([297]);
    expect(out.attempts.map((r) => [r.endpoint, r.outcome, r.attempt, r.backoff_ms])).toEqual([
      ['a', 'server', undefined, undefined],
      ['a', 'server', 2, 99],
      ['a', 'server', 3, 198],
      ['b', 'success', undefined, undefined],
    ]);
  });

  it('honours the upstream Retry-After exactly', async () => {
    const client = new ScriptedClient({ a: [throttled(700), { ok: true }] });
    const running = executePlan(plan(['a', 'b']), call, { client, now: Date.now, random: () => 0 });
    await vi.advanceTimersByTimeAsync(699);
    expect(client.times('a')).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect((await running).attempts[1]).toMatchObject({ outcome: 'success', attempt: 2, backoff_ms: 700 });
  });

  it('moves on at once when Retry-After is longer than max_delay_ms', async () => {
    const client = new ScriptedClient({ a: [throttled(2001)] });
    const out = await executePlan(plan(['a', 'b']), call, { client, now: Date.now, random: () => 0.5 });
    expect(client.times('a')).toEqual([0]);
    expect(client.times('b')).toEqual([0]);
    expect(out.target.endpoint).toBe('b');
  });

  it('retries when the wait ends 1 ms before the deadline, and not when it would end at it', async () => {
    const fits = new ScriptedClient({ a: [throttled(999), { ok: true }] });
    const first = executePlan(plan(['a', 'b'], { deadline_ms: 1000 }), call, { client: fits, now: Date.now });
    await vi.advanceTimersByTimeAsync(999);
    expect((await first).attempts.map((r) => [r.endpoint, r.outcome])).toEqual([
      ['a', 'throttled'],
      ['a', 'success'],
    ]);
    expect(fits.times('a')).toEqual([0, 999]);

    const late = new ScriptedClient({ a: [throttled(1000), { ok: true }] });
    const second = executePlan(plan(['a', 'b'], { deadline_ms: 1000 }), call, {
      client: late,
      now: Date.now,
    });
    const out = await second;
    expect(late.calls.map((c) => c.endpoint)).toEqual(['a', 'b']);
    expect(out.target.endpoint).toBe('b');
  });

  it('gives the retry only what is left of the deadline as its timeout', async () => {
    const client = new ScriptedClient({ a: [throttled(600), { hang: true }] });
    const running = executePlan(plan(['a'], { deadline_ms: 1000 }), call, { client, now: Date.now });
    const settled = running.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    expect(client.times('a')).toEqual([0, 600]);
    await vi.advanceTimersByTimeAsync(1);
    const err = (await settled) as TargetsExhaustedError;
    expect(err).toBeInstanceOf(TargetsExhaustedError);
    expect(err.status).toBe(504);
    expect(err.attempts.map((r) => [r.outcome, r.duration_ms])).toEqual([
      ['throttled', 0],
      ['timeout', 400],
    ]);
  });

  it('does not retry timeouts or other 5xx on the same target', async () => {
    const client = new ScriptedClient({ a: [{ fail: 'server', status: 500 }], b: [{ fail: 'timeout' }] });
    const out = await executePlan(plan(['a', 'b', 'c']), call, { client, now: Date.now, random: () => 0.5 });
    expect(client.calls.map((c) => c.endpoint)).toEqual(['a', 'b', 'c']);
    expect(out.target.endpoint).toBe('c');
  });

  it('does not retry when mayRetry says no (the router: the endpoint`s circuit is open)', async () => {
    const client = new ScriptedClient({ a: [{ fail: 'connection' }] });
    const asked: string[] = [];
    const out = await executePlan(plan(['a', 'b']), call, {
      client,
      now: Date.now,
      random: () => 0.5,
      mayRetry: (t) => {
        asked.push(t.endpoint);
        return false;
      },
    });
    expect(asked).toEqual(['a']);
    expect(client.calls.map((c) => c.endpoint)).toEqual(['a', 'b']);
    expect(out.target.endpoint).toBe('b');
  });

  it('makes one attempt per target without sync_retry', async () => {
    const client = new ScriptedClient({ a: [throttled(0)] });
    const { sync_retry: _none, ...bare } = plan(['a', 'b']);
    const out = await executePlan(bare, call, { client, now: Date.now });
    expect(client.calls.map((c) => c.endpoint)).toEqual(['a', 'b']);
    expect(out.target.endpoint).toBe('b');
  });

  it('stops at a rejection on a retry', async () => {
    const client = new ScriptedClient({ a: [throttled(10), { fail: 'rejected', status: 400 }] });
    const running = executePlan(plan(['a', 'b']), call, { client, now: Date.now });
    const settled = running.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    const err = (await settled) as UpstreamError;
    expect(err.failure).toBe('rejected');
    expect(client.calls.map((c) => c.endpoint)).toEqual(['a', 'a']);
  });

  it('lets a hedge win while a retry waits, and cancels the waiting retry', async () => {
    const client = new ScriptedClient({ a: [throttled(500), { ok: true }] });
    const p = plan(['a', 'b']);
    p.hedge = { delay_ms: 100, target: p.fallbacks[0] as PlanTarget };
    const running = executePlan(p, call, { client, now: Date.now });
    await vi.advanceTimersByTimeAsync(100);
    const out = await running;
    expect(out.target.endpoint).toBe('b');
    expect(client.times('a')).toEqual([0]);
    expect(client.times('b')).toEqual([100]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
