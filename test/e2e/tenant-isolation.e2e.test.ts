// Tenants on the local stack: one tenant's bad requests never change another's service, the
// admin view shows the circuit that actually refuses traffic, and a tenant sees only what it
// may route to.
// - The outage of issue 8: bodies with a pass-through field nested ~30,000 deep (60 KB of
//   `[[[...]]]`) are that tenant's 400s; nothing reaches an endpoint, no circuit opens, and
//   another tenant is served at once.
// - An endpoint failing for real trips this router's own breaker: /admin/health says so (open,
//   from the router, one container) while the shared circuit is still closed.
// - /v1/models and the dry run for a key with an allow-list (addConsumerKey) and a tenant policy.
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import { adminClient, call, openAiClient, registryFile, setFault } from '../support/local-stack.helpers.ts';

const REGISTRY = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
  - { id: m2, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
  - { id: clf, version: v1, tasks: [sentiment], context_window: 512, regions: [us-east-1] }
endpoints:
  - { id: a, model: m1, version: v1, kind: openai-http, target: "http://a.internal/v1", region: us-east-1 }
  - { id: b, model: m1, version: v1, kind: sagemaker, target: "switchyard-b", region: us-east-1 }
  - { id: c, model: m2, version: v1, kind: openai-http, target: "http://c.internal/v1", region: us-east-1 }
  - { id: clf, model: clf, version: v1, kind: openai-http, target: "http://clf.internal/v1", region: us-east-1 }
policies:
  - name: chat
    match: { model: chat }
    models: [m1]
    fallback: { count: 1, mode: same-model-first }
    circuit: { failure_threshold: 3, cooldown_ms: 600000, min_requests: 1000 }
  - name: acme-gold
    match: { model: gold, tenant: acme }
    models: [m2]
  - name: classify
    match: { model: classify }
    models: [clf]
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
`;

let stack: LocalStack;
let client: OpenAI;
let admin: ReturnType<typeof adminClient>;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0', OUTCOME_FLUSH_MS: '0' },
  });
  client = openAiClient(stack);
  admin = adminClient(stack);
});

afterAll(async () => {
  await stack?.stop();
});

interface HealthView {
  endpoint: string;
  circuit: string;
  circuit_source: string | null;
  circuit_reason: string | null;
  shared_circuit: string;
  router_circuits: { open: number; half_open: number; containers: Array<{ state: string }> };
  routable: boolean;
  why: string;
}
const healthOf = async (id: string): Promise<HealthView | undefined> =>
  (await admin.get<{ endpoints: HealthView[] }>('/admin/health')).body.endpoints.find(
    (e) => e.endpoint === id,
  );
const requestsTo = (ids: string[]) => ids.reduce((n, id) => n + stack.sim.stats(id).requests, 0);

describe("one tenant's bad bodies never open circuits for another (issue 8)", () => {
  it('60 KB of nesting is the sender`s 400; nothing reaches an endpoint; the other tenant is served', async () => {
    const mallory = await stack.addConsumerKey('mallory');
    const nested = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const body = `{"model":"chat","messages":[{"role":"user","content":"hi"}],"extra":${nested}}`;
    expect(body.length).toBeGreaterThan(60_000);
    const before = requestsTo(['a', 'b']);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${mallory}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { type: string; message: string } }).error;
      expect(error.type).toBe('invalid_request_error');
      expect(error.message).toMatch(/nested/);
    }
    expect(requestsTo(['a', 'b'])).toBe(before);

    // Another tenant: served by the first endpoint it tries, no circuit anywhere.
    const { response } = await client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'clean' }] })
      .withResponse();
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    for (const id of ['a', 'b']) {
      expect(await healthOf(id)).toMatchObject({
        circuit: 'closed',
        router_circuits: { open: 0 },
        routable: true,
      });
    }
  });
});

describe('/admin/health shows a circuit only this router holds open', () => {
  it('real upstream failures trip the local breaker; the admin view says open, from the router', async () => {
    await setFault(stack, 'a', 'down');
    try {
      // Traffic until `a` has failed 3 times (the threshold); every answer is served (by b).
      const start = stack.sim.stats('a').requests;
      const ask = async () => {
        const { response } = await client.chat.completions
          .create({ model: 'chat', messages: [{ role: 'user', content: 'ping' }] })
          .withResponse();
        expect(response.headers.get('x-switchyard-endpoint')).toBe('b');
      };
      await eventually(
        async () => {
          await ask();
          return stack.sim.stats('a').requests - start >= 3 || undefined;
        },
        { what: 'three failures on a' },
      );
      // The router's own breaker is open: `a` gets nothing more (no health check has run).
      for (let i = 0; i < 5; i++) await ask();
      expect(stack.sim.stats('a').requests - start).toBe(3);
      const a = await eventually(
        async () => {
          const v = await healthOf('a');
          return v?.circuit === 'open' ? v : undefined;
        },
        { what: 'the open breaker to be published' },
      );
      expect(a).toMatchObject({
        circuit: 'open',
        circuit_source: 'router',
        shared_circuit: 'closed',
        router_circuits: { open: 1, half_open: 0, containers: [{ state: 'open' }] },
        routable: false,
      });
      expect(a.circuit_reason).toMatch(/^3 consecutive failures \(threshold 3\); last: connection/);
      expect(a.why).toMatch(/^circuit open in 1 router container: 3 consecutive failures/);
      expect(await healthOf('b')).toMatchObject({ circuit: 'closed', circuit_source: null });
      const summary = (await admin.get<{ summary: { circuits_open: number } }>('/admin/health')).body.summary;
      expect(summary.circuits_open).toBe(1);
    } finally {
      await setFault(stack, 'a', 'ok');
    }
  });
});

describe('a tenant sees only what it may route to', () => {
  const listed = async (key: string) => {
    const res = await call<{ data: Array<{ id: string; alias?: boolean; policy?: string }> }>(
      'GET',
      `${stack.url}/v1/models`,
      key,
    );
    expect(res.status).toBe(200);
    return res.body.data.map((d) => (d.alias ? `${d.id} -> ${d.policy}` : d.id));
  };

  it('/v1/models: the allow-list bounds the models and aliases; a tenant policy shows only to its tenant', async () => {
    const acme = await stack.addConsumerKey('acme', { allowed_models: ['m2'] });
    expect(await listed(acme)).toEqual(['m2', 'm2@v1', 'gold -> acme-gold']);
    // Models in registry order (the registry table sorts them by id).
    expect(await listed(stack.apiKey)).toEqual([
      'clf',
      'clf@v1',
      'm1',
      'm1@v1',
      'm2',
      'm2@v1',
      'chat -> chat',
      'classify -> classify',
    ]);
  });

  it("the dry run lists no endpoint of a model the key may not use; another tenant's alias is unknown", async () => {
    const acme = await stack.addConsumerKey('acme', { allowed_models: ['m2'] });
    const dry = await call<{
      plan: { primary: { endpoint: string } };
      explanation: {
        excluded: unknown[];
        excluded_count: number;
        excluded_hidden: number;
        candidates: unknown[];
      };
    }>('POST', `${stack.url}/v1/route`, acme, { model: 'gold', messages: [{ role: 'user', content: 'hi' }] });
    expect(dry.status).toBe(200);
    expect(dry.body.plan.primary.endpoint).toBe('c');
    expect(dry.body.explanation).toMatchObject({ excluded: [], excluded_count: 0, excluded_hidden: 3 });
    expect(JSON.stringify(dry.body)).not.toMatch(/"(a|b|clf)"|m1|clf/);

    const other = await call<{ error: { code: string } }>('POST', `${stack.url}/v1/route`, stack.apiKey, {
      model: 'gold',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('model_not_found');
  });
});
