// Circuit breakers on the local stack. Under steady load one endpoint goes down: the router's own
// breaker opens within the configured failures (the simulator sees no more than that), clients
// see no error because the other endpoint serves, the health check opens the shared circuit from
// the recorded failures, and after recovery (and a cooldown shortened through the admin API) the
// half-open trial (probe, then a request) closes both. A model whose only endpoint is down fails fast: 503, and the endpoint receives nothing.
import { DynamoDbHealthStore } from '@switchyard/adapters';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import {
  adminClient,
  call,
  localClients,
  named,
  openAiClient,
  registryFile,
  runHealthCheck,
  setFault,
} from '../support/local-stack.helpers.ts';

const FAILURES = 3;
const REGISTRY = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
  - { id: m2, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
endpoints:
  - { id: a, model: m1, version: v1, kind: openai-http, target: "http://a.internal/v1", region: us-east-1 }
  - { id: b, model: m1, version: v1, kind: openai-http, target: "http://b.internal/v1", region: us-east-1 }
  - { id: solo, model: m2, version: v1, kind: openai-http, target: "http://solo.internal/v1", region: us-east-1 }
policies:
  - name: chat
    match: { model: chat }
    models: [m1]
    strategy: weighted
    fallback: { count: 1, mode: same-model-first }
    circuit: { failure_threshold: ${FAILURES}, cooldown_ms: 600000, min_requests: 1000 }
  - name: solo
    match: { model: solo }
    models: [m2]
    fallback: { count: 0 }
    circuit: { failure_threshold: 2, cooldown_ms: 600000 }
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
`;

let stack: LocalStack;
let client: OpenAI;
let admin: ReturnType<typeof adminClient>;
let healthStore: DynamoDbHealthStore;
let aws: ReturnType<typeof localClients>;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    // Bursts of traffic here are not what the usage plan's throttle (50 req/s) is about.
    usagePlan: false,
    // The 502s and 503s below are expected: keep them out of the test output.
    logLevel: 'SILENT',
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0', OUTCOME_FLUSH_MS: '0' },
  });
  client = openAiClient(stack);
  admin = adminClient(stack);
  aws = localClients(stack);
  healthStore = new DynamoDbHealthStore({
    client: aws.doc,
    tableName: named(stack.resources.tables, 'health'),
  });
});

afterAll(async () => {
  aws?.destroy();
  await stack?.stop();
});

const healthCheck = () => runHealthCheck(stack);

async function ask(
  model: string,
  user: string,
): Promise<{ endpoint: string | null; attempts: string | null }> {
  const { response } = await client.chat.completions
    .create({ model, user, messages: [{ role: 'user', content: `hello from ${user}` }] })
    .withResponse();
  return {
    endpoint: response.headers.get('x-switchyard-endpoint'),
    attempts: response.headers.get('x-switchyard-attempts'),
  };
}

type HealthView = {
  endpoints: Array<{
    endpoint: string;
    circuit: string;
    circuit_reason: string | null;
    routable: boolean;
    why: string;
  }>;
};
const healthOf = async (id: string) =>
  (await admin.get<HealthView>('/admin/health')).body.endpoints.find((e) => e.endpoint === id);

describe('one endpoint down under steady load', () => {
  it('opens its circuit within the configured failures; clients see no error; it closes after recovery', async () => {
    await healthCheck();
    await setFault(stack, 'a', 'down');
    const before = stack.sim.stats('a').requests;

    // Steady load: two clients, 25 requests each, every one a new conversation.
    const answers = await Promise.all(
      [0, 1].map(async (c) => {
        const out: Array<{ endpoint: string | null; attempts: string | null }> = [];
        for (let i = 0; i < 25; i++) out.push(await ask('chat', `c${c}-r${i}`));
        return out;
      }),
    );
    const all = answers.flat();
    expect(all).toHaveLength(50);
    expect(all.every((a) => a.endpoint === 'b')).toBe(true);
    // At most the threshold, plus one attempt the other client had already started.
    const tried = stack.sim.stats('a').requests - before;
    expect(tried).toBeGreaterThanOrEqual(1);
    expect(tried).toBeLessThanOrEqual(FAILURES + 1);
    // Once open, nothing is tried there: the last requests of each client went straight to b.
    for (const list of answers) expect(list.slice(-10).every((a) => a.attempts === '1')).toBe(true);

    // The failures reach the health table; the next probe round opens the shared circuit on them.
    await eventually(async () => ((await healthStore.record('a'))?.failures ?? 0) >= tried || undefined, {
      what: 'the passive failures to be recorded',
    });
    await healthCheck();
    const open = await healthOf('a');
    expect(open).toMatchObject({ circuit: 'open', routable: false });
    expect(open?.circuit_reason).toMatch(/consecutive failures \(threshold 3\)/);
    expect(open?.why).toMatch(/^circuit open: /);

    // Recovery. A shorter cooldown through the admin API (the router and the health check read
    // it from the registry); after it the probe closes the shared circuit, a trial request the local one.
    await setFault(stack, 'a', 'ok');
    const policy = (
      await admin.get<{ data: Array<{ key: string; policy: Record<string, unknown> }> }>('/admin/policies')
    ).body.data.find((p) => p.key === 'chat')?.policy;
    const put = await admin.put('/admin/policies/chat', {
      ...policy,
      circuit: { failure_threshold: FAILURES, cooldown_ms: 100, min_requests: 1000 },
    });
    expect(put.status).toBe(200);
    let n = 0;
    await eventually(
      async () => {
        await healthCheck();
        const served = await ask('chat', `recovery-${n++}`);
        return served.endpoint === 'a' || undefined;
      },
      { what: 'a to serve again' },
    );
    // The router publishes its breaker closing in the background: the view follows shortly.
    const closed = await eventually(
      async () => {
        const v = await healthOf('a');
        return v?.circuit === 'closed' ? v : undefined;
      },
      { what: "the router's closed breaker to be published" },
    );
    expect(closed).toMatchObject({ circuit: 'closed', routable: true });
    expect(closed?.circuit_reason).toMatch(/^closed after a successful probe/);
  });
});

describe("a model's only endpoint down", () => {
  it('fails fast with 503 once its circuit is open: no attempt reaches the endpoint', async () => {
    await setFault(stack, 'solo', 'down');
    let failed = 0;
    const first = await eventually(
      async () => {
        const res = await call<{ error: { code: string; message: string } }>(
          'POST',
          `${stack.url}/v1/chat/completions`,
          stack.apiKey,
          {
            model: 'solo',
            messages: [{ role: 'user', content: 'hi' }],
          },
        );
        if (res.status === 502) failed++;
        return res.status === 503 ? res : undefined;
      },
      { what: 'the circuit to open' },
    );
    expect(failed).toBe(2);
    expect(first.body.error.code).toBe('no_candidate');
    expect(first.body.error.message).toContain('circuit breaker is open');
    expect(first.headers.get('retry-after')).toBe('5');

    const before = stack.sim.stats('solo').requests;
    for (let i = 0; i < 5; i++) {
      const res = await call<{ error: { code: string } }>(
        'POST',
        `${stack.url}/v1/chat/completions`,
        stack.apiKey,
        {
          model: 'solo',
          messages: [{ role: 'user', content: `again ${i}` }],
        },
      );
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('no_candidate');
    }
    expect(stack.sim.stats('solo').requests).toBe(before);
  });
});
