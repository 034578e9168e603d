// Sticky canary: the candidate share converges to the weight over many sticky keys, one key
// always maps to one version, raising the weight only moves keys to the candidate, and the
// edges (weight 0/1, failed side) behave.
import { describe, expect, it } from 'vitest';
import type { Canary, RouteRequest } from '../../../layers/core/src/index.ts';
import { canaryDraw, chooseCanaryVersion, route, seededRandom } from '../../../layers/core/src/index.ts';
import { compiled, endpoint, model, NO_HEALTH, NOW, policy, request } from './fixtures.ts';

const active = () => 'active' as const;
const canary = (weight: number): Canary => ({ model: 'llm', stable: 'v1', candidate: 'v2', weight });

describe('chooseCanaryVersion', () => {
  it('sends the weight share of 20k sticky keys to the candidate', () => {
    for (const weight of [0.05, 0.1, 0.5, 0.9]) {
      let onCandidate = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) {
        if (chooseCanaryVersion(canary(weight), `user-${i}`, active).version === 'v2') onCandidate++;
      }
      // 5 standard deviations of a binomial proportion at n = 20k is at most 0.018.
      expect(Math.abs(onCandidate / n - weight)).toBeLessThan(5 * Math.sqrt((weight * (1 - weight)) / n));
    }
  });

  it('maps one key to one version, every time', () => {
    for (let i = 0; i < 200; i++) {
      const first = chooseCanaryVersion(canary(0.3), `conversation-${i}`, active).version;
      for (let j = 0; j < 5; j++)
        expect(chooseCanaryVersion(canary(0.3), `conversation-${i}`, active).version).toBe(first);
    }
  });

  it('only moves keys from stable to candidate when the weight grows (5% -> 25% -> 50%)', () => {
    for (let i = 0; i < 5000; i++) {
      const key = `k${i}`;
      const at = (w: number) => chooseCanaryVersion(canary(w), key, active).version;
      if (at(0.05) === 'v2') expect(at(0.25)).toBe('v2');
      if (at(0.25) === 'v2') expect(at(0.5)).toBe('v2');
    }
  });

  it('weight 0 never picks the candidate, weight 1 always does', () => {
    for (let i = 0; i < 2000; i++) {
      expect(chooseCanaryVersion(canary(0), `k${i}`, active).version).toBe('v1');
      expect(chooseCanaryVersion(canary(1), `k${i}`, active).version).toBe('v2');
    }
  });

  it('draws independently per model, so two canaries do not move the same keys', () => {
    let both = 0;
    for (let i = 0; i < 10_000; i++)
      if (canaryDraw('a', `k${i}`) < 0.5 && canaryDraw('b', `k${i}`) < 0.5) both++;
    expect(both / 10_000).toBeGreaterThan(0.22);
    expect(both / 10_000).toBeLessThan(0.28);
  });

  it('avoids a failed side when the other one is usable, and says why', () => {
    const failedCandidate = (v: string) => (v === 'v2' ? ('failed' as const) : ('active' as const));
    const choice = chooseCanaryVersion(canary(1), 'k', failedCandidate);
    expect(choice.version).toBe('v1');
    expect(choice.reason).toContain('v2 is failed');
    expect(chooseCanaryVersion({ model: 'llm', stable: 'v1', weight: 0.7 }, 'k', active).version).toBe('v1');
  });
});

describe('canary through route()', () => {
  const registry = (weight: number) =>
    compiled({
      models: [model('llm', { version: 'v1' }), model('llm', { version: 'v2', status: 'staged' })],
      endpoints: [
        endpoint('v1-a', 'llm'),
        endpoint('v1-b', 'llm'),
        endpoint('v2-a', 'llm', { version: 'v2' }),
      ],
      policies: [
        policy('support', {
          models: ['llm'],
          canary: [{ model: 'llm', stable: 'v1', candidate: 'v2', weight }],
        }),
      ],
    });
  const versionFor = (reg: ReturnType<typeof registry>, over: Partial<RouteRequest>, seed: number) =>
    route(
      request({ model: 'support', ...over }),
      { registry: reg, health: NO_HEALTH },
      { now: NOW, random: seededRandom(seed) },
    ).plan.primary.version;

  it('keeps a conversation on one version whatever the random draws; only the candidate falls back to stable', () => {
    const reg = registry(0.5);
    let onCandidate = 0;
    for (let i = 0; i < 100; i++) {
      const v = versionFor(reg, { user: `u${i}` }, 1);
      for (let seed = 2; seed < 6; seed++) expect(versionFor(reg, { user: `u${i}` }, seed)).toBe(v);
      const d = route(
        request({ model: 'support', user: `u${i}` }),
        { registry: reg, health: NO_HEALTH },
        { now: NOW, random: seededRandom(i) },
      );
      const chain = [d.plan.primary, ...d.plan.fallbacks].map((t) => t.endpoint);
      if (v === 'v2') {
        onCandidate++;
        // Policy fallback count 2 (the default): both stable endpoints, best score first.
        expect(chain[0]).toBe('v2-a');
        expect(new Set(chain.slice(1))).toEqual(new Set(['v1-a', 'v1-b']));
      } else {
        expect(chain).not.toContain('v2-a');
      }
    }
    expect(onCandidate).toBeGreaterThan(30);
  });

  it('uses hints.sticky_key, then user, then the tenant id as the sticky key', () => {
    const reg = registry(0.5);
    const byKey = (key: string) => chooseCanaryVersion(canary(0.5), key, active).version;
    for (let i = 0; i < 50; i++) {
      expect(versionFor(reg, { hints: { sticky_key: `s${i}` }, user: 'ignored' }, 1)).toBe(byKey(`s${i}`));
      expect(versionFor(reg, { user: `u${i}` }, 1)).toBe(byKey(`u${i}`));
      expect(versionFor(reg, { tenant: { id: `t${i}` } }, 1)).toBe(byKey(`t${i}`));
    }
  });

  it('converges to the canary weight across users', () => {
    const reg = registry(0.2);
    let v2 = 0;
    for (let i = 0; i < 5000; i++) if (versionFor(reg, { user: `user-${i}` }, i) === 'v2') v2++;
    expect(Math.abs(v2 / 5000 - 0.2)).toBeLessThan(0.03);
  });
});
