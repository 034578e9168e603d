// End to end through the local stack with the official `openai` client: API Gateway emulation,
// the authorizer, the router, the core, the adapters, DynamoDB/SQS/Step Functions stand-ins and
// simulated endpoints. Puts the serving endpoint down and sees the next request served elsewhere.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { openAiClient, setFault } from '../support/local-stack.helpers.ts';

let stack: LocalStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startLocalStack({
    schedules: false,
    logLevel: 'ERROR',
    retryIntervalOverrideMs: 5,
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0' },
  });
  client = openAiClient(stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe('local stack, end to end', () => {
  it('serves a chat completion through the openai client, with routing headers', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'llama-3-8b', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 16 })
      .withResponse();
    expect(data.choices[0]?.message.content).toContain('Hello there');
    expect(data.model).toBe('llama-3-8b');
    expect(response.headers.get('x-switchyard-model')).toBe('llama-3-8b@v1');
    expect(['sm-llama-8b', 'gpu-a-llama-8b', 'gpu-b-llama-8b']).toContain(
      response.headers.get('x-switchyard-endpoint'),
    );
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('keeps serving when the serving endpoint goes down: the next request goes elsewhere, no error', async () => {
    const first = await client.chat.completions
      .create({ model: 'llama-3-8b', messages: [{ role: 'user', content: 'first' }] })
      .withResponse();
    const serving = first.response.headers.get('x-switchyard-endpoint') as string;
    await setFault(stack, serving, 'down');
    try {
      for (let i = 0; i < 10; i++) {
        const next = await client.chat.completions
          .create({ model: 'llama-3-8b', messages: [{ role: 'user', content: `after ${i}` }] })
          .withResponse();
        expect(next.response.headers.get('x-switchyard-endpoint')).not.toBe(serving);
        expect(next.data.choices[0]?.message.content).toContain(`after ${i}`);
      }
    } finally {
      await setFault(stack, serving, 'ok');
    }
  });

  it('lists models and aliases for GET /v1/models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['llama-3-8b', 'llama-3-8b@v1', 'auto', 'support']));
  });

  it('rejects a missing or wrong key with 401 in the OpenAI error shape', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer sk-sy-wrong-key-0000000000' },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${stack.url}/v1/models`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { type: string; message: string; code: string | null } };
      expect(body.error.type).toBe('authentication_error');
      expect(body.error.message).toBeTruthy();
    }
    const viaHeader = await fetch(`${stack.url}/v1/models`, { headers: { 'x-api-key': stack.apiKey } });
    expect(viaHeader.status).toBe(200);
  });

  it('answers bad input with a 4xx naming the problem, never a 5xx', async () => {
    const bad = await client.chat.completions.create({ model: 'llama-3-8b', messages: [] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
    const unknown = await client.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const notJson = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { message: string } }).error.message).toMatch(
      /not valid JSON/,
    );
  });

  it('shows endpoints, traffic, decisions and cost on the local dashboard', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'dashboard' }] })
      .withResponse();
    const page = await fetch(`${stack.url}/_local/dashboard`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('/_local/state');
    const state = (await (await fetch(`${stack.url}/_local/state`)).json()) as {
      totals: { requests: number; cost_usd: number };
      endpoints: Array<{ id: string; served: number; fault: string }>;
      decisions: Array<{ endpoint?: string; model?: string; policy?: string; status: number }>;
    };
    expect(state.totals.requests).toBeGreaterThan(0);
    expect(state.totals.cost_usd).toBeGreaterThan(0);
    expect(state.endpoints.map((e) => e.id)).toEqual(
      expect.arrayContaining(['sm-llama-8b', 'gpu-a-llama-8b']),
    );
    const served = response.headers.get('x-switchyard-endpoint');
    expect(state.endpoints.find((e) => e.id === served)?.served).toBeGreaterThan(0);
    expect(state.decisions[0]).toEqual(
      expect.objectContaining({ endpoint: served, policy: 'auto', status: 200 }),
    );
  });
});
