// Request understanding through the local stack (registry.example.yaml, policy `smart` with
// `infer: [task, domain]`): a legal question with no hints is served by the legal model, buffered
// and streamed; the dry run shows the features and the rule that used them (and no prompt text);
// a caller's domain hint wins over what the prompt says; a condition policy takes finance prompts.
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
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

const LEGAL = 'What is the statute of limitations for a breach of contract claim in California?';
const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'smart',
  messages: [{ role: 'user', content }],
  ...extra,
});

describe('request understanding', () => {
  it('routes a legal question with no hints to the legal model', async () => {
    const before = stack.sim.stats('gpu-legal').requests;
    const { status, headers, text } = await post('/v1/chat/completions', chat(LEGAL));
    expect(status).toBe(200);
    expect(headers.get('x-switchyard-policy')).toBe('smart');
    expect(headers.get('x-switchyard-model')).toBe('legal-13b@v1');
    expect(headers.get('x-switchyard-endpoint')).toBe('gpu-legal');
    expect(JSON.parse(text).model).toBe('legal-13b');
    expect(stack.sim.stats('gpu-legal').requests).toBe(before + 1);
  });

  it('routes the same question streamed to the legal model', async () => {
    const { status, headers, text } = await post('/v1/chat/completions', chat(LEGAL, { stream: true }));
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(headers.get('x-switchyard-endpoint')).toBe('gpu-legal');
    expect(text).toMatch(/data: \[DONE\]/);
  });

  it('the dry run shows the features and which rule used them, and no prompt text', async () => {
    const { status, text } = await post('/v1/route', chat(LEGAL));
    expect(status).toBe(200);
    const { plan, explanation } = JSON.parse(text);
    expect(plan.primary.endpoint).toBe('gpu-legal');
    expect(explanation.understanding).toEqual({
      features: {
        // 80 characters at 4 a token + 4 for the message + 3 for the reply.
        tokens: 27,
        chars: 80,
        turns: 1,
        script: 'latin',
        language: 'en',
        code: 0,
        math: 0,
        questions: 1,
        steps: 0,
        tasks: { question: 0.632 },
        task: 'question',
        domains: { legal: 1, medical: 0, finance: 0 },
        domain: 'legal',
        complexity: 0.152,
      },
      inferred: { domain: 'legal' },
      used: [{ rule: 'infer', features: ['domain'], detail: 'domain "legal" (1)' }],
    });
    expect(explanation.excluded).toContainEqual(
      expect.objectContaining({ model: 'llama-3-8b', rule: 'domain' }),
    );
    expect(text).not.toMatch(/statute|California/);
  });

  it("a caller's domain hint wins over what the prompt says", async () => {
    const { status, headers } = await post('/v1/chat/completions', chat(LEGAL), {
      'x-switchyard-domain': 'medical',
    });
    expect(status).toBe(200);
    expect(headers.get('x-switchyard-model')).toBe('med-llm@v1');
  });

  it('a condition policy (when: { domain: finance }) takes a finance prompt', async () => {
    const { status, text } = await post(
      '/v1/route',
      chat('How did EBITDA and the dividend change this year?'),
    );
    expect(status).toBe(200);
    const { plan, explanation } = JSON.parse(text);
    expect(plan.policy).toBe('smart-finance');
    expect(plan.primary.model).toBe('llama-3-70b');
    expect(explanation.understanding.used).toEqual([
      { rule: 'match', features: ['domain'], detail: 'policy "smart-finance": domain = finance' },
    ]);
  });

  it('other aliases are not changed by what the prompt says', async () => {
    const { status, text } = await post('/v1/route', { ...chat(LEGAL), model: 'auto' });
    expect(status).toBe(200);
    const { plan, explanation } = JSON.parse(text);
    expect(plan.policy).toBe('auto');
    expect(plan.primary.model).toMatch(/^llama-3-/);
    expect(explanation.understanding.used).toEqual([]);
  });
});
