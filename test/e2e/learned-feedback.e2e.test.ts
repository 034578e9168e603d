// Learned routing on the local stack: a routed request leaves one decision record (no prompt
// text) in the decisions table; POST /v1/feedback joins a score onto it for the tenant that
// made the request, once (a repeat answers the first feedback), a 404 for any other tenant or
// an unknown id, and a 400 in OpenAI's error shape for a bad body. The dry run explains a learned
// choice (estimate and uncertainty per candidate, whether the draw explored); after the scheduled
// refit, the routers decide on the refit state (the feedback events it holds).
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import {
  call,
  localClients,
  named,
  runSchedule,
  startUncachedStack,
} from '../support/local-stack.helpers.ts';

const REGISTRY = `
models:
  - { id: small, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1], quality: { chat: 0.7 }, cost: { input_per_1k: 0.0001, output_per_1k: 0.0002 } }
  - { id: large, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1], quality: { chat: 0.9 }, cost: { input_per_1k: 0.003, output_per_1k: 0.006 } }
endpoints:
  - { id: small-1, model: small, version: v1, kind: openai-http, target: "http://small.internal/v1", region: us-east-1 }
  - { id: large-1, model: large, version: v1, kind: openai-http, target: "http://large.internal/v1", region: us-east-1 }
policies:
  - name: auto
    match: { model: auto }
    strategy: learned
    learning: { lambda: 0.5, explore: 0.1 }
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
`;

const SECRET = 'the secret prompt text 4711';
let stack: LocalStack;
let clients: ReturnType<typeof localClients>;
let decisions: string;

beforeAll(async () => {
  stack = await startUncachedStack(REGISTRY);
  clients = localClients(stack);
  decisions = named(stack.resources.tables, 'decisions');
});

afterAll(async () => {
  clients?.destroy();
  await stack?.stop();
});

const chat = (key: string) =>
  call('POST', `${stack.url}/v1/chat/completions`, key, {
    model: 'auto',
    messages: [{ role: 'user', content: SECRET }],
    max_tokens: 16,
  });

describe('decision log and feedback', () => {
  it('logs the decision of a routed request, without the prompt', async () => {
    const res = await chat(stack.apiKey);
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id') as string;
    expect(res.headers.get('x-switchyard-strategy')).toBe('learned');
    const item = await eventually(async () => {
      const got = await clients.doc.send(new GetCommand({ TableName: decisions, Key: { request_id: id } }));
      return got.Item; // undefined until the record is there
    });
    expect(item).toMatchObject({
      request_id: id,
      tenant: 'local',
      policy: 'auto',
      strategy: 'learned',
      status: 'ok',
    });
    expect(item.model).toBe(res.headers.get('x-switchyard-model'));
    expect(item.propensity).toBeGreaterThan(0);
    expect(item.propensity).toBeLessThanOrEqual(1);
    expect(item.context).toHaveLength(10);
    expect(item.candidates).toHaveLength(2);
    expect(typeof item.expires_at).toBe('number');
    expect(JSON.stringify(item)).not.toContain('4711');
  });

  it('feedback by the requesting tenant is stored once; a repeat answers the first; another tenant gets a 404', async () => {
    const res = await chat(stack.apiKey);
    const id = res.headers.get('x-request-id') as string;
    const url = `${stack.url}/v1/feedback`;
    const first = await eventually(async () => {
      const r = await call('POST', url, stack.apiKey, { request_id: id, thumbs: 'up', label: 'helpful' });
      return r.status === 404 ? undefined : r; // 404 until the decision record is there
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      object: 'feedback',
      request_id: id,
      score: 1,
      thumbs: 'up',
      label: 'helpful',
      duplicate: false,
    });
    const again = await call('POST', url, stack.apiKey, { request_id: id, score: 0.1 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ score: 1, thumbs: 'up', duplicate: true });

    const otherKey = await stack.addConsumerKey('other-tenant');
    const other = await call<{ error: { code: string; param: string } }>('POST', url, otherKey, {
      request_id: id,
      score: 0,
    });
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: 'not_found', param: 'request_id' });
    const unknown = await call('POST', url, stack.apiKey, { request_id: 'no-such-request', score: 0.5 });
    expect(unknown.status).toBe(404);
    const stored = await clients.doc.send(new GetCommand({ TableName: decisions, Key: { request_id: id } }));
    expect(stored.Item?.feedback).toMatchObject({ score: 1, thumbs: 'up', label: 'helpful' });
  });

  it.each([
    [{ request_id: 'r' }, 'score'],
    [{ request_id: 'r', score: 1.5 }, 'score'],
    [{ request_id: 'r', score: 1, thumbs: 'up' }, 'score'],
    [{ request_id: 'r', thumbs: 'meh' }, 'thumbs'],
    [{ score: 1 }, 'request_id'],
    [{ request_id: 'r', score: 1, tenant: 'someone-else' }, null],
  ])('a bad body %j is a 400 naming %s', async (body, param) => {
    const res = await call<{ error: { type: string; param: string | null } }>(
      'POST',
      `${stack.url}/v1/feedback`,
      stack.apiKey,
      body,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request_error');
    if (param) expect(res.body.error.param).toBe(param);
  });

  it('the dry run explains a learned choice: estimate and uncertainty per candidate, explored or not', async () => {
    const res = await call<{
      explanation: {
        learned: { propensity: number; explored: boolean; lambda: number; explore: number };
        candidates: Array<{ model: string; learned: { estimate: number; uncertainty: number } }>;
      };
    }>('POST', `${stack.url}/v1/route`, stack.apiKey, {
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.explanation.learned).toMatchObject({ lambda: 0.5, explore: 0.1 });
    expect(typeof res.body.explanation.learned.explored).toBe('boolean');
    const large = res.body.explanation.candidates.find((c) => c.model === 'large');
    expect(large?.learned.estimate).toBe(0.9);
    expect(large?.learned.uncertainty).toBeGreaterThan(0);
  });

  it('the scheduled refit folds the feedback into the state the router decides on', async () => {
    // Three more scored answers: thumbs down for whichever model served.
    for (let i = 0; i < 3; i++) {
      const res = await chat(stack.apiKey);
      const id = res.headers.get('x-request-id') as string;
      await eventually(async () => {
        const r = await call('POST', `${stack.url}/v1/feedback`, stack.apiKey, {
          request_id: id,
          thumbs: 'down',
        });
        return r.status === 200;
      });
    }
    const summary = (await runSchedule(stack, 'LearnedRefit')) as { total: number; arms: number };
    // Four explicit scores, and the first test's unscored answer: the same key asked the same
    // thing again within 30 s, an implicit retry (reward 0; settled at once: REFIT_SETTLE_MS 0).
    // The state's total: the local timer may have folded some of them in an earlier run.
    expect(summary.total).toBe(5);
    const dry = await eventually(async () => {
      const r = await call<{ explanation: { learned: { events: number } } }>(
        'POST',
        `${stack.url}/v1/route`,
        stack.apiKey,
        {
          model: 'auto',
          messages: [{ role: 'user', content: SECRET }],
          max_tokens: 16,
        },
      );
      return r.body.explanation.learned.events === 5 ? r : undefined;
    });
    expect(dry.body.explanation.learned.events).toBe(5);
  });
});
