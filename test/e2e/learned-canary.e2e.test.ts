// A learned canary on the local stack: a static policy (quality-first: the dear model) with
// `learning.canary` at weight 0.5 sends each caller (by `user`) to its sticky arm; the learned arm
// (λ 2) serves the cheap model, whose hidden quality is within tolerance of the dear one's. After
// 20+ scored answers per arm, one scheduled refit promotes the policy in the registry to
// `strategy: learned`, and every caller is then served by the learned strategy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../infra/local/local-stack.ts';
import { learnedCanaryArm, seededRandom } from '../../layers/core/src/index.ts';
import {
  adminClient,
  CHEAP_AND_DEAR,
  runSchedule,
  startUncachedStack,
} from '../support/local-stack.helpers.ts';

const REGISTRY = `${CHEAP_AND_DEAR}policies:
  - name: auto
    match: { model: auto }
    strategy: quality-first
    learning: { lambda: 2, explore: 0, canary: { weight: 0.5, min_events: 20, tolerance: 0.1 } }
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
  quality: { cheap: 0.9, dear: 0.92 }
`;
const HIDDEN: Record<string, number> = { cheap: 0.9, dear: 0.92 };
const USERS = 80;

let stack: LocalStack;

beforeAll(async () => {
  stack = await startUncachedStack(REGISTRY);
});

afterAll(async () => {
  await stack?.stop();
});

const headers = () => ({ authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' });

/** One chat request by `user`; resolves to the serving model and the request id. */
async function ask(user: string): Promise<{ model: string; id: string }> {
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({
      model: 'auto',
      user,
      messages: [{ role: 'user', content: 'Say hello.' }],
      max_tokens: 8,
    }),
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return {
    model: res.headers.get('x-switchyard-model')?.split('@')[0] ?? '',
    id: res.headers.get('x-request-id') ?? '',
  };
}

describe('a learned canary promoted by the refit', () => {
  it('splits callers by arm, then promotes the policy to the learned strategy', async () => {
    const random = seededRandom(7);
    const byArm = { static: 0, learned: 0 };
    for (let i = 0; i < USERS; i++) {
      const user = `user-${i}`;
      const arm = learnedCanaryArm('auto', user, 0.5);
      byArm[arm]++;
      const { model, id } = await ask(user);
      expect(model, user).toBe(arm === 'learned' ? 'cheap' : 'dear');
      const score = (HIDDEN[model] as number) + (random() * 2 - 1) * 0.05;
      const fb = await fetch(`${stack.url}/v1/feedback`, {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify({ request_id: id, score }),
      });
      await fb.arrayBuffer();
      expect(fb.status).toBe(200);
    }
    expect(byArm.static).toBeGreaterThanOrEqual(20);
    expect(byArm.learned).toBeGreaterThanOrEqual(20);

    const summary = (await runSchedule(stack, 'LearnedRefit')) as {
      canaries: Array<{ policy: string; verdict: string; applied: boolean; static: { events: number } }>;
    };
    expect(summary.canaries).toHaveLength(1);
    expect(summary.canaries[0]).toMatchObject({ policy: 'auto', verdict: 'promote', applied: true });
    expect(summary.canaries[0]?.static.events).toBe(byArm.static);

    const policies = await adminClient(stack).get<{
      data: Array<{ key: string; policy: { strategy: string; learning?: { canary?: unknown } } }>;
    }>('/admin/policies');
    const auto = policies.body.data.find((p) => p.key === 'auto')?.policy;
    expect(auto?.strategy).toBe('learned');
    expect(auto?.learning?.canary).toBeUndefined();

    // Promoted: the static arm's callers are served by the learned strategy too (cheap, λ 2).
    const staticUser = Array.from({ length: USERS }, (_, i) => `user-${i}`).find(
      (u) => learnedCanaryArm('auto', u, 0.5) === 'static',
    ) as string;
    expect((await ask(staticUser)).model).toBe('cheap');
  });
});
