// The routing surface through the local stack: the dry-run plan and explanation
// (POST /v1/route), hints in the body and in headers, compliance and budget constraints, and
// non-LLM task invocations with a three-classifier majority vote (POST /v1/invocations).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ schedules: false, logLevel: 'ERROR', usagePlan: false });
});

afterAll(async () => {
  await stack?.stop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: assertions below read arbitrary JSON answers
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Summarise the quarterly report.' }],
  ...extra,
});

describe('POST /v1/route', () => {
  it('returns the plan and its explanation in the documented shape, invoking nothing', async () => {
    const before = stack.sim.list().reduce((n, e) => n + stack.sim.stats(e.id).requests, 0);
    const { status, body } = await post('/v1/route', chat('auto'));
    expect(status).toBe(200);
    expect(body.plan.primary).toEqual(
      expect.objectContaining({ endpoint: expect.any(String), model: expect.any(String), version: 'v1' }),
    );
    expect(Array.isArray(body.plan.fallbacks)).toBe(true);
    // Endpoint addresses and key references are not shown to consumers.
    expect(body.plan.primary.target).toBeUndefined();
    expect(JSON.stringify(body)).not.toMatch(/http:\/\/|switchyard-llama-3-8b/);
    expect(body.plan.deadline_ms).toBe(20000);
    expect(body.explanation.strategy).toBe('weighted');
    expect(body.explanation.candidates[0]).toEqual(
      expect.objectContaining({
        endpoint: expect.any(String),
        model: expect.any(String),
        score: expect.any(Number),
        parts: expect.objectContaining({ quality: expect.any(Number), cost: expect.any(Number) }),
      }),
    );
    expect(body.explanation.excluded).toContainEqual(
      expect.objectContaining({
        endpoint: 'gpu-old-llama-8b',
        rule: 'endpoint-state',
        reason: expect.any(String),
      }),
    );
    const after = stack.sim.list().reduce((n, e) => n + stack.sim.stats(e.id).requests, 0);
    expect(after).toBe(before);
  });

  it('takes hints from headers as well as the body', async () => {
    const viaHeader = await post('/v1/route', chat('llama-3-8b'), { 'x-switchyard-region': 'eu-west-1' });
    expect(viaHeader.body.plan.primary.endpoint).toBe('gpu-b-llama-8b');
    expect(viaHeader.body.plan.fallbacks).toEqual([]);
    const viaBody = await post('/v1/route', chat('llama-3-8b', { 'x-switchyard': { region: 'eu-west-1' } }));
    expect(viaBody.body.plan.primary.endpoint).toBe('gpu-b-llama-8b');
    const research = await post('/v1/route', chat('auto'), { 'x-team': 'research' });
    expect(research.body.plan.policy).toBe('auto-research');
  });

  it('sends phi only to a HIPAA-eligible model, and says which rule emptied the set otherwise', async () => {
    const ok = await post('/v1/route', chat('medical', { 'x-switchyard': { data_classification: 'phi' } }));
    expect(ok.body.plan.primary.model).toBe('med-llm');
    const refused = await post('/v1/route', chat('auto', { 'x-switchyard': { data_classification: 'phi' } }));
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('no_candidate');
    expect(refused.body.error.message).toMatch(/data-classification/);
  });

  it('holds a request to its cost cap', async () => {
    const { status, body } = await post(
      '/v1/route',
      chat('auto', { max_tokens: 4000, 'x-switchyard': { max_cost_usd: 0.000001 } }),
    );
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/max-cost/);
  });

  it('rejects a malformed hint with a 400 naming the header', async () => {
    const { status, body } = await post('/v1/route', chat('auto'), { 'x-switchyard-max-cost-usd': 'lots' });
    expect(status).toBe(400);
    expect(body.error.param).toBe('x-switchyard-max-cost-usd');
  });
});

describe('POST /v1/invocations', () => {
  it('routes a sentiment task and returns the classifier output', async () => {
    const { status, headers, body } = await post('/v1/invocations', {
      model: 'sentiment-bert',
      task: 'sentiment',
      payload: { text: 'great service' },
    });
    expect(status).toBe(200);
    expect(headers.get('x-switchyard-endpoint')).toBe('sm-sentiment');
    expect(body.object).toBe('invocation');
    expect(body.output).toEqual(expect.objectContaining({ label: expect.any(String) }));
  });

  it('fans a long text out to three classifiers and returns the majority label', async () => {
    const text =
      'The delivery was late but the support team was wonderful and fixed everything quickly. '.repeat(2);
    const { status, headers, body } = await post('/v1/invocations', {
      model: 'classify',
      task: 'sentiment',
      payload: { text },
    });
    expect(status).toBe(200);
    expect(headers.get('x-switchyard-ensemble')).toMatch(/^majority-vote; /);
    expect(body.ensemble.members).toHaveLength(3);
    expect(new Set(body.ensemble.members.map((m: { endpoint: string }) => m.endpoint))).toEqual(
      new Set(['sm-sentiment', 'sm-sentiment-distil', 'gpu-sentiment-roberta']),
    );
    expect(headers.get('x-switchyard-attempts')).toBe('3');
  });

  it('answers a bad invocation body with a 400 naming the field', async () => {
    const { status, body } = await post('/v1/invocations', { task: 'sentiment' });
    expect(status).toBe(400);
    expect(body.error.param).toBe('payload');
  });
});
