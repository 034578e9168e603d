// executePlan's timing under fake timers, asserted to the millisecond: an attempt's timeout is
// min(its target's timeout, the time left before the deadline), so an attempt is aborted exactly
// then (not later: a timeout the deadline no longer caps would only make requests slower, which
// no real-time test notices); each later attempt gets only what is left; nothing starts once the
// deadline is reached; the hedge starts exactly at its delay; durations are exact.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  InferenceCall,
  InferenceClient,
  InferenceResult,
  Plan,
  PlanTarget,
  UpstreamFailure,
} from '../../../layers/core/src/index.ts';
import { executePlan, TargetsExhaustedError, UpstreamError } from '../../../layers/core/src/index.ts';

type Behaviour =
  /** Never answers; rejects when its signal aborts. */
  | { kind: 'hang' }
  | { kind: 'ok-after'; ms: number }
  | { kind: 'fail-after'; ms: number; failure: UpstreamFailure };

/** A client whose answers are timed by (fake) timers; records when each call started. */
class TimedClient implements InferenceClient {
  readonly started: Array<[string, number]> = [];
  readonly signals = new Map<string, AbortSignal>();

  constructor(private readonly behaviour: Record<string, Behaviour>) {}

  invoke(target: PlanTarget, _call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    const id = target.endpoint;
    this.started.push([id, Date.now()]);
    this.signals.set(id, signal);
    const b = this.behaviour[id] ?? { kind: 'hang' };
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new UpstreamError('timeout', `${id} aborted`)), {
        once: true,
      });
      if (b.kind === 'ok-after') setTimeout(() => resolve({ body: { from: id } }), b.ms);
      if (b.kind === 'fail-after')
        setTimeout(() => reject(new UpstreamError(b.failure, `${id}: ${b.failure}`)), b.ms);
    });
  }
}

const target = (endpoint: string, timeout_ms: number): PlanTarget => ({
  endpoint,
  model: 'm',
  version: 'v1',
  kind: 'openai-http',
  target: `http://${endpoint}/v1`,
  region: 'us-east-1',
  upstream_model: 'm',
  timeout_ms,
  estimated_cost_usd: 0,
});

const plan = (timeouts: Record<string, number>, deadline_ms: number, over: Partial<Plan> = {}): Plan => {
  const [first, ...rest] = Object.entries(timeouts).map(([id, t]) => target(id, t));
  return {
    policy: 'p',
    primary: first as PlanTarget,
    fallbacks: rest,
    attempt_timeout_ms: Math.max(...Object.values(timeouts)),
    deadline_ms,
    max_attempts_per_target: 1,
    ...over,
  };
};

const call: InferenceCall = { kind: 'invocation', task: 'sentiment', payload: { text: 'hi' } };
const T0 = 1_700_000_000_000;

/** Starts the plan and keeps its outcome, so that advancing timers never leaves a rejection unhandled. */
function start(p: Plan, client: InferenceClient) {
  let outcome:
    | { ok: true; value: Awaited<ReturnType<typeof executePlan>> }
    | { ok: false; error: unknown }
    | undefined;
  const done = executePlan(p, call, { client, now: () => Date.now() }).then(
    (value) => {
      outcome = { ok: true, value };
    },
    (error: unknown) => {
      outcome = { ok: false, error };
    },
  );
  return {
    get outcome() {
      return outcome;
    },
    async settled() {
      await done;
      return outcome as NonNullable<typeof outcome>;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('per-attempt timeout', () => {
  it('aborts an attempt at exactly its target timeout when the deadline is further away', async () => {
    const client = new TimedClient({ a: { kind: 'hang' }, b: { kind: 'ok-after', ms: 40 } });
    const run = start(plan({ a: 300, b: 5_000 }, 10_000), client);
    await vi.advanceTimersByTimeAsync(299);
    expect(client.signals.get('a')?.aborted).toBe(false);
    expect(client.started).toEqual([['a', T0]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(client.signals.get('a')?.aborted).toBe(true);
    expect(client.started).toEqual([
      ['a', T0],
      ['b', T0 + 300],
    ]);
    await vi.advanceTimersByTimeAsync(40);
    const out = await run.settled();
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.value.attempts).toEqual([
      {
        endpoint: 'a',
        model: 'm',
        version: 'v1',
        outcome: 'timeout',
        duration_ms: 300,
        error: 'attempt timed out after 300 ms',
      },
      { endpoint: 'b', model: 'm', version: 'v1', outcome: 'success', duration_ms: 40 },
    ]);
  });

  it('the deadline caps a longer target timeout: aborted at exactly the deadline, a 504', async () => {
    const client = new TimedClient({ a: { kind: 'hang' } });
    const run = start(plan({ a: 5_000, b: 5_000 }, 250), client);
    await vi.advanceTimersByTimeAsync(249);
    expect(client.signals.get('a')?.aborted).toBe(false);
    expect(run.outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(client.signals.get('a')?.aborted).toBe(true);
    const out = await run.settled();
    expect(out.ok).toBe(false);
    const err = (out as { error: unknown }).error as TargetsExhaustedError;
    expect(err).toBeInstanceOf(TargetsExhaustedError);
    expect(err.status).toBe(504);
    expect(err.attempts.map((a) => [a.endpoint, a.outcome, a.duration_ms, a.error])).toEqual([
      ['a', 'timeout', 250, 'deadline reached after 250 ms'],
      ['b', 'skipped-deadline', 0, undefined],
    ]);
    expect(client.started).toEqual([['a', T0]]);
  });

  it('a fallback gets only the time left: 1000 ms deadline, primary failed at 100 ms, fallback cut at 900 ms', async () => {
    const client = new TimedClient({
      a: { kind: 'fail-after', ms: 100, failure: 'server' },
      b: { kind: 'hang' },
    });
    const run = start(plan({ a: 5_000, b: 5_000 }, 1_000), client);
    await vi.advanceTimersByTimeAsync(100);
    expect(client.started).toEqual([
      ['a', T0],
      ['b', T0 + 100],
    ]);
    await vi.advanceTimersByTimeAsync(899);
    expect(client.signals.get('b')?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(client.signals.get('b')?.aborted).toBe(true);
    const err = ((await run.settled()) as { error: unknown }).error as TargetsExhaustedError;
    expect(err.status).toBe(504);
    expect(err.attempts.map((a) => [a.endpoint, a.outcome, a.duration_ms, a.error])).toEqual([
      ['a', 'server', 100, 'a: server'],
      ['b', 'timeout', 900, 'deadline reached after 900 ms'],
    ]);
  });

  it('a target timeout equal to the time left is the attempt`s own timeout, and then the deadline is spent', async () => {
    const client = new TimedClient({ a: { kind: 'hang' } });
    const run = start(plan({ a: 300, b: 300 }, 300), client);
    await vi.advanceTimersByTimeAsync(300);
    const err = ((await run.settled()) as { error: unknown }).error as TargetsExhaustedError;
    expect(err.status).toBe(504);
    expect(err.attempts.map((a) => [a.endpoint, a.outcome, a.error])).toEqual([
      ['a', 'timeout', 'attempt timed out after 300 ms'],
      ['b', 'skipped-deadline', undefined],
    ]);
    expect(client.started).toEqual([['a', T0]]);
  });

  it('starts nothing once the deadline is reached: a failure at exactly the deadline skips the rest', async () => {
    const client = new TimedClient({
      a: { kind: 'fail-after', ms: 400, failure: 'server' },
      b: { kind: 'ok-after', ms: 1 },
    });
    const run = start(plan({ a: 1_000, b: 1_000 }, 400), client);
    await vi.advanceTimersByTimeAsync(400);
    const out = await run.settled();
    expect(out.ok).toBe(false);
    expect(client.started).toEqual([['a', T0]]);
    const err = (out as { error: unknown }).error as TargetsExhaustedError;
    expect(err.status).toBe(504);
    expect(err.attempts.map((a) => [a.endpoint, a.outcome])).toEqual([
      ['a', 'timeout'],
      ['b', 'skipped-deadline'],
    ]);
  });

  it('every failure before the deadline is a 502 (all targets failed), with exact durations', async () => {
    const client = new TimedClient({
      a: { kind: 'fail-after', ms: 30, failure: 'server' },
      b: { kind: 'fail-after', ms: 70, failure: 'throttled' },
    });
    const run = start(plan({ a: 1_000, b: 1_000 }, 5_000), client);
    await vi.advanceTimersByTimeAsync(100);
    const err = ((await run.settled()) as { error: unknown }).error as TargetsExhaustedError;
    expect(err.status).toBe(502);
    expect(err.attempts.map((a) => [a.endpoint, a.outcome, a.duration_ms])).toEqual([
      ['a', 'server', 30],
      ['b', 'throttled', 70],
    ]);
    expect(client.started).toEqual([
      ['a', T0],
      ['b', T0 + 30],
    ]);
  });
});

describe('hedge timing', () => {
  it('starts the hedge target at exactly delay_ms, capped like any attempt by the deadline', async () => {
    const client = new TimedClient({ a: { kind: 'hang' }, b: { kind: 'hang' } });
    const p = plan({ a: 5_000, b: 5_000, c: 5_000 }, 600);
    p.hedge = { delay_ms: 150, target: p.fallbacks[0] as PlanTarget };
    const run = start(p, client);
    await vi.advanceTimersByTimeAsync(149);
    expect(client.started).toEqual([['a', T0]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(client.started).toEqual([
      ['a', T0],
      ['b', T0 + 150],
    ]);
    await vi.advanceTimersByTimeAsync(449);
    expect(client.signals.get('b')?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = ((await run.settled()) as { error: unknown }).error as TargetsExhaustedError;
    expect(err.status).toBe(504);
    expect(err.attempts.map((a) => [a.endpoint, a.outcome, a.duration_ms, a.error])).toEqual([
      ['a', 'timeout', 600, 'deadline reached after 600 ms'],
      ['b', 'timeout', 450, 'deadline reached after 450 ms'],
      ['c', 'skipped-deadline', 0, undefined],
    ]);
  });
});

describe('ensemble timing', () => {
  it('every member is cut at the deadline when it is shorter than their timeouts', async () => {
    const client = new TimedClient({ a: { kind: 'hang' }, b: { kind: 'hang' } });
    const p = plan({ a: 5_000 }, 200);
    p.ensemble = { targets: [target('a', 5_000), target('b', 5_000)], combine: 'first-success' };
    const run = start(p, client);
    await vi.advanceTimersByTimeAsync(199);
    expect(run.outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    const err = ((await run.settled()) as { error: unknown }).error as TargetsExhaustedError;
    expect(err.status).toBe(504);
    expect(err.attempts.map((a) => [a.endpoint, a.outcome, a.duration_ms])).toEqual([
      ['a', 'timeout', 200],
      ['b', 'timeout', 200],
    ]);
  });

  it('a member`s own shorter timeout applies; the others go on', async () => {
    const client = new TimedClient({ a: { kind: 'hang' }, b: { kind: 'ok-after', ms: 120 } });
    const p = plan({ a: 100 }, 1_000);
    p.ensemble = { targets: [target('a', 100), target('b', 5_000)], combine: 'first-success' };
    const run = start(p, client);
    await vi.advanceTimersByTimeAsync(100);
    expect(client.signals.get('a')?.aborted).toBe(true);
    expect(client.signals.get('b')?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    const out = await run.settled();
    expect(out.ok && out.value.target.endpoint).toBe('b');
    expect(out.ok && out.value.attempts.map((a) => [a.endpoint, a.outcome, a.duration_ms])).toEqual([
      ['a', 'timeout', 100],
      ['b', 'success', 120],
    ]);
  });
});
