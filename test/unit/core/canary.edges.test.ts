// The sticky canary at its edges, with literal draws and reasons: a key whose draw equals the
// weight exactly stays on stable (the candidate gets draws strictly below the weight); the hash
// is pinned to known values (a changed hash would silently move every user); an unusable side
// is avoided only when the other side is usable; no candidate, or candidate = stable, is stable.
import { describe, expect, it } from 'vitest';
import type { Canary, ModelStatus } from '../../../layers/core/src/index.ts';
import { canaryDraw, chooseCanaryVersion, fnv1a32, hashToUnit } from '../../../layers/core/src/index.ts';

const canary = (weight: number, over: Partial<Canary> = {}): Canary => ({
  model: 'llm',
  stable: 'v1',
  candidate: 'v2',
  weight,
  ...over,
});
const statuses =
  (s: Record<string, ModelStatus | undefined>) =>
  (v: string): ModelStatus | undefined =>
    s[v];
const active = statuses({ v1: 'active', v2: 'staged' });

describe('canary draw', () => {
  it('is pinned: FNV-1a and the murmur3 finaliser give these exact values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(hashToUnit('llm\u0000user-1')).toBe(canaryDraw('llm', 'user-1'));
    expect(canaryDraw('llm', 'user-1')).toBe(646_664_677 / 4_294_967_296); // 0.15056...
  });

  it('a draw equal to the weight stays on stable; just above the draw goes to the candidate', () => {
    const u = canaryDraw('llm', 'user-1');
    const at = chooseCanaryVersion(canary(u), 'user-1', active);
    expect(at.version).toBe('v1');
    expect(at.reason).toBe(`sticky hash 0.1506 >= weight ${u}: stable`);
    const above = chooseCanaryVersion(canary(u + 1e-9), 'user-1', active);
    expect(above.version).toBe('v2');
    expect(above.reason).toBe(`sticky hash 0.1506 < weight ${u + 1e-9}: candidate`);
  });
});

describe('unusable sides', () => {
  it('a failed or retired or missing candidate sends its keys to a usable stable', () => {
    for (const s of ['failed', 'retired', undefined] as const) {
      const c = chooseCanaryVersion(canary(1), 'k', statuses({ v1: 'active', v2: s }));
      expect(c.version).toBe('v1');
      expect(c.reason).toMatch(new RegExp(`, but v2 is ${s ?? 'missing'}: v1$`));
    }
  });

  it('a failed stable sends its keys to a usable candidate', () => {
    const c = chooseCanaryVersion(canary(0), 'k', statuses({ v1: 'failed', v2: 'staged' }));
    expect(c.version).toBe('v2');
  });

  it('when both sides are unusable the draw stands', () => {
    const both = statuses({ v1: 'failed', v2: 'retired' });
    expect(chooseCanaryVersion(canary(0), 'k', both).version).toBe('v1');
    expect(chooseCanaryVersion(canary(1), 'k', both).version).toBe('v2');
  });

  it('a staged candidate is usable (that is what a canary is for)', () => {
    expect(chooseCanaryVersion(canary(1), 'k', active)).toMatchObject({ version: 'v2' });
  });

  it('no candidate, or a candidate equal to stable, is stable with that reason', () => {
    const none: Canary = { model: 'llm', stable: 'v1', weight: 1 };
    expect(chooseCanaryVersion(none, 'k', active)).toEqual({
      model: 'llm',
      version: 'v1',
      reason: 'canary has no candidate: stable',
    });
    expect(chooseCanaryVersion(canary(1, { candidate: 'v1' }), 'k', active).version).toBe('v1');
  });
});
