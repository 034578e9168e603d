// Conversation affinity in route() (core affinity/affinity.ts): the strategy picks the model, the
// affinity key's replica on that model's bounded-load ring becomes the primary; affinity yields
// to health, circuits, endpoint state and hard constraints (the ring walks past them), and to
// load (a replica at its bound passes the request on); the explanation says what it did and
// never shows the key.
import { describe, expect, it } from 'vitest';
import type { Decision, HealthSnapshot, LocalLoad, RouteRequest } from '../../../../layers/core/src/index.ts';
import {
  HashRing,
  hash32,
  PolicySchema,
  pickOnRing,
  route,
  seededRandom,
  tenantExplanation,
} from '../../../../layers/core/src/index.ts';
import { compiled, endpoint, health, model, NOW, policy, request, snapshotOf } from '../fixtures.ts';

const REPLICAS = ['r1', 'r2', 'r3', 'r4'];
const registry = compiled({
  models: [model('m', { regions: ['us-east-1', 'eu-west-1'] }), model('n')],
  endpoints: [
    ...REPLICAS.map((id) => endpoint(id, 'm', { region: id === 'r4' ? 'eu-west-1' : 'us-east-1' })),
    endpoint('r-drain', 'm', { state: 'draining' }),
    endpoint('n1', 'n'),
    endpoint('n2', 'n'),
  ],
  policies: [
    policy('sticky', { models: ['m'], strategy: 'least-outstanding', affinity: { epsilon: 0.25 } }),
    policy('plain', { models: ['m'], strategy: 'least-outstanding' }),
    policy('off', { models: ['m'], strategy: 'least-outstanding', affinity: { enabled: false } }),
    policy('two-models', { models: ['m', 'n'], strategy: 'weighted', affinity: {} }),
  ],
});
const ALL_UP = snapshotOf(...[...REPLICAS, 'r-drain', 'n1', 'n2'].map((id) => health(id)));

const decide = (
  over: Partial<RouteRequest>,
  h: HealthSnapshot = ALL_UP,
  load?: LocalLoad,
  seed = 1,
): Decision =>
  route(
    request(over),
    { registry, health: h, ...(load ? { load } : {}) },
    { now: NOW, random: seededRandom(seed) },
  );
const localLoad = (counts: Record<string, number>): LocalLoad => ({
  registry,
  inflight: registry.registry.endpoints.map((e) => counts[e.id] ?? 0),
});

// The model m ring as route() builds it (every m endpoint, registry order), to name owners.
const mRing = new HashRing([...REPLICAS, 'r-drain'].map((id) => ({ id, weight: 1 })));
const ringWalk = (key: string): string[] => {
  const ids = [...REPLICAS, 'r-drain'];
  const eligible = ids.map((id) => (id === 'r-drain' ? 0 : 1));
  const out: string[] = [];
  // Walk by excluding each pick in turn: the order in which replicas would serve the key.
  while (out.length < REPLICAS.length) {
    const pick = pickOnRing(
      mRing,
      hash32(key),
      ids.map(() => 0),
      eligible,
      10,
    );
    out.push(ids[pick.member] as string);
    eligible[pick.member] = 0;
  }
  return out;
};

const CHAT = 's:chat-1';
const sticky = (over: Partial<RouteRequest> = {}) => ({
  model: 'sticky',
  hints: { sticky_key: 'chat-1' },
  ...over,
});

describe('route with affinity: turns of one conversation go to one replica', () => {
  it('the key`s replica is the primary whatever the random draws', () => {
    const owner = ringWalk(CHAT)[0];
    expect(owner).toBe('r3');
    for (let seed = 0; seed < 20; seed++)
      expect(decide(sticky(), ALL_UP, undefined, seed).plan.primary.endpoint).toBe('r3');
  });

  it('without affinity the same requests spread over the replicas (least-outstanding`s tie draw)', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++)
      seen.add(decide(sticky({ model: 'plain' }), ALL_UP, undefined, seed).plan.primary.endpoint);
    expect(seen.size).toBe(4);
  });

  it('conversation turns share the key of their opening: the same replica for turn 1 and turn 5', () => {
    const key = 'c:0123456789abcdef';
    const d = decide({ model: 'sticky', conversation_key: key });
    expect(d.plan.primary.endpoint).toBe(ringWalk(key)[0]);
    expect(d.explanation.affinity).toMatchObject({
      key: 'conversation',
      applied: true,
      endpoint: ringWalk(key)[0],
    });
  });

  it('different conversations use every replica', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++)
      seen.add(decide(sticky({ hints: { sticky_key: `chat-${i}` } })).plan.primary.endpoint);
    expect([...seen].sort()).toEqual(REPLICAS);
  });

  it('explains the choice: key source, ε, the strategy`s choice, in flight and bound', () => {
    const d = decide(sticky(), ALL_UP, undefined, 3);
    expect(d.explanation.affinity).toEqual({
      key: 'sticky_key',
      epsilon: 0.25,
      strategy_choice: expect.any(String),
      applied: true,
      endpoint: 'r3',
      inflight: 0,
      bound: 1,
      skipped: [],
      reason: "the key's replica on the m@v1 ring, within its load bound",
    });
  });

  it('keeps the strategy`s order behind the affinity replica: the fallbacks are other replicas', () => {
    const d = decide(sticky());
    const chain = [d.plan.primary.endpoint, ...d.plan.fallbacks.map((t) => t.endpoint)];
    expect(chain[0]).toBe('r3');
    expect(new Set(chain).size).toBe(chain.length);
    expect(d.plan.fallbacks).toHaveLength(2);
  });

  it('never shows the key in the explanation', () => {
    const d = decide({
      model: 'sticky',
      hints: { sticky_key: 'secret-conversation-id' },
      conversation_key: 'c:feedfacefeedface',
    });
    const text = JSON.stringify(d.explanation);
    expect(text).not.toContain('secret-conversation-id');
    expect(text).not.toContain('feedface');
  });
});

describe('route with affinity yields to health, circuits, state and constraints', () => {
  const [owner, second] = ringWalk(CHAT) as [string, string];

  it('owner down: the next replica on the ring, and only the owner`s keys move', () => {
    const down = snapshotOf(...REPLICAS.map((id) => health(id, id === owner ? { status: 'down' } : {})));
    const d = decide(sticky(), down);
    expect(d.plan.primary.endpoint).toBe(second);
    // r-drain (draining) comes next on the ring for this key: passed over too.
    expect(d.explanation.affinity?.skipped).toEqual([
      { endpoint: owner, reason: 'not-a-candidate' },
      { endpoint: 'r-drain', reason: 'not-a-candidate' },
    ]);
    expect(d.explanation.affinity?.reason).toBe(
      'the first replica on the m@v1 ring with room (2 passed over)',
    );
    // A conversation on another replica stays where it was.
    for (let i = 0; i < 30; i++) {
      const k = { hints: { sticky_key: `chat-${i}` } };
      const before = decide(sticky(k)).plan.primary.endpoint;
      if (before !== owner) expect(decide(sticky(k), down).plan.primary.endpoint).toBe(before);
    }
  });

  it('owner`s circuit open: the next replica', () => {
    const open = snapshotOf(...REPLICAS.map((id) => health(id, id === owner ? { circuit: 'open' } : {})));
    expect(decide(sticky(), open).plan.primary.endpoint).toBe(second);
  });

  it('a region constraint excluding the owner: the next replica in the region', () => {
    // r4 runs in eu-west-1: pinning the region there leaves it the only candidate.
    const d = decide(sticky({ hints: { sticky_key: 'chat-1', region: 'eu-west-1' } }));
    expect(d.plan.primary.endpoint).toBe('r4');
    expect(d.explanation.affinity?.applied).toBe(true);
  });

  it('a draining replica never serves, though it is on the ring', () => {
    for (let i = 0; i < 60; i++)
      expect(decide(sticky({ hints: { sticky_key: `k${i}` } })).plan.primary.endpoint).not.toBe('r-drain');
  });
});

describe('route with affinity: the load bound (4 replicas, ε = 0.25, the others at 2 in flight)', () => {
  const [owner, second] = ringWalk(CHAT) as [string, string];
  const others = (ownerLoad: number) =>
    localLoad(Object.fromEntries(REPLICAS.map((id) => [id, id === owner ? ownerLoad : 2])));

  it('exactly at the bound: owner at 3, total 10, bound ceil(1.25 × 10 / 4) = 4 = 3 + 1: the owner', () => {
    const d = decide(sticky(), ALL_UP, others(3));
    expect(d.plan.primary.endpoint).toBe(owner);
    expect(d.explanation.affinity).toMatchObject({ endpoint: owner, inflight: 3, bound: 4, skipped: [] });
  });

  it('one above: owner at 4, total 11, bound ceil(1.25 × 11 / 4) = 4 < 4 + 1: the next replica', () => {
    const d = decide(sticky(), ALL_UP, others(4));
    expect(d.plan.primary.endpoint).toBe(second);
    expect(d.explanation.affinity).toMatchObject({
      applied: true,
      endpoint: second,
      inflight: 2,
      bound: 4,
      skipped: [
        { endpoint: owner, reason: 'over-bound', inflight: 4, bound: 4 },
        { endpoint: 'r-drain', reason: 'not-a-candidate' },
      ],
    });
  });

  it('counts the snapshot`s shared in-flight figures too (fresh health)', () => {
    const shared = snapshotOf(...REPLICAS.map((id) => health(id, { inflight: id === owner ? 4 : 2 })));
    expect(decide(sticky(), shared).plan.primary.endpoint).toBe(second);
  });
});

describe('route with affinity: yielding to the strategy', () => {
  it('no key: the strategy`s choice stands, and the explanation says why', () => {
    const d = decide({ model: 'sticky' }, ALL_UP, undefined, 5);
    const plain = decide({ model: 'plain' }, ALL_UP, undefined, 5);
    expect(d.plan.primary.endpoint).toBe(plain.plan.primary.endpoint);
    expect(d.explanation.draws).toEqual(plain.explanation.draws);
    expect(d.explanation.affinity).toEqual({
      key: 'none',
      epsilon: 0.25,
      strategy_choice: plain.plan.primary.endpoint,
      applied: false,
      reason: 'no affinity key (no sticky_key, user or user message): the strategy chose',
    });
  });

  it('replicas without weight are on no ring: the strategy chose', () => {
    const unweighted = compiled({
      models: [model('m')],
      endpoints: [endpoint('z1', 'm', { weight: 0 }), endpoint('z2', 'm', { weight: 0 })],
      policies: [policy('sticky', { models: ['m'], strategy: 'least-outstanding', affinity: {} })],
    });
    const d = route(
      request(sticky()),
      { registry: unweighted, health: snapshotOf() },
      { now: NOW, random: seededRandom(1) },
    );
    expect(d.explanation.affinity).toMatchObject({
      applied: false,
      skipped: [],
      reason: 'no replica of m@v1 has a weight, so none is on the ring: the strategy chose',
    });
    expect(d.plan.primary.endpoint).toBe(d.explanation.affinity?.strategy_choice);
  });

  it('the user field is a key', () => {
    const d = decide({ model: 'sticky', user: 'ann' });
    expect(d.explanation.affinity).toMatchObject({ key: 'user', applied: true });
    expect(d.plan.primary.endpoint).toBe(ringWalk('u:ann')[0]);
  });

  it('disabled or absent: no affinity, no note', () => {
    expect(decide(sticky({ model: 'off' })).explanation.affinity).toBeUndefined();
    expect(decide(sticky({ model: 'plain' })).explanation.affinity).toBeUndefined();
  });

  it('a drawing strategy over two models picks the same model for every turn of a key', () => {
    for (let i = 0; i < 10; i++) {
      const k = { model: 'two-models', hints: { sticky_key: `chat-${i}` } };
      const first = decide(k, ALL_UP, undefined, 1);
      for (let seed = 2; seed < 8; seed++) {
        const d = decide(k, ALL_UP, undefined, seed);
        expect(d.plan.primary.endpoint).toBe(first.plan.primary.endpoint);
        expect(d.explanation.draws).toEqual(first.explanation.draws);
      }
    }
    // Affinity picks among the strategy's model's replicas only, and the plan is what it explains.
    for (let i = 0; i < 40; i++) {
      const d = decide({ model: 'two-models', hints: { sticky_key: `mixed-${i}` } });
      const a = d.explanation.affinity;
      expect(a?.applied).toBe(true);
      expect(d.plan.primary.endpoint).toBe(a?.endpoint);
      const modelOf = (id: string | undefined) => registry.registry.endpoints.find((e) => e.id === id)?.model;
      expect(d.plan.primary.model).toBe(modelOf(a?.strategy_choice));
    }
    // ...and different keys still reach both models.
    const models = new Set<string>();
    for (let i = 0; i < 30; i++)
      models.add(decide({ model: 'two-models', hints: { sticky_key: `c${i}` } }).plan.primary.model);
    expect([...models].sort()).toEqual(['m', 'n']);
  });

  it('the tenant`s view of the explanation keeps the affinity note', () => {
    const d = decide(sticky());
    expect(tenantExplanation(d.explanation, { id: 'tenant-1' }).affinity).toEqual(d.explanation.affinity);
  });
});

describe('policy affinity option', () => {
  const parse = (affinity: unknown) => PolicySchema.safeParse({ name: 'p', affinity });

  it('defaults to enabled with ε = 0.25', () => {
    const p = parse({});
    expect(p.success && p.data.affinity).toEqual({ enabled: true, epsilon: 0.25 });
  });

  it('takes ε in (0, 10]', () => {
    expect(parse({ epsilon: 0 }).success).toBe(false);
    expect(parse({ epsilon: -0.1 }).success).toBe(false);
    expect(parse({ epsilon: 0.0001 }).success).toBe(true);
    expect(parse({ epsilon: 10 }).success).toBe(true);
    expect(parse({ epsilon: 10.01 }).success).toBe(false);
  });

  it('refuses unknown fields and non-boolean enabled', () => {
    expect(parse({ eps: 0.2 }).success).toBe(false);
    expect(parse({ enabled: 'yes' }).success).toBe(false);
  });
});
