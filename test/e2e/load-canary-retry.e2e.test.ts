// Least load, canary fallbacks, sync retries and task-only invocations on the local stack:
// - six slow requests in flight on one endpoint are visible to the router (the dry run's
//   explanation, the load score part, the dashboard's router column from the health table), and
//   a least-outstanding policy sends the next request to the idle endpoint;
// - a failing canary candidate is served by the stable version (its users see no error), while a
//   stable-pinned request never reaches the candidate;
// - a 429 with Retry-After from an endpoint at capacity is retried on the same endpoint;
// - an invocation (and a job) without a model is routed by task;
// - the health check deletes in-flight reports that stopped containers left behind.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbHealthStore } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import {
  call,
  localClients,
  named,
  registryFile,
  runHealthCheck,
  setFault,
} from '../support/local-stack.helpers.ts';

const REGISTRY = `
models:
  - { id: m, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1, eu-west-1] }
  - { id: support, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
  - { id: support, version: v2, tasks: [chat], context_window: 4096, regions: [us-east-1], status: staged }
  - { id: senti, version: v1, tasks: [sentiment], context_window: 512, regions: [us-east-1] }
  - { id: n, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
endpoints:
  - { id: busy, model: m, version: v1, kind: openai-http, target: "http://busy.internal/v1", region: us-east-1, capacity: { max_inflight: 8 } }
  - { id: idle, model: m, version: v1, kind: openai-http, target: "http://idle.internal/v1", region: eu-west-1, capacity: { max_inflight: 8 } }
  - { id: narrow, model: n, version: v1, kind: openai-http, target: "http://narrow.internal/v1", region: us-east-1, capacity: { max_inflight: 1 } }
  - { id: stable-a, model: support, version: v1, kind: openai-http, target: "http://stable-a.internal/v1", region: us-east-1 }
  - { id: stable-b, model: support, version: v1, kind: openai-http, target: "http://stable-b.internal/v1", region: us-east-1 }
  - { id: cand, model: support, version: v2, kind: openai-http, target: "http://cand.internal/v1", region: us-east-1 }
  - { id: senti-1, model: senti, version: v1, kind: sagemaker, target: switchyard-senti, region: us-east-1 }
policies:
  - name: lor
    match: { model: lor }
    models: [m]
    strategy: least-outstanding
    fallback: { count: 1 }
  - name: support
    match: { model: support }
    models: [support]
    canary: [{ model: support, stable: v1, candidate: v2, weight: 1 }]
    fallback: { count: 1, mode: same-model-first }
  - name: support-stable
    match: { model: support-stable }
    models: [support]
    canary: [{ model: support, stable: v1, candidate: v2, weight: 0 }]
    fallback: { count: 1, mode: same-model-first }
  - name: narrow
    match: { model: narrow }
    models: [n]
    fallback: { count: 0 }
    retry: { sync: { max_attempts_per_target: 2 } }
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
`;

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0', JOB_PRIORITY_POLL_MS: '10' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

const post = <T = Record<string, unknown>>(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) => call<T>('POST', `${stack.url}${path}`, stack.apiKey, body, headers);
const chat = (model: string, user = 'u1') => ({ model, user, messages: [{ role: 'user', content: 'hi' }] });

interface DryRun {
  plan: { policy: string; primary: { endpoint: string }; fallbacks: Array<{ endpoint: string }> };
  explanation: {
    candidates: Array<{
      endpoint: string;
      version: string;
      inflight: number;
      capacity: number;
      parts: { load: number };
      fallback_only?: boolean;
    }>;
    versions: Array<{ model: string; version: string; reason: string }>;
  };
}
interface DashboardState {
  endpoints: Array<{ id: string; inflight: number; router_inflight: number }>;
}
const dashboardRow = async (id: string) => {
  const res = await fetch(`${stack.url}/_local/state`);
  return ((await res.json()) as DashboardState).endpoints.find((e) => e.id === id);
};

describe('least load: requests in flight are visible to the router', () => {
  it('sees six slow requests on one endpoint and sends the next one elsewhere', async () => {
    // Held in flight until the router's count has been seen; residency pins these six to `busy`.
    const release = stack.sim.hold('busy');
    const six = Array.from({ length: 6 }, (_, i) =>
      post('/v1/chat/completions', chat('lor', `slow-${i}`), { 'x-switchyard-region': 'us-east-1' }),
    );
    await eventually(() => stack.sim.stats('busy').inflight === 6, { what: 'six requests at busy' });

    const dry = await post<DryRun>('/v1/route', chat('lor'));
    expect(dry.status).toBe(200);
    const busy = dry.body.explanation.candidates.find((c) => c.endpoint === 'busy');
    expect(busy).toMatchObject({ inflight: 6, capacity: 8, parts: { load: 0.25 } });
    expect(dry.body.explanation.candidates.find((c) => c.endpoint === 'idle')?.inflight).toBe(0);
    expect(dry.body.plan.primary.endpoint).toBe('idle');

    const next = await post('/v1/chat/completions', chat('lor', 'quick'));
    expect(next.status).toBe(200);
    expect(next.headers.get('x-switchyard-endpoint')).toBe('idle');

    // The router's count reaches the health table; the dashboard shows it beside the simulator's.
    const row = await eventually(
      async () => {
        const r = await dashboardRow('busy');
        return r?.router_inflight === 6 ? r : undefined;
      },
      { what: 'the dashboard to show six in flight' },
    );
    expect(row.inflight).toBe(6);

    release();
    const answers = await Promise.all(six);
    expect(answers.map((a) => [a.status, a.headers.get('x-switchyard-endpoint')])).toEqual(
      Array.from({ length: 6 }, () => [200, 'busy']),
    );
    const after = await post<DryRun>('/v1/route', chat('lor'));
    expect(after.body.explanation.candidates.find((c) => c.endpoint === 'busy')?.inflight).toBe(0);
    await eventually(async () => (await dashboardRow('busy'))?.router_inflight === 0, {
      what: 'the router share to drop to zero',
    });
  });
});

describe('canary: a failing candidate is served by stable', () => {
  it('answers candidate-pinned users from stable when the candidate errors or is down', async () => {
    const dry = await post<DryRun>('/v1/route', chat('support'));
    expect(dry.body.plan.primary.endpoint).toBe('cand');
    expect(dry.body.plan.fallbacks[0]?.endpoint).toMatch(/^stable-/);
    expect(
      dry.body.explanation.candidates
        .filter((c) => c.fallback_only)
        .map((c) => c.endpoint)
        .sort(),
    ).toEqual(['stable-a', 'stable-b']);
    expect(dry.body.explanation.versions[0]?.reason).toContain('stable v1 endpoints are its first fallbacks');

    for (const mode of ['error', 'down'] as const) {
      await setFault(stack, 'cand', mode);
      for (const user of [`${mode}-1`, `${mode}-2`]) {
        const res = await post('/v1/chat/completions', chat('support', user));
        expect(res.status).toBe(200);
        expect(res.headers.get('x-switchyard-model')).toBe('support@v1');
        expect(res.headers.get('x-switchyard-attempts')).toBe('2');
      }
    }
    await setFault(stack, 'cand', 'ok');
  });

  it('never sends a stable-pinned request to the candidate, even when stable fails', async () => {
    const before = stack.sim.stats('cand').requests;
    await setFault(stack, 'stable-a', 'error');
    await setFault(stack, 'stable-b', 'error');
    const res = await post('/v1/chat/completions', chat('support-stable', 'stable-user'));
    expect(res.status).toBe(502);
    expect(stack.sim.stats('cand').requests).toBe(before);
    await setFault(stack, 'stable-a', 'ok');
    await setFault(stack, 'stable-b', 'ok');
  });
});

describe('sync retries', () => {
  it('retries a 429 with Retry-After on the same endpoint when the policy allows it', async () => {
    const dry = await post<DryRun & { plan: { sync_retry: unknown } }>('/v1/route', chat('narrow'));
    expect(dry.body.plan.sync_retry).toEqual({
      max_attempts_per_target: 2,
      base_delay_ms: 100,
      max_delay_ms: 2000,
    });
    // narrow serves one request at a time: held, the first keeps it busy, so the second gets 429
    // with Retry-After: 1; the first is released then, and the second's retry a second later is served.
    const release = stack.sim.hold('narrow');
    const first = post('/v1/chat/completions', chat('narrow', 'n1'));
    await eventually(() => stack.sim.stats('narrow').inflight === 1, { what: 'narrow to be busy' });
    const pending = post('/v1/chat/completions', chat('narrow', 'n2'));
    await eventually(() => stack.sim.stats('narrow').throttled === 1, { what: 'the second to be throttled' });
    release();
    const second = await pending;
    expect((await first).status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-switchyard-endpoint')).toBe('narrow');
    expect(second.headers.get('x-switchyard-attempts')).toBe('2');
    expect(stack.sim.stats('narrow')).toMatchObject({ throttled: 1, served: 2 });
  });
});

describe('invocations without a model', () => {
  it('are routed by task, synchronously and as jobs', async () => {
    const res = await post<{ object: string; task: string; output: unknown }>('/v1/invocations', {
      task: 'sentiment',
      payload: { text: 'lovely' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-endpoint')).toBe('senti-1');
    expect(res.headers.get('x-switchyard-policy')).toBe('default');
    expect(res.body).toMatchObject({ object: 'invocation', task: 'sentiment' });

    const job = await post<{ id: string }>('/v1/jobs', { task: 'sentiment', payload: { text: 'lovely' } });
    expect(job.status).toBe(202);
    const done = await eventually(
      async () => {
        const got = await call<{ status: string; result?: { model: string } }>(
          'GET',
          `${stack.url}/v1/jobs/${job.body.id}`,
          stack.apiKey,
        );
        return ['succeeded', 'failed', 'dead-lettered'].includes(got.body.status) ? got.body : undefined;
      },
      { what: 'the job to finish', timeoutMs: 30_000 },
    );
    expect(done).toMatchObject({ status: 'succeeded', result: { model: 'senti' } });
  });
});

describe('in-flight reports of stopped containers', () => {
  it('are deleted by the health check once older than five minutes', async () => {
    const aws = localClients(stack);
    try {
      const table = named(stack.resources.tables, 'health');
      const store = new DynamoDbHealthStore({ client: aws.doc, tableName: table });
      await store.reportInflight({ router: 'gone', at: Date.now() - 301_000, inflight: { busy: 3 } });
      await store.reportInflight({ router: 'alive', at: Date.now(), inflight: { busy: 1 } });
      await runHealthCheck(stack);
      const item = async (router: string) =>
        (await aws.doc.send(new GetCommand({ TableName: table, Key: { endpoint: `~router/${router}` } })))
          .Item;
      expect(await item('gone')).toBeUndefined();
      expect(await item('alive')).toBeDefined();
      await store.reportInflight({ router: 'alive', at: Date.now(), inflight: {} });
    } finally {
      aws.destroy();
    }
  });
});
