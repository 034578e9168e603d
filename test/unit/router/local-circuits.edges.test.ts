// LocalCircuits at its edges: a stale shared record (an old `open` one included) counts for
// nothing, so this router's own breaker decides, and a stale open circuit with a closed or
// half-open local breaker no longer excludes the endpoint; the trial-busy window and the overlay's
// maximum age at exactly their lengths; release() and admit() on closed breakers.
import { describe, expect, it } from 'vitest';
import { LocalCircuits } from '../../../functions/router/local-circuits.ts';
import type { Decision } from '../../../layers/core/src/index.ts';
import { DEFAULT_CIRCUIT_SETTINGS, route } from '../../../layers/core/src/index.ts';
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
  models: [model('m', { quality: { chat: 0.8 } })],
  endpoints: [endpoint('a', 'm'), endpoint('b', 'm'), endpoint('z', 'm')],
  policies: [
    policy('p', {
      match: { model: 'p' },
      models: ['m'],
      weights: { quality: 1, cost: 0, latency: 0, load: 0 },
      circuit: { failure_threshold: 2, cooldown_ms: 1_000 },
    }),
  ],
});
const FRESH = 90_000;
const STALE = NOW - FRESH - 1;

function tripped(endpointId = 'a', at = NOW): LocalCircuits {
  const c = new LocalCircuits();
  c.useRegistry(registry);
  c.record(endpointId, { ok: false, at, detail: 'connection' });
  c.record(endpointId, { ok: false, at, detail: 'connection' });
  return c;
}
const decideAt = (view: ReturnType<LocalCircuits['view']>, now: number): Decision =>
  route(request({ model: 'p' }), { registry, health: view }, ctx(1, now));
const scoreOf = (d: Decision, id: string) => d.explanation.candidates.find((c) => c.endpoint === id)?.score;

describe('LocalCircuits over stale shared health', () => {
  it('a locally open circuit excludes the endpoint even when the shared record is stale', () => {
    const c = tripped();
    const shared = snapshotOf(health('a', { checked_at: STALE }), health('b'));
    const view = c.view(shared, NOW + 10, FRESH);
    expect(view.endpoints.a).toEqual({
      endpoint: 'a',
      status: 'unknown',
      checked_at: NOW + 10,
      circuit: 'open',
      circuit_opened_at: NOW,
      reason: 'open in this router: 2 consecutive failures (threshold 2); last: connection',
    });
    expect(decideAt(view, NOW + 10).explanation.excluded.map((x) => [x.endpoint, x.rule])).toEqual([
      ['a', 'circuit-open'],
    ]);
  });

  it('a stale shared `open` under a half-open local breaker is half-open: routable at x0.9 x0.5', () => {
    const c = tripped();
    const shared = snapshotOf(health('a', { circuit: 'open', checked_at: STALE }), health('b'));
    const at = NOW + 1_000;
    const view = c.view(shared, at, FRESH);
    expect(view.endpoints.a).toMatchObject({ status: 'unknown', circuit: 'half-open', checked_at: at });
    const d = decideAt(view, at);
    expect(d.explanation.excluded).toEqual([]);
    expect(scoreOf(d, 'a')).toBeCloseTo(0.36, 12); // quality 0.8 x unknown 0.9 x half-open 0.5
    expect(scoreOf(d, 'b')).toBeCloseTo(0.8, 12);
  });

  it('a fresh shared record keeps its own figures under the local circuit', () => {
    const c = tripped();
    const shared = snapshotOf(health('a', { status: 'degraded', latency_ewma_ms: 42 }), health('b'));
    const view = c.view(shared, NOW + 1, FRESH);
    expect(view.endpoints.a).toMatchObject({
      status: 'degraded',
      latency_ewma_ms: 42,
      checked_at: NOW,
      circuit: 'open',
    });
  });

  it('a shared record exactly health_fresh_ms old is still fresh', () => {
    const c = tripped();
    const shared = snapshotOf(health('a', { status: 'degraded', checked_at: NOW - FRESH }), health('b'));
    expect(c.view(shared, NOW, FRESH).endpoints.a).toMatchObject({
      status: 'degraded',
      checked_at: NOW - FRESH,
    });
  });
});

describe('LocalCircuits timing edges', () => {
  it('shows the half-open circuit as open while its trial runs, until exactly one cooldown after it began', () => {
    const shared = snapshotOf(health('a'), health('b'));
    const trialAt = NOW + 1_000;
    // Two identical routers, so that the second view is not the first one's cached overlay.
    const [c, d] = [tripped(), tripped()];
    expect(c.admit('a', trialAt)).toBe(true);
    expect(d.admit('a', trialAt)).toBe(true);
    expect(c.view(shared, trialAt + 999, FRESH).endpoints.a?.circuit).toBe('open');
    expect(c.admit('a', trialAt + 999)).toBe(false);
    expect(d.view(shared, trialAt + 1_000, FRESH).endpoints.a?.circuit).toBe('half-open');
    expect(d.admit('a', trialAt + 1_000)).toBe(true);
  });

  it('is open for exactly cooldown_ms', () => {
    const c = tripped();
    expect(c.breaker('a', NOW + 999).state).toBe('open');
    expect(c.admit('a', NOW + 999)).toBe(false);
    expect(c.breaker('a', NOW + 1_000).state).toBe('half-open');
  });

  it('reuses an overlay for less than 1000 ms, then rebuilds it (its records age)', () => {
    // A 10 s cooldown, so that no breaker changes state while the overlay ages.
    const slow = compiled({
      models: [model('m')],
      endpoints: [endpoint('a', 'm'), endpoint('b', 'm')],
      policies: [policy('p', { models: ['m'], circuit: { failure_threshold: 1, cooldown_ms: 10_000 } })],
    });
    const c = new LocalCircuits();
    c.useRegistry(slow);
    c.record('a', { ok: false, at: NOW });
    // A stale shared record: the overlay stamps its own record with the time it was built.
    const shared = snapshotOf(health('a', { checked_at: STALE }), health('b'));
    const first = c.view(shared, NOW + 1, FRESH);
    expect(first.endpoints.a?.checked_at).toBe(NOW + 1);
    expect(c.view(shared, NOW + 1_000, FRESH)).toBe(first);
    const rebuilt = c.view(shared, NOW + 1_001, FRESH);
    expect(rebuilt).not.toBe(first);
    expect(rebuilt.endpoints.a).toMatchObject({ circuit: 'open', checked_at: NOW + 1_001 });
    // A different base snapshot is never served from the cache.
    const other = snapshotOf(health('a'), health('b'));
    expect(c.view(other, NOW + 1_002, FRESH)).not.toBe(rebuilt);
  });

  it('rebuilds the overlay when a breaker changes state', () => {
    const c = tripped();
    const shared = snapshotOf(health('a'), health('b'));
    const open = c.view(shared, NOW + 1, FRESH);
    c.record('b', { ok: false, at: NOW + 2 });
    c.record('b', { ok: false, at: NOW + 2 });
    const both = c.view(shared, NOW + 3, FRESH);
    expect(both).not.toBe(open);
    expect(both.endpoints.b?.circuit).toBe('open');
  });
});

describe('LocalCircuits bookkeeping', () => {
  it('admits on an unknown or closed breaker without creating one; release frees a trial', () => {
    const c = new LocalCircuits();
    c.useRegistry(registry);
    expect(c.admit('a', NOW)).toBe(true);
    c.release('a', NOW); // nothing to release
    expect(c.breaker('a', NOW).state).toBe('closed');
    const t = tripped();
    expect(t.admit('a', NOW + 1_000)).toBe(true);
    expect(t.admit('a', NOW + 1_001)).toBe(false);
    t.release('a', NOW + 1_001);
    expect(t.admit('a', NOW + 1_002)).toBe(true);
  });

  it('closes again on the trial`s success: the view is the shared snapshot itself', () => {
    const c = tripped();
    const shared = snapshotOf(health('a'), health('b'));
    expect(c.admit('a', NOW + 1_000)).toBe(true);
    c.record('a', { ok: true, at: NOW + 1_010 });
    expect(c.breaker('a', NOW + 1_011).state).toBe('closed');
    expect(c.view(shared, NOW + 1_011, FRESH)).toBe(shared);
  });

  it('uses the default settings for an endpoint no policy covers, and for unknown ids', () => {
    const other = compiled({
      models: [model('m'), model('q')],
      endpoints: [endpoint('a', 'm'), endpoint('x', 'q')],
      policies: [policy('p', { models: ['m'], circuit: { failure_threshold: 2 } })],
    });
    const c = new LocalCircuits();
    c.useRegistry(other);
    expect(c.settingsOf('a').failure_threshold).toBe(2);
    expect(c.settingsOf('x')).toEqual(DEFAULT_CIRCUIT_SETTINGS);
    expect(c.settingsOf('nope')).toEqual(DEFAULT_CIRCUIT_SETTINGS);
    for (let i = 0; i < 4; i++) c.record('x', { ok: false, at: NOW + i });
    expect(c.breaker('x', NOW + 4).state).toBe('closed');
    c.record('x', { ok: false, at: NOW + 4 });
    expect(c.breaker('x', NOW + 5).state).toBe('open');
  });

  it('switches settings with the registry', () => {
    const c = tripped();
    const looser = compiled({
      models: [model('m')],
      endpoints: [endpoint('a', 'm')],
      policies: [policy('p', { models: ['m'], circuit: { failure_threshold: 9, cooldown_ms: 5_000 } })],
    });
    c.useRegistry(looser);
    expect(c.settingsOf('a')).toMatchObject({ failure_threshold: 9, cooldown_ms: 5_000 });
    expect(c.breaker('a', NOW + 4_999).state).toBe('open');
    expect(c.breaker('a', NOW + 5_000).state).toBe('half-open');
  });
});
