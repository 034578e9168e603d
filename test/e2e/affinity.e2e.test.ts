// Conversation affinity on the local stack: four simulated replicas of one model, each with a
// prefix cache, under a policy with affinity. Every turn of a conversation (no sticky key, no
// user: the key is the hash of its opening) is served by one replica, so every turn after the
// first is a prefix-cache hit there; the dry run explains the choice. When that replica goes
// down, the turn in flight is served by a fallback, and once the health check has seen it down,
// the conversation's turns all go to one other replica while the other conversations stay where
// they were; when it recovers, the conversation returns to it.
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import {
  call,
  openAiClient,
  registryFile,
  runHealthCheck,
  setFault,
} from '../support/local-stack.helpers.ts';

const REPLICAS = ['r1', 'r2', 'r3', 'r4'];
const REGISTRY = `
models:
  - { id: m, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1] }
endpoints:
${REPLICAS.map((id) => `  - { id: ${id}, model: m, version: v1, kind: openai-http, target: "http://${id}.internal/v1", region: us-east-1 }`).join('\n')}
policies:
  - name: chat
    match: { model: chat }
    models: [m]
    strategy: least-outstanding
    affinity: { epsilon: 0.5 }
    fallback: { count: 2, mode: same-model-first }
local:
  defaults: { latency_ms: 1, jitter_ms: 0, prefix_cache: {} }
`;

let stack: LocalStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0', OUTCOME_FLUSH_MS: '0' },
  });
  client = openAiClient(stack);
  await runHealthCheck(stack);
});

afterAll(async () => {
  await stack?.stop();
});

type Message = { role: 'system' | 'user' | 'assistant'; content: string };
const SYSTEM: Message = { role: 'system', content: 'You are a helpful assistant. Keep answers short.' };

/** One conversation: its messages so far; `turn()` asks the next question and appends the answer. */
function conversation(opening: string) {
  const messages: Message[] = [SYSTEM, { role: 'user', content: opening }];
  let asked = 0;
  return {
    messages,
    async turn(): Promise<{ endpoint: string; attempts: string; reason: string }> {
      if (asked > 0) messages.push({ role: 'user', content: `follow-up ${asked} to "${opening}"` });
      asked++;
      const { data, response } = await client.chat.completions
        .create({ model: 'chat', messages })
        .withResponse();
      messages.push({ role: 'assistant', content: data.choices[0]?.message.content ?? '' });
      return {
        endpoint: response.headers.get('x-switchyard-endpoint') ?? '',
        attempts: response.headers.get('x-switchyard-attempts') ?? '',
        reason: response.headers.get('x-switchyard-route-reason') ?? '',
      };
    },
  };
}

const prefixTotals = () =>
  REPLICAS.reduce(
    (t, id) => {
      const s = stack.sim.stats(id);
      return { hits: t.hits + s.prefix_hits, misses: t.misses + s.prefix_misses };
    },
    { hits: 0, misses: 0 },
  );

const conversations = Array.from({ length: 8 }, (_, i) =>
  conversation(`question number ${i}: what is affinity?`),
);
/** The replica each conversation's turns went to. */
const home = new Map<number, string>();

describe('conversation affinity on the local stack', () => {
  it('serves every turn of a conversation on one replica, so turns after the first hit its prefix cache', async () => {
    const before = prefixTotals();
    // Turn-major order: the conversations interleave, as concurrent users do.
    for (let turn = 0; turn < 4; turn++) {
      for (const [i, c] of conversations.entries()) {
        const { endpoint, attempts, reason } = await c.turn();
        expect(attempts).toBe('1');
        expect(reason).toBe('least-outstanding + affinity; primary; 4 candidates, 0 excluded');
        if (turn === 0) home.set(i, endpoint);
        else expect(endpoint).toBe(home.get(i));
      }
    }
    // The conversations spread over the replicas (their keys differ).
    expect(new Set(home.values()).size).toBeGreaterThanOrEqual(2);
    const after = prefixTotals();
    expect(after.misses - before.misses).toBe(8);
    expect(after.hits - before.hits).toBe(24);
  });

  it('explains the choice in the dry run, without the key', async () => {
    const c = conversations[0];
    const res = await call<{ explanation: { affinity: Record<string, unknown> } }>(
      'POST',
      `${stack.url}/v1/route`,
      stack.apiKey,
      { model: 'chat', messages: c?.messages },
    );
    expect(res.status).toBe(200);
    expect(res.body.explanation.affinity).toMatchObject({
      key: 'conversation',
      epsilon: 0.5,
      applied: true,
      endpoint: home.get(0),
      skipped: [],
    });
    const sticky = await call<{ explanation: { affinity: Record<string, unknown> } }>(
      'POST',
      `${stack.url}/v1/route`,
      stack.apiKey,
      { model: 'chat', messages: c?.messages },
      { 'x-switchyard-sticky-key': 'conversation-42' },
    );
    expect(sticky.body.explanation.affinity).toMatchObject({ key: 'sticky_key', applied: true });
    expect(JSON.stringify(sticky.body)).not.toContain('conversation-42');
  });

  it('fails over when the replica goes down, sticks to the next one, and comes back after recovery', async () => {
    const lost = home.get(0) as string;
    const c = conversations[0] as ReturnType<typeof conversation>;
    await setFault(stack, lost, 'down');

    // The turn already routed to the dead replica is served by a fallback replica.
    const during = await c.turn();
    expect(during.endpoint).not.toBe(lost);
    expect(during.attempts).toBe('2');

    // Once health says down, the ring walks past it: one other replica takes every turn.
    await runHealthCheck(stack);
    const next = await c.turn();
    expect(next.endpoint).not.toBe(lost);
    expect(next.attempts).toBe('1');
    for (let i = 0; i < 3; i++) expect((await c.turn()).endpoint).toBe(next.endpoint);

    // The conversations on the other replicas did not move.
    for (const [i, other] of conversations.entries()) {
      if (home.get(i) === lost) continue;
      expect((await other.turn()).endpoint).toBe(home.get(i));
    }

    // Recovery: the key's replica is back on the ring, and the conversation returns to it.
    await setFault(stack, lost, 'ok');
    await runHealthCheck(stack);
    expect((await c.turn()).endpoint).toBe(lost);
  });
});
