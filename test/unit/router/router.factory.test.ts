// createRouterHandler over in-memory stores (the wiring the overhead bench uses): a chat request
// in the API Gateway event shape is served through the streamified handler with the router's
// headers, its usage is metered once, a budget lease is taken from the tenant's spend budget, and
// an unknown route is a 404 in the OpenAI error shape.
import { Writable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { EmfMetrics, MemoryBudgetStore, MemoryUsageStore, parseRegistryFile } from '@switchyard/adapters';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouterHandler, type RouterHandler } from '../../../functions/router/router.factory.ts';
import { installAwsLambdaGlobal } from '../../../infra/local/lambda-runtime.ts';
import { MemoryHealthStore } from '../../support/memory-health.store.ts';

const REGISTRY = `
models:
  - id: m1
    version: v1
    tasks: [chat]
    context_window: 4096
    regions: [us-east-1]
    cost: { input_per_1k: 0.001, output_per_1k: 0.002, per_call: 0 }
endpoints:
  - { id: a, model: m1, version: v1, kind: openai-http, target: "http://a.internal/v1", region: us-east-1 }
policies:
  - { name: chat, match: { model: chat }, models: [m1] }
`;

function event(resource: string, body: unknown) {
  return {
    resource,
    path: resource,
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      authorizer: { tenant: 't1', role: 'consumer', key_id: 'key_1', allowed_models: '' },
    },
  };
}

const context = { awsRequestId: 'aws-1', functionName: 'router', getRemainingTimeInMillis: () => 30_000 };

async function invoke(
  router: RouterHandler,
  e: unknown,
): Promise<{ prelude: Record<string, unknown>; body: string }> {
  const bytes: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes.push(chunk);
      cb();
    },
  });
  const handler = router.handler as unknown as (e: unknown, s: Writable, c: Context) => Promise<unknown>;
  await handler(e, out, context as unknown as Context);
  const text = Buffer.concat(bytes).toString('utf8');
  const cut = text.indexOf('\u0000');
  return { prelude: JSON.parse(text.slice(0, cut)) as Record<string, unknown>, body: text.slice(cut + 8) };
}

describe('createRouterHandler', () => {
  let router: RouterHandler | undefined;
  afterEach(() => router?.stop());

  function build() {
    installAwsLambdaGlobal();
    const budgets = new MemoryBudgetStore();
    const usage = new MemoryUsageStore();
    const calls: unknown[] = [];
    router = createRouterHandler({
      stores: {
        registry: { load: async () => parseRegistryFile(REGISTRY, 'test').registry, replace: async () => {} },
        health: Object.assign(new MemoryHealthStore(), { publishRouterCircuits: async () => {} }),
        budgets,
        usage,
        tenants: { get: async () => ({ budget: { limit_usd: 100, period: 'month' as const } }) },
      },
      inference: {
        invoke: async (_target, call) => {
          calls.push(call);
          return {
            body: {
              id: 'c1',
              object: 'chat.completion',
              created: 1,
              model: 'upstream',
              choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
            },
            usage: { prompt_tokens: 9, completion_tokens: 3 },
          };
        },
      },
      settings: {
        REGISTRY_CACHE_TTL_MS: 5000,
        HEALTH_CACHE_TTL_MS: 2000,
        HEALTH_FRESH_MS: 30_000,
        MAX_BODY_BYTES: 1024 * 1024,
        OUTCOME_FLUSH_MS: 1000,
        INFLIGHT_FRESH_MS: 10_000,
        TENANT_CACHE_TTL_MS: 5000,
        BUDGET_LEASE_TTL_MS: 60_000,
      },
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      emf: new EmfMetrics({ serviceName: 'router', disabled: true }),
      containerId: 'c-test',
    });
    return { router, budgets, usage, calls };
  }

  it('serves a chat request over the given stores: 200, routed to m1@v1 on a, metered once, lease taken', async () => {
    const t = build();
    const body = { model: 'chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 };
    const { prelude, body: answer } = await invoke(t.router, event('/v1/chat/completions', body));
    expect(prelude.statusCode).toBe(200);
    const headers = prelude.headers as Record<string, string>;
    expect(headers['x-request-id']).toBe('req-1');
    expect(headers['x-switchyard-endpoint']).toBe('a');
    expect(JSON.parse(answer)).toMatchObject({ object: 'chat.completion', model: 'm1' });
    expect(t.calls).toHaveLength(1);
    const records = t.usage.all();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ tenant: 't1', request_id: 'req-1' });
    const holders = t.budgets.records().flatMap((r) => Object.values(r.leases).map((l) => l.holder));
    expect(holders).toEqual(['c-test']);
  });

  it('answers an unknown route with a 404 in the OpenAI error shape', async () => {
    const t = build();
    const { prelude, body } = await invoke(t.router, event('/v1/nope', {}));
    expect(prelude.statusCode).toBe(404);
    expect(JSON.parse(body)).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(t.calls).toHaveLength(0);
  });
});
