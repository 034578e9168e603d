// The router container's in-flight tracking: the tracker's exact counts, its load for route()
// (never written once handed out) and its view of the shared health (its own reported share
// replaced, not double counted); the tracking client (released exactly once on success, failure,
// a synchronous throw, an abort, or a client that never settles); and the router service with
// many concurrent invocations in one process: counts exact at every moment, decisions seeing each
// other's attempts at once, nothing left counted after timeouts, hedges, fallbacks and exceptions.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitAwareClient } from '../../../functions/router/circuit-client.ts';
import { InflightTrackingClient } from '../../../functions/router/inflight-client.ts';
import { InflightTracker } from '../../../functions/router/inflight-tracker.ts';
import { LocalCircuits } from '../../../functions/router/local-circuits.ts';
import { RouterService } from '../../../functions/router/router.service.ts';
import type {
  HealthSnapshot,
  InferenceCall,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '../../../layers/core/src/index.ts';
import { seededRandom, UpstreamError } from '../../../layers/core/src/index.ts';
import { compiled, endpoint, health, model, NOW, policy, snapshotOf } from '../core/fixtures.ts';

afterEach(() => {
  vi.useRealTimers();
});

const registry = compiled({
  models: [model('m')],
  endpoints: [endpoint('a', 'm'), endpoint('b', 'm'), endpoint('c', 'm')],
  policies: [
    policy('lor', { models: ['m'], strategy: 'least-outstanding' }),
    policy('solo', {
      models: ['m'],
      strategy: 'cost-first',
      fallback: { count: 0, mode: 'same-model-first' },
    }),
    policy('quick', {
      models: ['m'],
      strategy: 'cost-first',
      fallback: { count: 1, mode: 'same-model-first' },
      timeouts: { attempt_ms: 100, deadline_ms: 1000 },
    }),
    policy('hedged', { models: ['m'], strategy: 'cost-first', hedge: { delay_ms: 50 } }),
  ],
});

const target = (endpointId: string): PlanTarget => ({
  endpoint: endpointId,
  model: 'm',
  version: 'v1',
  kind: 'openai-http',
  target: `http://${endpointId}/v1`,
  region: 'us-east-1',
  upstream_model: 'm',
  timeout_ms: 1000,
  estimated_cost_usd: 0,
});
const call: InferenceCall = { kind: 'invocation', task: 'chat', payload: {} };

describe('InflightTracker', () => {
  it('counts exactly, releases once, and reports every change', () => {
    let changes = 0;
    const t = new InflightTracker('r1', () => changes++);
    const r1 = t.acquire('a');
    const r2 = t.acquire('a');
    t.acquire('b');
    expect([t.count('a'), t.count('b'), t.count('c')]).toEqual([2, 1, 0]);
    r1();
    r1();
    expect(t.count('a')).toBe(1);
    r2();
    expect(t.counts()).toEqual({ b: 1 });
    expect(Object.getPrototypeOf(t.counts())).toBeNull();
    expect(changes).toBe(5);
    expect(t.version).toBe(5);
  });

  it('hands route() the counts by registry slot, never writing an array it handed out', () => {
    const t = new InflightTracker('r1');
    expect(t.load()).toBeUndefined();
    t.acquire('b');
    t.useRegistry(registry);
    const first = t.load();
    expect(first?.registry).toBe(registry);
    expect(Array.from(first?.inflight ?? [])).toEqual([0, 1, 0]);
    const release = t.acquire('c');
    expect(Array.from(first?.inflight ?? [])).toEqual([0, 1, 0]);
    expect(Array.from(t.load()?.inflight ?? [])).toEqual([0, 1, 1]);
    release();
    expect(Array.from(t.load()?.inflight ?? [])).toEqual([0, 1, 0]);
  });

  it('re-indexes the counts when the registry changes', () => {
    const t = new InflightTracker('r1');
    t.useRegistry(registry);
    t.acquire('a');
    const reordered = compiled({
      models: [model('m')],
      endpoints: [endpoint('c', 'm'), endpoint('a', 'm')],
      policies: [],
    });
    t.useRegistry(reordered);
    expect(Array.from(t.load()?.inflight ?? [])).toEqual([0, 1]);
  });

  it('takes its own reported share out of the shared figures, leaving other routers` shares', () => {
    const t = new InflightTracker('r1');
    const base: HealthSnapshot = {
      endpoints: snapshotOf(
        health('a', { inflight: 5 }),
        health('b', { inflight: 1 }),
        health('c', { inflight: 3 }),
      ).endpoints,
      inflight_reports: [
        { router: 'r1', at: NOW, inflight: { a: 2, b: 4 } },
        { router: 'r2', at: NOW, inflight: { a: 3, c: 3 } },
      ],
    };
    const view = t.view(base);
    expect(view.endpoints.a?.inflight).toBe(3);
    expect(view.endpoints.b?.inflight).toBe(0);
    expect(view.endpoints.c?.inflight).toBe(3);
    expect(base.endpoints.a?.inflight).toBe(5);
    expect(t.view(base)).toBe(view);
  });

  it('returns the shared snapshot itself when it holds no report of this container', () => {
    const t = new InflightTracker('r1');
    const base: HealthSnapshot = {
      endpoints: snapshotOf(health('a', { inflight: 2 })).endpoints,
      inflight_reports: [{ router: 'r2', at: NOW, inflight: { a: 2 } }],
    };
    expect(t.view(base)).toBe(base);
    const plain = snapshotOf(health('a'));
    expect(t.view(plain)).toBe(plain);
  });
});

/** An inner client whose calls the test settles; it announces every call. */
class HeldClient implements InferenceClient {
  readonly pending: Array<{
    endpoint: string;
    signal: AbortSignal;
    resolve: (r: InferenceResult) => void;
    reject: (e: unknown) => void;
  }> = [];
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  calls = 0;

  constructor(
    private readonly mode: (endpoint: string) => 'hold' | 'deaf' | 'throw' | 'honour-abort' = () => 'hold',
  ) {}

  invoke(t: PlanTarget, _call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    this.calls++;
    const mode = this.mode(t.endpoint);
    if (mode === 'throw') throw new TypeError('client bug');
    const p = new Promise<InferenceResult>((resolve, reject) => {
      this.pending.push({ endpoint: t.endpoint, signal, resolve, reject });
      if (mode === 'honour-abort') {
        signal.addEventListener('abort', () => reject(new UpstreamError('timeout', 'aborted')));
      }
    });
    for (const w of this.#waiters.filter((x) => this.calls >= x.n)) w.resolve();
    this.#waiters = this.#waiters.filter((x) => this.calls < x.n);
    return p;
  }

  /** Resolves once `n` calls have been made. */
  calledTimes(n: number): Promise<void> {
    if (this.calls >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  settle(endpointId: string, how: 'ok' | UpstreamError | Error, max = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (const p of this.pending.filter((x) => x.endpoint === endpointId)) {
      if (n >= max) break;
      this.pending.splice(this.pending.indexOf(p), 1);
      if (how === 'ok') p.resolve({ body: { choices: [] } });
      else p.reject(how);
      n++;
    }
    return n;
  }
}

describe('InflightTrackingClient', () => {
  it('counts the attempt while it runs and releases it when it succeeds or fails', async () => {
    const tracker = new InflightTracker('r1');
    const inner = new HeldClient();
    const client = new InflightTrackingClient(inner, tracker);
    const ok = client.invoke(target('a'), call, new AbortController().signal);
    const bad = client.invoke(target('a'), call, new AbortController().signal).catch((e: unknown) => e);
    expect(tracker.count('a')).toBe(2);
    inner.settle('a', 'ok', 1);
    await ok;
    expect(tracker.count('a')).toBe(1);
    inner.settle('a', new UpstreamError('server', 'boom', 500));
    expect(await bad).toBeInstanceOf(UpstreamError);
    expect(tracker.count('a')).toBe(0);
  });

  it('releases a client that throws synchronously', async () => {
    const tracker = new InflightTracker('r1');
    const client = new InflightTrackingClient(new HeldClient(() => 'throw'), tracker);
    await expect(client.invoke(target('a'), call, new AbortController().signal)).rejects.toThrow(
      'client bug',
    );
    expect(tracker.count('a')).toBe(0);
  });

  it('releases at the abort, even when the client ignores the signal and never settles', async () => {
    const tracker = new InflightTracker('r1');
    const client = new InflightTrackingClient(new HeldClient(() => 'deaf'), tracker);
    const controller = new AbortController();
    void client.invoke(target('a'), call, controller.signal);
    expect(tracker.count('a')).toBe(1);
    controller.abort();
    expect(tracker.count('a')).toBe(0);
    const aborted = AbortSignal.abort();
    void client.invoke(target('b'), call, aborted);
    expect(tracker.count('b')).toBe(0);
  });
});

function service(inner: InferenceClient, reg = registry, h: HealthSnapshot = { endpoints: {} }) {
  const tracker = new InflightTracker('r1');
  const circuits = new LocalCircuits();
  const recorded: string[] = [];
  const svc = new RouterService({
    registry: { get: async () => reg },
    health: { get: async () => h },
    inference: new CircuitAwareClient(new InflightTrackingClient(inner, tracker), circuits, Date.now),
    circuits,
    inflight: tracker,
    recordOutcomes: async (outcomes) => {
      recorded.push(...outcomes.map((o) => `${o.endpoint}:${o.ok ? 'ok' : o.failure}`));
    },
    now: Date.now,
    random: seededRandom(3),
    healthFreshMs: 90_000,
  });
  return { svc, tracker, recorded };
}

const caller = { tenant: 't', role: 'consumer' as const };
const chat = (modelName: string) => ({ model: modelName, messages: [{ role: 'user', content: 'hi' }] });

describe('RouterService with many concurrent requests in one process', () => {
  it('keeps exact counts: 40 least-outstanding requests split 14/13/13, and the dry run sees them', async () => {
    const inner = new HeldClient();
    const { svc, tracker } = service(inner);
    const answers = Array.from({ length: 40 }, () => svc.chat(chat('lor'), {}, caller));
    await inner.calledTimes(40);
    // Each decision saw every attempt started before it: never more than one apart.
    expect([tracker.count('a'), tracker.count('b'), tracker.count('c')].sort()).toEqual([13, 13, 14]);
    const dry = (await svc.dryRun(chat('lor'), {}, caller)) as {
      explanation: { candidates: Array<{ endpoint: string; inflight: number; parts: { load: number } }> };
    };
    const seen = Object.fromEntries(dry.explanation.candidates.map((c) => [c.endpoint, c.inflight]));
    expect(seen).toEqual({ a: tracker.count('a'), b: tracker.count('b'), c: tracker.count('c') });
    // Settle them: a's succeed, b's fail and move to a or c (counted there at once), then the rest succeed.
    const onB = tracker.count('b');
    expect(inner.settle('a', 'ok')).toBe(tracker.count('a'));
    inner.settle('b', new UpstreamError('server', 'b broke', 500));
    await inner.calledTimes(40 + onB);
    expect(tracker.count('b')).toBe(0);
    expect(tracker.count('a') + tracker.count('c')).toBe(inner.pending.length);
    inner.settle('a', 'ok');
    inner.settle('c', 'ok');
    const results = await Promise.allSettled(answers);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(inner.pending).toEqual([]);
    expect(tracker.counts()).toEqual({});
  });

  it('releases timed-out attempts, whether or not the client honours the abort', async () => {
    vi.useFakeTimers({ now: NOW });
    const inner = new HeldClient((id) => (id === 'a' ? 'deaf' : 'honour-abort'));
    const { svc, tracker } = service(inner);
    const answers = Array.from({ length: 8 }, () =>
      svc.chat(chat('quick'), {}, caller).catch((e: unknown) => e),
    );
    await inner.calledTimes(8);
    expect(tracker.count('a') + tracker.count('b') + tracker.count('c')).toBe(8);
    // attempt_ms 100: every primary times out, each request's one fallback starts...
    await vi.advanceTimersByTimeAsync(100);
    await inner.calledTimes(16);
    expect(tracker.count('a') + tracker.count('b') + tracker.count('c')).toBe(8);
    // ...and times out too: 504s, nothing left counted (a's calls never settle at all).
    await vi.advanceTimersByTimeAsync(100);
    const errors = await Promise.all(answers);
    expect(errors.every((e) => e instanceof Error && (e as { status?: number }).status === 502)).toBe(true);
    expect(tracker.counts()).toEqual({});
  });

  it('releases the hedge loser the moment the winner answers', async () => {
    vi.useFakeTimers({ now: NOW });
    const inner = new HeldClient(() => 'honour-abort');
    const { svc, tracker } = service(inner);
    const answer = svc.chat(chat('hedged'), {}, caller);
    await inner.calledTimes(1);
    const primary = inner.pending[0]?.endpoint as string;
    await vi.advanceTimersByTimeAsync(50);
    await inner.calledTimes(2);
    const hedge = inner.pending[1]?.endpoint as string;
    expect([tracker.count(primary), tracker.count(hedge)]).toEqual([1, 1]);
    inner.settle(hedge, 'ok');
    const { headers } = await answer;
    expect(headers['x-switchyard-endpoint']).toBe(hedge);
    expect(tracker.counts()).toEqual({});
  });

  it('releases attempts whose client throws, and serves from the next target', async () => {
    const inner = new HeldClient((id) => (id === 'a' ? 'throw' : 'hold'));
    const { svc, tracker } = service(inner);
    const answer = svc.chat(chat('solo'), {}, caller).catch((e: unknown) => e);
    expect(await answer).toBeInstanceOf(Error);
    expect(tracker.counts()).toEqual({});
  });

  it('retries the same endpoint while its circuit here is closed, and not once it tripped', async () => {
    vi.useFakeTimers({ now: NOW });
    const withThreshold = (failure_threshold: number) =>
      compiled({
        models: [model('m')],
        endpoints: [endpoint('a', 'm'), endpoint('b', 'm')],
        policies: [
          policy('retrying', {
            models: ['m'],
            strategy: 'cost-first',
            fallback: { count: 1, mode: 'same-model-first' },
            retry: { sync: { max_attempts_per_target: 2, base_delay_ms: 100 } },
            circuit: { failure_threshold, cooldown_ms: 60_000 },
          }),
        ],
      });
    const unavailable = () => new UpstreamError('server', 'busy', 503);

    const inner = new HeldClient();
    const { svc, recorded } = service(inner, withThreshold(2));
    const answer = svc.chat(chat('retrying'), {}, caller);
    await inner.calledTimes(1);
    inner.settle('a', unavailable());
    await vi.advanceTimersByTimeAsync(100);
    await inner.calledTimes(2);
    expect(inner.pending.map((p) => p.endpoint)).toEqual(['a']);
    inner.settle('a', 'ok');
    expect((await answer).headers['x-switchyard-attempts']).toBe('2');
    expect(recorded).toEqual(['a:server', 'a:ok']);

    // One failure trips the circuit: the chain moves on to b at once, no backoff.
    const inner2 = new HeldClient();
    const tripped = service(inner2, withThreshold(1));
    const answer2 = tripped.svc.chat(chat('retrying'), {}, caller);
    await inner2.calledTimes(1);
    inner2.settle('a', unavailable());
    await inner2.calledTimes(2);
    expect(inner2.pending.map((p) => p.endpoint)).toEqual(['b']);
    inner2.settle('b', 'ok');
    expect((await answer2).headers['x-switchyard-endpoint']).toBe('b');
  });
});
