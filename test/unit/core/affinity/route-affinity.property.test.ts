// route() with affinity, for any health, circuits, loads and keys: the primary is a routable
// replica (never down, circuit-open or draining), it is the replica the explanation names, its
// in flight with this request stays within ceil((1 + ε) × fair share) of the candidates' total,
// and the plan lists each target once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EndpointHealth } from '../../../../layers/core/src/index.ts';
import { route, seededRandom } from '../../../../layers/core/src/index.ts';
import { compiled, endpoint, health, model, NOW, policy, request, snapshotOf } from '../fixtures.ts';

const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];
const WEIGHTS = [1, 1, 2, 1, 0.5, 1];
const registry = compiled({
  models: [model('m')],
  endpoints: IDS.map((id, i) => endpoint(id, 'm', { weight: WEIGHTS[i] as number })),
  policies: [
    policy('p', { models: ['m'], strategy: 'p2c-ewma', affinity: { epsilon: 0.25 } }),
    policy('w', { models: ['m'], strategy: 'weighted', affinity: { epsilon: 1 } }),
  ],
});

const stateArb = fc.record({
  status: fc.constantFrom('up', 'up', 'up', 'degraded', 'down'),
  circuit: fc.constantFrom('closed', 'closed', 'closed', 'half-open', 'open'),
  inflight: fc.nat(40),
});

describe('route with affinity, any world', () => {
  it('the primary is routable, explained, within its bound; targets are distinct', () => {
    fc.assert(
      fc.property(
        fc.array(stateArb, { minLength: IDS.length, maxLength: IDS.length }),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.constantFrom('p', 'w'),
        fc.nat(),
        (states, key, name, seed) => {
          const records: EndpointHealth[] = IDS.map((id, i) => {
            const s = states[i] as (typeof states)[number];
            return health(id, { status: s.status, circuit: s.circuit, inflight: s.inflight });
          });
          const routable = IDS.filter(
            (_, i) => states[i]?.status !== 'down' && states[i]?.circuit !== 'open',
          );
          const req = request({ model: name, hints: { sticky_key: key } });
          const ctx = { now: NOW, random: seededRandom(seed) };
          if (routable.length === 0) {
            expect(() => route(req, { registry, health: snapshotOf(...records) }, ctx)).toThrow();
            return;
          }
          const d = route(req, { registry, health: snapshotOf(...records) }, ctx);
          const primary = d.plan.primary.endpoint;
          expect(routable).toContain(primary);
          const a = d.explanation.affinity;
          expect(a?.applied).toBe(true);
          expect(a?.endpoint).toBe(primary);
          const epsilon = name === 'p' ? 0.25 : 1;
          let total = 1;
          let weights = 0;
          for (const id of routable) {
            const i = IDS.indexOf(id);
            total += states[i]?.inflight as number;
            weights += WEIGHTS[i] as number;
          }
          const i = IDS.indexOf(primary);
          const bound = Math.ceil(((1 + epsilon) * total * (WEIGHTS[i] as number)) / weights - 1e-9);
          expect(a?.bound).toBe(bound);
          expect((states[i]?.inflight as number) + 1).toBeLessThanOrEqual(bound);
          const chain = [primary, ...d.plan.fallbacks.map((t) => t.endpoint)];
          expect(new Set(chain).size).toBe(chain.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
