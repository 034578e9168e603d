// Many invocations of one router module at once, as Lambda Managed Instances runs it (64 per
// environment): the local stack invokes the same handler module concurrently. 120 requests at
// once while one endpoint is down: every answer belongs to its own request (the simulator echoes
// the prompt), the attempts each response reports add up to what the endpoints received, every
// outcome is recorded exactly once, the container's breaker opens once, and its in-flight counts
// return to zero (its in-flight report is deleted) when the burst is over.
import { DynamoDbHealthStore } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import {
  adminClient,
  call,
  localClients,
  named,
  registryFile,
  setFault,
} from '../support/local-stack.helpers.ts';

const BURST = 120;
const REGISTRY = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
endpoints:
  - { id: a, model: m1, version: v1, kind: openai-http, target: "http://a.internal/v1", region: us-east-1 }
  - { id: b, model: m1, version: v1, kind: openai-http, target: "http://b.internal/v1", region: us-east-1 }
policies:
  - name: chat
    match: { model: chat }
    models: [m1]
    strategy: weighted
    fallback: { count: 1, mode: same-model-first }
    circuit: { failure_threshold: 3, cooldown_ms: 600000, min_requests: 1000 }
local:
  defaults: { latency_ms: 40, jitter_ms: 0 }
`;

let stack: LocalStack;
let aws: ReturnType<typeof localClients>;
let health: DynamoDbHealthStore;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
    env: { REGISTRY_CACHE_TTL_MS: '60000', HEALTH_CACHE_TTL_MS: '0', OUTCOME_FLUSH_MS: '0' },
  });
  aws = localClients(stack);
  health = new DynamoDbHealthStore({ client: aws.doc, tableName: named(stack.resources.tables, 'health') });
});

afterAll(async () => {
  aws?.destroy();
  await stack?.stop();
});

interface Answer {
  i: number;
  status: number;
  endpoint: string | null;
  attempts: number;
  content: string | undefined;
}

async function ask(i: number): Promise<Answer> {
  const res = await call<{ choices?: Array<{ message: { content: string } }> }>(
    'POST',
    `${stack.url}/v1/chat/completions`,
    stack.apiKey,
    { model: 'chat', user: `u${i}`, messages: [{ role: 'user', content: `request ${i}` }] },
  );
  return {
    i,
    status: res.status,
    endpoint: res.headers.get('x-switchyard-endpoint'),
    attempts: Number(res.headers.get('x-switchyard-attempts')),
    content: res.body.choices?.[0]?.message.content,
  };
}

describe(`${BURST} concurrent invocations of one router module, one endpoint down`, () => {
  let answers: Answer[];
  let received: { a: number; b: number };
  let sawInflight = false;

  beforeAll(async () => {
    await setFault(stack, 'b', 'down');
    const before = { a: stack.sim.stats('a').requests, b: stack.sim.stats('b').requests };
    const burst = Promise.all(Array.from({ length: BURST }, (_, i) => ask(i)));
    // While the burst is on, this container's in-flight report is in the health table.
    await eventually(
      async () => {
        const snap = await health.snapshot();
        sawInflight = (snap.inflight_reports?.length ?? 0) === 1;
        return sawInflight || undefined;
      },
      { what: 'an in-flight report during the burst' },
    );
    answers = await burst;
    received = {
      a: stack.sim.stats('a').requests - before.a,
      b: stack.sim.stats('b').requests - before.b,
    };
  });

  it('every request is answered by the healthy endpoint with its own prompt', () => {
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    for (const a of answers) {
      expect(a.endpoint).toBe('a');
      expect(a.content).toBe(`[a] echo: request ${a.i}`);
    }
  });

  it('the attempts the responses report add up to what the endpoints received', () => {
    expect(received.a).toBe(BURST);
    const attempts = answers.reduce((n, a) => n + a.attempts, 0);
    expect(attempts).toBe(BURST + received.b);
    // Every attempt on b failed over to a: those answers took two attempts, the others one.
    expect(answers.filter((a) => a.attempts === 2)).toHaveLength(received.b);
    expect(answers.filter((a) => a.attempts !== 1 && a.attempts !== 2)).toEqual([]);
    expect(received.b).toBeGreaterThanOrEqual(3);
  });

  it('records every outcome exactly once', async () => {
    await eventually(
      async () => {
        const [a, b] = [await health.record('a'), await health.record('b')];
        return a?.requests === BURST && b?.requests === received.b ? true : undefined;
      },
      { what: 'the outcomes of the burst' },
    );
    expect((await health.record('a'))?.failures).toBe(0);
    expect((await health.record('b'))?.failures).toBe(received.b);
  });

  it("opens the container's breaker on b once, and reports it from one container", async () => {
    type View = {
      endpoints: Array<{ endpoint: string; circuit: string; router_circuits: { open: number } }>;
    };
    const view = await eventually(
      async () => {
        const body = (await adminClient(stack).get<View>('/admin/health')).body;
        const b = body.endpoints.find((e) => e.endpoint === 'b');
        return b?.router_circuits.open === 1 ? body : undefined;
      },
      { what: 'the router circuit on b' },
    );
    const byId = Object.fromEntries(view.endpoints.map((e) => [e.endpoint, e]));
    expect(byId.b).toMatchObject({ circuit: 'open', router_circuits: { open: 1 } });
    expect(byId.a).toMatchObject({ circuit: 'closed', router_circuits: { open: 0 } });
  });

  it('its in-flight counts return to zero: the report is gone once the burst is over', async () => {
    expect(sawInflight).toBe(true);
    await eventually(
      async () => ((await health.snapshot()).inflight_reports === undefined ? true : undefined),
      { what: 'the in-flight report to be deleted' },
    );
    const snap = await health.snapshot();
    expect(snap.endpoints.a?.inflight ?? 0).toBe(0);
    expect(snap.endpoints.b?.inflight ?? 0).toBe(0);
  });
});
