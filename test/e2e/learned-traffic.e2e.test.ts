// Learned routing learns on the local stack: with the feedback simulator scoring answers by a
// hidden quality the registry's priors get wrong (cheap is as good as dear here, at 1/30 of the
// price, but its prior says 0.38), the share of traffic on the model that is best for its cost
// rises above 80 % after 120 scored requests and one scheduled refit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateFeedback } from '../../infra/local/feedback-simulator.ts';
import type { LocalStack } from '../../infra/local/local-stack.ts';
import { seededRandom } from '../../layers/core/src/index.ts';
import { CHEAP_AND_DEAR, runSchedule, startUncachedStack } from '../support/local-stack.helpers.ts';

const REGISTRY = `${CHEAP_AND_DEAR}policies:
  - name: auto
    match: { model: auto }
    strategy: learned
    learning: { lambda: 0.5, explore: 0.5 }
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
  quality: { cheap: 0.9, dear: 0.92 }
`;

let stack: LocalStack;

beforeAll(async () => {
  stack = await startUncachedStack(REGISTRY);
});

afterAll(async () => {
  await stack?.stop();
});

describe('learned routing with the feedback simulator', () => {
  it('moves traffic to the model that is best for its cost', async () => {
    const options = {
      url: stack.url,
      key: stack.apiKey,
      quality: stack.local.quality,
      random: seededRandom(13),
    };
    const before = await simulateFeedback(options, 120);
    expect(before.failed).toBe(0);
    const shareBefore = (before.served.cheap ?? 0) / 120;
    // Priors only: dear is greedy (0.9 − 0.5 against 0.38 − 0.017); cheap gets only explored traffic.
    expect(shareBefore).toBeLessThan(0.4);
    expect(before.served.cheap ?? 0).toBeGreaterThan(0);

    const refit = (await runSchedule(stack, 'LearnedRefit')) as { events: number };
    expect(refit.events).toBeGreaterThanOrEqual(100);

    const after = await simulateFeedback(options, 60);
    const shareAfter = (after.served.cheap ?? 0) / 60;
    // Greedy is cheap now; half the traffic may explore, mostly towards it (softmax on utility).
    expect(shareAfter).toBeGreaterThan(0.8);
  });
});
