// The router's in-memory breakers (local-circuits.ts) and the circuit-aware inference client:
// a failing endpoint is skipped after failure_threshold failures (the core then excludes it, or
// fails fast with a 503 when it was the only one), half-open lets one trial through, and the
// overlay leaves the shared snapshot untouched while every breaker is closed.
import { describe, expect, it } from 'vitest';
import { CircuitAwareClient, isShortCircuited } from '../../../functions/router/circuit-client.ts';
import { LocalCircuits } from '../../../functions/router/local-circuits.ts';
import type { InferenceClient, PlanTarget, RouterCircuitChange } from '../../../layers/core/src/index.ts';
import {
  InvalidRequestError,
  NoCandidateError,
  route,
  UpstreamError,
} from '../../../layers/core/src/index.ts';
import {
  compiled,
  ctx,
  endpoint,
  health,
  model,
  NOW,
  policy,
  request,
  snapshotOf,
} from '../core/fixtures.ts';

const registry = compiled({
  models: [model('m')],
  endpoints: [endpoint('a', 'm'), endpoint('b', 'm')],
  policies: [
    policy('p', {
      match: { model: 'p' },
      models: ['m'],
      circuit: { failure_threshold: 2, cooldown_ms: 1_000 },
    }),
  ],
});
const FRESH = 90_000;

function circuits(): LocalCircuits {
  const c = new LocalCircuits();
  c.useRegistry(registry);
  return c;
}

describe('LocalCircuits', () => {
  it('takes the endpoint settings from the registry policy', () => {
    expect(circuits().settingsOf('a')).toMatchObject({ failure_threshold: 2, cooldown_ms: 1_000 });
  });

  it('returns the shared snapshot itself while every breaker is closed', () => {
    const c = circuits();
    const shared = snapshotOf(health('a'), health('b'));
    c.record('a', { ok: false, at: NOW });
    expect(c.view(shared, NOW, FRESH)).toBe(shared);
  });

  it('lays an open circuit over the shared health; the core excludes it and routes to the other', () => {
    const c = circuits();
    const shared = snapshotOf(health('a'), health('b'));
    c.record('a', { ok: false, at: NOW, detail: 'connection' });
    c.record('a', { ok: false, at: NOW + 1, detail: 'connection' });
    const view = c.view(shared, NOW + 2, FRESH);
    expect(view).not.toBe(shared);
    expect(view.endpoints.a).toMatchObject({ circuit: 'open', status: 'up' });
    expect(view.endpoints.a?.reason).toMatch(/^open in this router: 2 consecutive failures/);
    expect(shared.endpoints.a?.circuit).toBe('closed'); // the shared snapshot is not edited
    expect(c.view(shared, NOW + 3, FRESH)).toBe(view); // reused while nothing changed
    for (let i = 0; i < 20; i++) {
      const d = route(request({ model: 'p' }), { registry, health: view }, ctx(i, NOW + 2));
      expect(d.plan.primary.endpoint).toBe('b');
      expect(d.explanation.excluded.find((x) => x.endpoint === 'a')?.rule).toBe('circuit-open');
    }
  });

  it('fails fast (503) when the open endpoint was the only one', () => {
    const solo = compiled({
      models: [model('m')],
      endpoints: [endpoint('a', 'm')],
      policies: [policy('p', { match: { model: 'p' } })],
    });
    const c = new LocalCircuits();
    c.useRegistry(solo);
    for (let i = 0; i < 5; i++) c.record('a', { ok: false, at: NOW + i });
    const view = c.view({ endpoints: {} }, NOW + 5, FRESH);
    expect(view.endpoints.a).toMatchObject({ status: 'unknown', circuit: 'open', checked_at: NOW + 5 });
    try {
      route(request({ model: 'p' }), { registry: solo, health: view }, ctx(1, NOW + 5));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NoCandidateError);
      expect((err as NoCandidateError).status).toBe(503);
      expect((err as NoCandidateError).rule).toBe('circuit-open');
    }
  });

  it('after the cooldown shows half-open (routable), then open again while its one trial runs', () => {
    const c = circuits();
    const shared = snapshotOf(health('a'), health('b'));
    c.record('a', { ok: false, at: NOW });
    c.record('a', { ok: false, at: NOW });
    const later = NOW + 1_000;
    expect(c.view(shared, later, FRESH).endpoints.a?.circuit).toBe('half-open');
    expect(c.admit('a', later)).toBe(true);
    expect(c.admit('a', later + 1)).toBe(false);
    expect(c.view(shared, later + 1, FRESH).endpoints.a?.circuit).toBe('open');
    c.record('a', { ok: true, at: later + 5 });
    expect(c.view(shared, later + 6, FRESH)).toBe(shared);
  });

  it('keeps a shared open circuit open even when the local one is half-open', () => {
    const c = circuits();
    const shared = snapshotOf(health('a', { circuit: 'open', checked_at: NOW }), health('b'));
    c.record('a', { ok: false, at: NOW });
    c.record('a', { ok: false, at: NOW });
    expect(c.view(shared, NOW + 1_000, FRESH).endpoints.a?.circuit).toBe('open');
  });
});

describe('LocalCircuits: state changes for publishing', () => {
  it('reports open, half-open and closed once each, with opened-at, reason and when each lapses', () => {
    const changes: RouterCircuitChange[] = [];
    const c = new LocalCircuits({ onChange: (x) => changes.push(x) });
    c.useRegistry(registry);
    const shared = snapshotOf(health('a'), health('b'));
    c.record('a', { ok: false, at: NOW, detail: 'connection' });
    expect(changes).toEqual([]); // one failure of two: still closed, nothing to say
    c.record('a', { ok: false, at: NOW + 5, detail: 'connection' });
    c.record('a', { ok: false, at: NOW + 6, detail: 'connection' }); // late, already open: no change
    c.view(shared, NOW + 999, FRESH); // not yet past the cooldown (1,000 ms)
    c.view(shared, NOW + 1_005, FRESH); // the cooldown is over: half-open
    expect(c.admit('a', NOW + 1_010)).toBe(true); // the trial (same state: no change)
    c.record('a', { ok: true, at: NOW + 1_020 });
    expect(changes).toEqual([
      {
        endpoint: 'a',
        state: 'open',
        opened_at: NOW + 5,
        reason: '2 consecutive failures (threshold 2); last: connection',
        at: NOW + 5,
        until: NOW + 1_005,
      },
      {
        endpoint: 'a',
        state: 'half-open',
        opened_at: NOW + 5,
        reason: '2 consecutive failures (threshold 2); last: connection',
        at: NOW + 1_005,
        until: NOW + 2_005,
      },
      { endpoint: 'a', state: 'closed', at: NOW + 1_020, until: NOW + 1_020 },
    ]);
  });

  it('reports a failed trial as open again, for another cooldown', () => {
    const changes: RouterCircuitChange[] = [];
    const c = new LocalCircuits({ onChange: (x) => changes.push(x) });
    c.useRegistry(registry);
    c.record('a', { ok: false, at: NOW });
    c.record('a', { ok: false, at: NOW });
    expect(c.admit('a', NOW + 1_000)).toBe(true);
    c.record('a', { ok: false, at: NOW + 1_100, detail: 'timeout' });
    expect(changes.map((x) => [x.state, x.at, x.until])).toEqual([
      ['open', NOW, NOW + 1_000],
      ['half-open', NOW + 1_000, NOW + 2_000],
      ['open', NOW + 1_100, NOW + 2_100],
    ]);
    expect(changes[2]?.reason).toBe('trial after cooldown failed (timeout)');
  });
});

describe('CircuitAwareClient', () => {
  const target = (id: string): PlanTarget => ({
    endpoint: id,
    model: 'm',
    version: 'v1',
    kind: 'openai-http',
    target: 'x',
    region: 'us-east-1',
    upstream_model: 'm',
    timeout_ms: 1_000,
    estimated_cost_usd: 0,
  });
  const call = {
    kind: 'chat' as const,
    body: { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] },
  };

  it('feeds each outcome at once and refuses attempts while open, without calling upstream', async () => {
    let calls = 0;
    let fail: UpstreamError | undefined = new UpstreamError('server', 'HTTP 500', 500);
    const inner: InferenceClient = {
      invoke: async () => {
        calls++;
        if (fail) throw fail;
        return { body: {} };
      },
    };
    const c = circuits();
    let now = NOW;
    const client = new CircuitAwareClient(inner, c, () => now);
    const signal = new AbortController().signal;
    await expect(client.invoke(target('a'), call, signal)).rejects.toThrow('HTTP 500');
    await expect(client.invoke(target('a'), call, signal)).rejects.toThrow('HTTP 500');
    expect(c.breaker('a', now).state).toBe('open');
    const refused = await client.invoke(target('a'), call, signal).catch((e: unknown) => e as UpstreamError);
    expect(calls).toBe(2);
    expect(refused).toBeInstanceOf(UpstreamError);
    expect((refused as UpstreamError).retryable).toBe(true);
    expect(isShortCircuited({ error: (refused as UpstreamError).message })).toBe(true);
    // After the cooldown one trial goes through and closes it.
    now += 1_000;
    fail = undefined;
    await client.invoke(target('a'), call, signal);
    expect(calls).toBe(3);
    expect(c.breaker('a', now).state).toBe('closed');
  });

  it.each([
    [
      'a rejected request (the upstream says the request is bad)',
      new UpstreamError('rejected', 'HTTP 400', 400),
    ],
    ["a request the client could not build (the caller's input)", new InvalidRequestError('too deep')],
    ['a defect of ours', new TypeError('x is not a function')],
  ])('%s counts neither way', async (_what, thrown) => {
    let err: unknown = new UpstreamError('connection', 'reset');
    const inner: InferenceClient = {
      invoke: async () => {
        throw err;
      },
    };
    const c = circuits();
    const client = new CircuitAwareClient(inner, c, () => NOW);
    const signal = new AbortController().signal;
    await client.invoke(target('a'), call, signal).catch(() => undefined);
    expect(c.breaker('a', NOW)).toMatchObject({ state: 'closed', consecutive_failures: 1 });
    err = thrown;
    // Neither opens the circuit (threshold 2) nor resets the failure before it.
    for (let i = 0; i < 5; i++) {
      const seen = await client.invoke(target('a'), call, signal).catch((e: unknown) => e);
      expect(seen).toBe(thrown);
    }
    expect(c.breaker('a', NOW)).toMatchObject({ state: 'closed', consecutive_failures: 1 });
  });

  it('a request not sent during a half-open trial frees the trial slot for the next request', async () => {
    let err: unknown = new UpstreamError('server', 'HTTP 500', 500);
    const inner: InferenceClient = {
      invoke: async () => {
        if (err) throw err;
        return { body: {} };
      },
    };
    const c = circuits();
    let now = NOW;
    const client = new CircuitAwareClient(inner, c, () => now);
    const signal = new AbortController().signal;
    for (let i = 0; i < 2; i++) await client.invoke(target('a'), call, signal).catch(() => undefined);
    now += 1_000; // the cooldown: half-open
    err = new InvalidRequestError('too deep');
    await expect(client.invoke(target('a'), call, signal)).rejects.toBe(err);
    expect(c.breaker('a', now)).toMatchObject({ state: 'half-open' });
    expect(c.breaker('a', now).trial_at).toBeUndefined();
    err = undefined;
    await client.invoke(target('a'), call, signal);
    expect(c.breaker('a', now).state).toBe('closed');
  });

  it('an attempt cancelled because another answered first is no verdict; a timeout is a failure', async () => {
    const c = circuits();
    const inner: InferenceClient = {
      invoke: (_t, _c, signal) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    };
    const client = new CircuitAwareClient(inner, c, () => NOW);
    const cancelled = new AbortController();
    const p1 = client.invoke(target('a'), call, cancelled.signal).catch(() => undefined);
    cancelled.abort(new Error('cancelled: another attempt answered first'));
    await p1;
    expect(c.breaker('a', NOW).consecutive_failures).toBe(0);
    const timedOut = new AbortController();
    const p2 = client.invoke(target('a'), call, timedOut.signal).catch(() => undefined);
    timedOut.abort(new UpstreamError('timeout', 'attempt timed out'));
    await p2;
    expect(c.breaker('a', NOW).consecutive_failures).toBe(1);
  });
});
