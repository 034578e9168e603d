// The router's privacy step through RouterService, on an echoing upstream that records what it
// was sent: personal data under the secure default goes only to a model allowed for `pii` (or is
// a 400 when the policy has none); under a redacting policy or tenant the upstream sees typed
// placeholders and the caller its own values, buffered and streamed in 3-character pieces; a
// refusing policy is a 400 naming types and counts; the dry run and headers say types and
// counts; the tenant record's pii_action (read with its budgets) wins when stricter.
import { BudgetLeases, MemoryBudgetStore, MemoryUsageStore, UsageWriter } from '@switchyard/adapters';
import type { Caller } from '@switchyard/adapters/lambda';
import { describe, expect, it } from 'vitest';
import { RouterService } from '../../../functions/router/router.service.ts';
import type {
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  PiiAction,
  PlanTarget,
} from '../../../layers/core/src/index.ts';
import { SwitchyardError } from '../../../layers/core/src/index.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { compiled, endpoint, model, NO_HEALTH, NOW, policy } from '../core/fixtures.ts';

const CARD = '4111 1111 1111 1111';
const registry = compiled({
  models: [
    model('open', { tasks: ['chat', 'classification'], quality: { chat: 0.9 } }),
    model('private', {
      tasks: ['chat', 'classification'],
      quality: { chat: 0.5 },
      data_classifications: ['public', 'internal', 'pii'],
    }),
  ],
  endpoints: [endpoint('e-open', 'open'), endpoint('e-private', 'private')],
  policies: [
    policy('auto', { strategy: 'quality-first', fallback: { count: 1, mode: 'cross-model' } }),
    policy('public-only', { models: ['open'], strategy: 'quality-first' }),
    policy('redacted', { models: ['open'], strategy: 'quality-first', pii: { action: 'redact' } }),
    policy('strict', { strategy: 'quality-first', pii: { action: 'refuse' } }),
    { name: 'labels', match: { task: 'classification' }, models: ['open'], pii: { action: 'redact' } },
  ],
});
const caller: Caller = { tenant: 't1', role: 'consumer' };

const lastUser = (call: InferenceCall): string => {
  if (call.kind !== 'chat') return JSON.stringify(call.kind === 'invocation' ? call.payload : '');
  const m = (call.body.messages as Array<{ content?: unknown }>).at(-1);
  return typeof m?.content === 'string' ? m.content : '';
};

function service(tenantAction?: PiiAction) {
  const sent: Array<{ endpoint: string; call: InferenceCall }> = [];
  const clock = new ManualClock(NOW);
  const usage = new MemoryUsageStore();
  const inference: InferenceClient = {
    invoke: async (target: PlanTarget, call) => {
      sent.push({ endpoint: target.endpoint, call });
      if (call.kind === 'invocation') return { body: { echo: call.payload } };
      return {
        body: {
          id: 'x',
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: `echo: ${lastUser(call)}` },
              finish_reason: 'stop',
            },
          ],
        },
        usage: { prompt_tokens: 5, completion_tokens: 5 },
      };
    },
    async *stream(target: PlanTarget, call): AsyncGenerator<InferenceChunk> {
      sent.push({ endpoint: target.endpoint, call });
      const text = `echo: ${lastUser(call)}`;
      for (let i = 0; i < text.length; i += 3) yield { text: text.slice(i, i + 3) };
      yield { finish_reason: 'stop' };
    },
  };
  const svc = new RouterService({
    registry: { get: async () => registry },
    health: { get: async () => NO_HEALTH },
    inference,
    recordOutcomes: async () => {},
    now: clock.now,
    random: () => 0.5,
    healthFreshMs: 90_000,
    // The tenant record's pii_action comes with its budgets (none here: nothing is limited).
    money: {
      budgets: { get: async () => (tenantAction ? { pii_action: tenantAction } : undefined) },
      leases: new BudgetLeases({
        store: new MemoryBudgetStore(),
        holder: 'r1',
        now: clock.now,
        timers: clock,
      }),
      usage: new UsageWriter({ store: usage, timers: clock }),
    },
  });
  return { svc, sent, records: () => usage.query('t1', 0, NOW + 3_600_000) };
}

const chat = (model: string, content: string, stream = false) => ({
  model,
  messages: [{ role: 'user', content }],
  ...(stream ? { stream: true } : {}),
});

async function streamedText(stream: AsyncIterable<string> | undefined): Promise<string> {
  let sse = '';
  for await (const piece of stream ?? []) sse += piece;
  return sse
    .split('\n\n')
    .filter((e) => e.startsWith('data: {'))
    .map((e) => JSON.parse(e.slice(6)) as { choices: Array<{ delta?: { content?: string } }> })
    .map((c) => c.choices[0]?.delta?.content ?? '')
    .join('');
}

async function rejection(p: Promise<unknown>): Promise<SwitchyardError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SwitchyardError);
  return e as SwitchyardError;
}

describe('RouterService privacy step', () => {
  it('routes personal data by default only to a model allowed for pii, unredacted', async () => {
    const { svc, sent } = service();
    const res = await svc.chat(chat('auto', `pay with ${CARD}`), {}, caller);
    expect(res.headers['x-switchyard-endpoint']).toBe('e-private');
    expect(res.headers['x-switchyard-pii']).toBe('classify; 1 payment_card; classification pii');
    expect(sent.map((s) => [s.endpoint, lastUser(s.call)])).toEqual([['e-private', `pay with ${CARD}`]]);
    // Without personal data the better model serves, and no header.
    const clean = await svc.chat(chat('auto', 'pay with cash'), {}, caller);
    expect(clean.headers['x-switchyard-endpoint']).toBe('e-open');
    expect(clean.headers).not.toHaveProperty('x-switchyard-pii');
  });

  it('is a 400 when the policy has no model allowed for pii, and nothing is sent', async () => {
    const { svc, sent } = service();
    const e = await rejection(svc.chat(chat('public-only', `card ${CARD}`), {}, caller));
    expect(e.status).toBe(400);
    expect(e.code).toBe('no_candidate');
    expect(e.message).not.toContain('4111');
    expect(sent).toEqual([]);
  });

  it('redacts for the upstream and restores the answer under a redacting policy', async () => {
    const { svc, sent } = service();
    const res = await svc.chat(chat('redacted', `card ${CARD}, mail a@example.com`), {}, caller);
    expect(sent.map((s) => [s.endpoint, lastUser(s.call)])).toEqual([
      ['e-open', 'card [PAYMENT_CARD_1], mail [EMAIL_1]'],
    ]);
    expect(
      (res.body as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content,
    ).toBe(`echo: card ${CARD}, mail a@example.com`);
    expect(res.headers['x-switchyard-pii']).toBe('redact; 1 email, 1 payment_card');
  });

  it('restores a streamed answer whose placeholders arrive split over chunks', async () => {
    const { svc, sent } = service();
    const res = await svc.chat(chat('redacted', `card ${CARD}, mail a@example.com`, true), {}, caller);
    expect(lastUser(sent[0]?.call as InferenceCall)).toBe('card [PAYMENT_CARD_1], mail [EMAIL_1]');
    expect(res.headers['x-switchyard-pii']).toBe('redact; 1 email, 1 payment_card');
    expect(await streamedText(res.stream)).toBe(`echo: card ${CARD}, mail a@example.com`);
  });

  it("a tenant's redact setting wins over the default; usage records hold no value", async () => {
    const { svc, sent, records } = service('redact');
    await svc.chat(chat('auto', 'nothing personal'), {}, caller);
    expect(lastUser(sent[0]?.call as InferenceCall)).toBe('nothing personal');
    const res = await svc.chat(chat('auto', `card ${CARD}`), {}, caller);
    // Redacted, the request is no longer pii: the better model serves it, seeing a placeholder.
    expect(res.headers['x-switchyard-endpoint']).toBe('e-open');
    expect(lastUser(sent[1]?.call as InferenceCall)).toBe('card [PAYMENT_CARD_1]');
    expect(res.headers['x-switchyard-pii']).toBe('redact; 1 payment_card');
    const written = await records();
    expect(written).toHaveLength(2);
    expect(JSON.stringify(written)).not.toContain('4111');
  });

  it('a refusing policy is a 400 naming types and counts, and nothing is sent', async () => {
    const { svc, sent } = service();
    const e = await rejection(svc.chat(chat('strict', `SSN 219-45-6789, card ${CARD}`), {}, caller));
    expect(e.status).toBe(400);
    expect(e.code).toBe('personal_data_refused');
    expect(e.message).toBe(
      'The request contains personal data (1 payment_card, 1 us_ssn) and the policy refuses it: remove it, or use a policy that classifies or redacts it.',
    );
    expect(sent).toEqual([]);
    const t = service('refuse');
    expect((await rejection(t.svc.chat(chat('auto', `card ${CARD}`), {}, caller))).code).toBe(
      'personal_data_refused',
    );
  });

  it('redacts an invocation payload and restores its output', async () => {
    const { svc, sent } = service();
    const res = await svc.invoke(
      { task: 'classification', payload: { text: `from a@example.com` } },
      {},
      caller,
    );
    expect(sent[0]?.call).toEqual({
      kind: 'invocation',
      task: 'classification',
      payload: { text: 'from [EMAIL_1]' },
    });
    expect((res.body as { output: unknown }).output).toEqual({ echo: { text: 'from a@example.com' } });
  });

  it('the dry run explains the action with types and counts, never values', async () => {
    const { svc } = service();
    const out = (await svc.dryRun(chat('auto', `card ${CARD}`), {}, caller)) as {
      plan: { primary: { endpoint: string } };
      explanation: Record<string, unknown>;
    };
    expect(out.plan.primary.endpoint).toBe('e-private');
    expect(out.explanation.privacy).toEqual({
      action: 'classify',
      source: 'default',
      detected: { payment_card: 1 },
      classification: 'pii',
    });
    expect(JSON.stringify(out)).not.toContain('4111');
  });
});
