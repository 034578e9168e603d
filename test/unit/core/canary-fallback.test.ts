// Canary fallbacks: a request pinned to a canary's candidate has the stable version's routable
// endpoints as fallback-only candidates, right after the candidate and before any other
// fallback; when no candidate endpoint can serve, stable serves. A request pinned to stable never
// reaches the candidate. The explanation says which endpoints are fallback only and why.
import { describe, expect, it } from 'vitest';
import type { Decision, HealthSnapshot, PolicyInput, RouteRequest } from '../../../layers/core/src/index.ts';
import { NoCandidateError, route, seededRandom } from '../../../layers/core/src/index.ts';
import { compiled, endpoint, health, model, NOW, policy, request, snapshotOf } from './fixtures.ts';

const canaryOf = (weight: number) => [{ model: 'llm', stable: 'v1', candidate: 'v2', weight }];
const onCandidate = (over: Partial<PolicyInput> = {}): Partial<PolicyInput> => ({
  models: ['llm'],
  canary: canaryOf(1),
  fallback: { count: 2, mode: 'same-model-first' },
  ...over,
});

const registry = compiled({
  models: [
    model('llm', { version: 'v1', quality: { chat: 0.7 } }),
    model('llm', { version: 'v2', quality: { chat: 0.8 }, status: 'staged' }),
    model('other', { quality: { chat: 0.95 } }),
  ],
  endpoints: [
    endpoint('v1-a', 'llm', { version: 'v1' }),
    endpoint('v2-a', 'llm', { version: 'v2' }),
    endpoint('v1-b', 'llm', { version: 'v1' }),
    endpoint('v2-b', 'llm', { version: 'v2' }),
    endpoint('o-a', 'other'),
  ],
  policies: [
    policy('cand', onCandidate({ strategy: 'quality-first' })),
    policy(
      'cand0',
      onCandidate({ strategy: 'quality-first', fallback: { count: 0, mode: 'same-model-first' } }),
    ),
    policy(
      'cand3',
      onCandidate({ strategy: 'quality-first', fallback: { count: 3, mode: 'same-model-first' } }),
    ),
    policy('cand-hedged', onCandidate({ strategy: 'quality-first', hedge: { delay_ms: 300 } })),
    policy('stab', onCandidate({ canary: canaryOf(0) })),
    policy('mixed', {
      models: ['llm', 'other'],
      strategy: 'quality-first',
      canary: canaryOf(1),
      fallback: { count: 3, mode: 'cross-model' },
    }),
    policy('ens', {
      models: ['llm', 'other'],
      canary: canaryOf(1),
      ensemble: { size: 3, combine: 'first-success' },
    }),
  ],
});

// v1-a has no health record (unknown: x0.9), so v1-b, up, scores higher; v2-a beats v2-b the same way.
const HEALTH = snapshotOf(health('v1-b'), health('v2-a'), health('o-a'));
const decide = (over: Partial<RouteRequest>, h: HealthSnapshot = HEALTH, seed = 1): Decision =>
  route(request(over), { registry, health: h }, { now: NOW, random: seededRandom(seed) });
const chainOf = (d: Decision) => [d.plan.primary, ...d.plan.fallbacks].map((t) => t.endpoint);
const candidate = (d: Decision, id: string) => d.explanation.candidates.find((c) => c.endpoint === id);

describe('canary: requests pinned to the candidate fall back to stable first', () => {
  it('puts the stable endpoints right after the candidate primary, best score first, before its other endpoint', () => {
    const d = decide({ model: 'cand3' });
    expect(chainOf(d)).toEqual(['v2-a', 'v1-b', 'v1-a', 'v2-b']);
    expect(d.plan.fallbacks.map((t) => t.version)).toEqual(['v1', 'v1', 'v2']);
  });

  it('keeps the policy`s fallback count: two fallbacks, both stable', () => {
    expect(chainOf(decide({ model: 'cand' }))).toEqual(['v2-a', 'v1-b', 'v1-a']);
  });

  it('gives one stable fallback even to a policy with no fallbacks', () => {
    expect(chainOf(decide({ model: 'cand0' }))).toEqual(['v2-a', 'v1-b']);
  });

  it('makes the hedge target the stable fallback', () => {
    expect(decide({ model: 'cand-hedged' }).plan.hedge?.target.endpoint).toBe('v1-b');
  });

  it('marks the stable endpoints fallback only in the explanation, and says why in the version choice', () => {
    const d = decide({ model: 'cand' });
    expect(candidate(d, 'v1-b')).toMatchObject({ version: 'v1', fallback_only: true });
    expect(candidate(d, 'v1-a')?.fallback_only).toBe(true);
    expect(candidate(d, 'v2-a')?.fallback_only).toBeUndefined();
    expect(d.explanation.excluded.map((x) => x.endpoint)).toEqual(['o-a']);
    expect(d.explanation.candidate_count).toBe(4);
    expect(d.explanation.versions).toEqual([
      {
        model: 'llm',
        version: 'v2',
        reason: expect.stringMatching(/: candidate; stable v1 endpoints are its first fallbacks$/),
      },
    ]);
  });

  it('leaves out stable endpoints that break a constraint of their own', () => {
    const h = snapshotOf(
      health('v1-b', { status: 'down' }),
      health('v1-a', { circuit: 'open' }),
      health('v2-a'),
    );
    const d = decide({ model: 'cand' }, h);
    expect(chainOf(d)).toEqual(['v2-a', 'v2-b']);
    expect(d.explanation.excluded.find((x) => x.endpoint === 'v1-b')?.rule).toBe('health-down');
    expect(d.explanation.excluded.find((x) => x.endpoint === 'v1-a')?.rule).toBe('circuit-open');
  });

  it('serves from stable when no candidate endpoint can serve (down, circuit open)', () => {
    const h = snapshotOf(
      health('v2-a', { status: 'down' }),
      health('v2-b', { circuit: 'open' }),
      health('v1-b'),
    );
    const d = decide({ model: 'cand' }, h);
    expect(chainOf(d)).toEqual(['v1-b', 'v1-a']);
    expect(candidate(d, 'v1-b')?.fallback_only).toBeUndefined();
    expect(d.explanation.versions[0]?.reason).toMatch(
      /; no v2 endpoint can serve this request: stable v1 serves it$/,
    );
  });

  it('inserts the stable endpoints after the candidate wherever it is in the chain', () => {
    // quality-first: other (0.95) is the primary; cross-model puts the candidate next.
    const d = decide({ model: 'mixed' });
    expect(chainOf(d)).toEqual(['o-a', 'v2-a', 'v1-b', 'v1-a']);
  });

  it('never makes a stable endpoint an ensemble member', () => {
    for (let seed = 0; seed < 30; seed++) {
      const members =
        decide({ model: 'ens' }, HEALTH, seed).plan.ensemble?.targets.map((t) => t.endpoint) ?? [];
      expect(members).toHaveLength(3);
      expect(members.filter((id) => id.startsWith('v1-'))).toEqual([]);
    }
  });

  it('gives an explicit id@version request no stable fallback', () => {
    const d = decide({ model: 'llm@v2' });
    expect(new Set(chainOf(d))).toEqual(new Set(['v2-a', 'v2-b']));
    expect(d.explanation.versions).toEqual([
      { model: 'llm', version: 'v2', reason: 'requested explicitly (no canary)' },
    ]);
  });
});

describe('canary: requests pinned to stable never reach the candidate', () => {
  it('excludes the candidate, as a fallback too', () => {
    const d = decide({ model: 'stab' });
    expect(new Set(chainOf(d))).toEqual(new Set(['v1-a', 'v1-b']));
    expect(d.explanation.excluded.find((x) => x.endpoint === 'v2-a')?.rule).toBe('canary-version');
  });

  it('fails rather than send stable`s users to the candidate when stable cannot serve', () => {
    const h = snapshotOf(
      health('v1-a', { status: 'down' }),
      health('v1-b', { status: 'down' }),
      health('v2-a'),
    );
    expect(() => decide({ model: 'stab' }, h)).toThrow(NoCandidateError);
  });
});
