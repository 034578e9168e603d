// route() with load: the snapshot's shared in-flight figures (fresh health only) plus this router
// container's own exact counts (LocalLoad, by registry slot, always counted) make the `load` score
// part, the candidates' `inflight`, p2c-ewma's queue cost and least-outstanding's order.
import { describe, expect, it } from 'vitest';
import type { Decision, HealthSnapshot, LocalLoad, RouteRequest } from '../../../layers/core/src/index.ts';
import { route, seededRandom } from '../../../layers/core/src/index.ts';
import { compiled, endpoint, health, model, NOW, policy, request, snapshotOf } from './fixtures.ts';

const registry = compiled({
  models: [model('m')],
  endpoints: [
    endpoint('a', 'm', { capacity: { max_inflight: 10 } }),
    endpoint('b', 'm', { capacity: { max_inflight: 10 } }),
    endpoint('c', 'm'), // no capacity: the default, 16
  ],
  policies: [
    policy('p', { models: ['m'], weights: { quality: 0, cost: 0, latency: 0, load: 1 } }),
    policy('p2c', { models: ['m'], strategy: 'p2c-ewma' }),
    policy('lor', { models: ['m'], strategy: 'least-outstanding' }),
  ],
});

const byEndpoint = (d: Decision, id: string) => d.explanation.candidates.find((c) => c.endpoint === id);
const localLoad = (counts: Record<string, number>, reg = registry): LocalLoad => ({
  registry: reg,
  inflight: reg.registry.endpoints.map((e) => counts[e.id] ?? 0),
});
const decide = (over: Partial<RouteRequest>, h: HealthSnapshot, load?: LocalLoad, seed = 1): Decision =>
  route(
    request(over),
    { registry, health: h, ...(load ? { load } : {}) },
    { now: NOW, random: seededRandom(seed) },
  );

describe('route: load from shared and local in-flight counts', () => {
  it('adds this container`s count to the shared one: load = 1 - in flight / capacity', () => {
    const h = snapshotOf(health('a', { inflight: 2 }), health('b'), health('c', { inflight: 1 }));
    const d = decide({ model: 'p' }, h, localLoad({ a: 3, c: 3 }));
    expect(byEndpoint(d, 'a')).toMatchObject({ inflight: 5, capacity: 10, parts: { load: 0.5 } });
    expect(byEndpoint(d, 'b')).toMatchObject({ inflight: 0, capacity: 10, parts: { load: 1 } });
    expect(byEndpoint(d, 'c')).toMatchObject({ inflight: 4, capacity: 16, parts: { load: 0.75 } });
    // Only the load weight counts in policy p: the score is the load part.
    expect(byEndpoint(d, 'a')?.score).toBe(0.5);
  });

  it('clamps the load part at 0 beyond capacity', () => {
    const d = decide({ model: 'p' }, snapshotOf(health('a', { inflight: 9 })), localLoad({ a: 3 }));
    expect(byEndpoint(d, 'a')).toMatchObject({ inflight: 12, parts: { load: 0 } });
  });

  it('counts other routers` shares only with fresh health, and its own always', () => {
    const at = (age: number) => snapshotOf(health('a', { inflight: 4, checked_at: NOW - age }));
    const fresh = decide({ model: 'p' }, at(90_000), localLoad({ a: 1 }));
    expect(byEndpoint(fresh, 'a')?.inflight).toBe(5);
    const stale = decide({ model: 'p' }, at(90_001), localLoad({ a: 1 }));
    expect(byEndpoint(stale, 'a')).toMatchObject({ inflight: 1, parts: { load: 0.9 } });
  });

  it('ignores counts indexed for another registry', () => {
    const other = compiled({
      models: [model('m')],
      endpoints: [endpoint('a', 'm'), endpoint('b', 'm'), endpoint('c', 'm')],
      policies: [],
    });
    const d = decide({ model: 'p' }, snapshotOf(), localLoad({ a: 7 }, other));
    expect(byEndpoint(d, 'a')?.inflight).toBe(0);
  });

  it('p2c-ewma gets the real numbers: the replica with six in flight loses every pairwise draw', () => {
    const h = snapshotOf(
      health('a', { latency_peak_ewma_ms: 100 }),
      health('b', { latency_peak_ewma_ms: 100 }),
      health('c', { latency_peak_ewma_ms: 100 }),
    );
    const load = localLoad({ a: 6 });
    let a = 0;
    for (let seed = 0; seed < 300; seed++)
      if (decide({ model: 'p2c' }, h, load, seed).plan.primary.endpoint === 'a') a++;
    expect(a).toBe(0);
    // Without the load, a wins about a third of the time.
    let unloaded = 0;
    for (let seed = 0; seed < 300; seed++)
      if (decide({ model: 'p2c' }, h, undefined, seed).plan.primary.endpoint === 'a') unloaded++;
    expect(unloaded).toBeGreaterThan(60);
    expect(byEndpoint(decide({ model: 'p2c' }, h, load), 'a')?.inflight).toBe(6);
  });

  it('least-outstanding sends the next request to the emptiest endpoint relative to capacity', () => {
    // a 6/10 -> (6+1)/10 = 0.7; b 5/10 -> 0.6; c 8/16 -> 0.5625.
    const d = decide(
      { model: 'lor' },
      snapshotOf(health('a'), health('b'), health('c')),
      localLoad({ a: 6, b: 5, c: 8 }),
    );
    expect([d.plan.primary.endpoint, ...d.plan.fallbacks.map((t) => t.endpoint)]).toEqual(['c', 'b', 'a']);
    expect(d.explanation.draws).toEqual([]);
  });
});
