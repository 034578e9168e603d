// The router's money steps, sequenced by the service over the in-memory budget and usage stores
// (both pass the stores' shared contracts): a request reserves the plan's maximum cost before
// anything is dispatched, settles to what the upstream used, and leaves exactly one usage record
// whose cost is the x-switchyard-cost-usd header; a refused request reaches no upstream and
// leaves no record; a budget-aware tenant is routed to a cheaper model as its budget runs low.
// Prices: big $0.01/$0.03 per 1K prompt/completion tokens, small $0.0005/$0.0015. "Hello" is 9
// estimated prompt tokens; max_tokens 100.
import { BudgetLeases, MemoryBudgetStore, MemoryUsageStore, UsageWriter } from '@switchyard/adapters';
import type { Caller } from '@switchyard/adapters/lambda';
import { describe, expect, it } from 'vitest';
import { RouterService } from '../../../functions/router/router.service.ts';
import type {
  InferenceClient,
  InferenceResult,
  PlanTarget,
  TenantBudgetConfig,
} from '../../../layers/core/src/index.ts';
import { InvalidRequestError, UpstreamError } from '../../../layers/core/src/index.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { compiled, endpoint, model, NO_HEALTH, NOW, policy } from '../core/fixtures.ts';

const registry = compiled({
  models: [
    model('big', { cost: { input_per_1k: 0.01, output_per_1k: 0.03 }, quality: { chat: 0.9 } }),
    model('small', { cost: { input_per_1k: 0.0005, output_per_1k: 0.0015 }, quality: { chat: 0.5 } }),
  ],
  endpoints: [endpoint('big-1', 'big'), endpoint('small-1', 'small')],
  policies: [policy('auto', { strategy: 'quality-first', fallback: { count: 1, mode: 'cross-model' } })],
});
const caller: Caller = { tenant: 'acme', role: 'consumer', key_id: 'key_1' };
const completion = { id: 'c1', object: 'chat.completion', choices: [] };
const MONTH = { tenant: 'acme', budget: 'usd-month', period: '1970-01' };

const chat = (over: Record<string, unknown> = {}) => ({
  model: 'auto',
  messages: [{ role: 'user', content: 'Hello' }],
  max_tokens: 100,
  ...over,
});

interface Setup {
  config?: TenantBudgetConfig;
  /** Spent before the test's requests, micro-USD. */
  spent?: number;
  answer?: (target: PlanTarget) => InferenceResult | Error;
  budgetsFail?: boolean;
  /** A defect after the plan ran (recording outcomes throws). */
  recordFails?: boolean;
}

async function setup(s: Setup = {}) {
  const clock = new ManualClock(NOW);
  const budgetStore = new MemoryBudgetStore();
  const usageStore = new MemoryUsageStore();
  const leases = new BudgetLeases({ store: budgetStore, holder: 'r1', now: clock.now, timers: clock });
  if (s.spent) {
    await budgetStore.openPeriod({
      ...MONTH,
      unit: 'usd_nanos',
      limit: 1_000_000_000,
      revision: 0,
      starts_at: 0,
      ends_at: 2_678_400_000,
    });
    await budgetStore.lease(MONTH, 'earlier', { amount: s.spent, expires_at: NOW + 60_000, holder: 'x' });
    await budgetStore.returnLease(MONTH, 'earlier', s.spent, s.spent);
  }
  const calls: Array<{ endpoint: string; reserved: number[] }> = [];
  const inference: InferenceClient = {
    invoke: async (target) => {
      calls.push({ endpoint: target.endpoint, reserved: leases.leases().map((l) => l.reserved) });
      const r = (
        s.answer ?? (() => ({ body: completion, usage: { prompt_tokens: 9, completion_tokens: 20 } }))
      )(target);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  const svc = new RouterService({
    registry: { get: async () => registry },
    health: { get: async () => NO_HEALTH },
    inference,
    recordOutcomes: async () => {
      if (s.recordFails) throw new Error('defect');
    },
    now: clock.now,
    random: () => 0.5,
    healthFreshMs: 90_000,
    money: {
      budgets: {
        get: async () => {
          if (s.budgetsFail) throw new Error('tenants table unreachable');
          return s.config ?? { budget: { limit_usd: 1, period: 'month' } };
        },
      },
      leases,
      usage: new UsageWriter({ store: usageStore, timers: clock }),
    },
  });
  const spent = async () => {
    await leases.flush();
    const p = await budgetStore.getPeriod(MONTH);
    return { spent: p?.spent, available: p?.available, leases: Object.keys(p?.leases ?? {}).length };
  };
  const tokensSpent = async () => {
    await leases.flush();
    const key = { tenant: 'acme', budget: 'tokens-minute', period: '1970-01-01T00:16Z' };
    return (await budgetStore.getPeriod(key))?.spent;
  };
  return {
    svc,
    calls,
    usage: () => usageStore.query('acme', 0, 9_999_999_999_999),
    spent,
    tokensSpent,
    leases,
    budgetStore,
  };
}

describe('reserve, settle, meter on a served request', () => {
  it("reserves the plan's most expensive target before dispatch, settles to the usage, writes one record", async () => {
    const t = await setup();
    const out = await t.svc.chat(chat(), {}, caller, { request_id: 'req-1' });
    // big: 9 x 0.01/1K + 100 x 0.03/1K = $0.00309 reserved (the fallback, small, would cost less).
    expect(t.calls).toEqual([{ endpoint: 'big-1', reserved: [3_090_000] }]);
    // 9 x 0.01/1K + 20 x 0.03/1K = $0.00069 charged.
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.000690000');
    expect(await t.usage()).toEqual([
      {
        tenant: 'acme',
        key_id: 'key_1',
        request_id: 'req-1',
        route: 'chat',
        model: 'big',
        model_version: 'v1',
        endpoint: 'big-1',
        prompt_tokens: 9,
        completion_tokens: 20,
        cost_nanos: 690_000,
        cost_usd: 0.00069,
        latency_ms: 0,
        attempts: 1,
        status: 'ok',
        at: NOW,
      },
    ]);
    expect(await t.spent()).toEqual({ spent: 690_000, available: 999_310_000, leases: 0 });
  });

  it('without max_tokens reserves what the context window leaves after the prompt', async () => {
    const t = await setup();
    await t.svc.chat(chat({ max_tokens: undefined }), {}, caller, { request_id: 'req-2' });
    // big: 9 x 0.01/1K + (8192 - 9) x 0.03/1K = $0.24558.
    expect(t.calls[0]?.reserved).toEqual([245_580_000]);
  });

  it('a fallback that serves is charged at its own prices; the failed primary costs nothing', async () => {
    const t = await setup({
      answer: (target) =>
        target.endpoint === 'big-1'
          ? new UpstreamError('server', 'HTTP 500')
          : { body: completion, usage: { prompt_tokens: 9, completion_tokens: 20 } },
    });
    const out = await t.svc.chat(chat(), {}, caller, { request_id: 'req-3' });
    // 9 x 0.0005/1K + 20 x 0.0015/1K = $0.0000345, exact in nano-dollars.
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.000034500');
    expect((await t.usage()).map((r) => [r.endpoint, r.cost_nanos, r.attempts, r.status])).toEqual([
      ['small-1', 34_500, 2, 'ok'],
    ]);
    expect((await t.spent()).spent).toBe(34_500);
  });

  it('a request that reached upstreams and failed leaves one error record at no cost, and releases', async () => {
    const t = await setup({ answer: () => new UpstreamError('server', 'HTTP 500') });
    await expect(t.svc.chat(chat(), {}, caller, { request_id: 'req-4' })).rejects.toMatchObject({
      status: 502,
    });
    expect(
      (await t.usage()).map((r) => [r.endpoint, r.cost_nanos, r.attempts, r.status, r.completion_tokens]),
    ).toEqual([['small-1', 0, 2, 'error', 0]]);
    expect(await t.spent()).toEqual({ spent: 0, available: 1_000_000_000, leases: 0 });
  });

  it('a defect after dispatch still gives the reservation back (nothing stays held)', async () => {
    const t = await setup({ recordFails: true });
    await expect(t.svc.chat(chat(), {}, caller, { request_id: 'req-d' })).rejects.toThrow('defect');
    expect(t.leases.leases().map((l) => l.reserved)).toEqual([0]);
    expect(await t.spent()).toEqual({ spent: 0, available: 1_000_000_000, leases: 0 });
  });

  it('n choices reserve n times the output', async () => {
    const withN = compiled({
      models: [model('big', { cost: { input_per_1k: 0.01, output_per_1k: 0.03 }, quality: { chat: 0.9 } })],
      endpoints: [endpoint('big-1', 'big', { supports_n: true })],
      policies: [policy('auto', { strategy: 'quality-first' })],
    });
    const t = await setup();
    (t.svc as unknown as { deps: { registry: { get: () => Promise<unknown> } } }).deps.registry = {
      get: async () => withN,
    };
    await t.svc.chat(chat({ n: 2 }), {}, caller, { request_id: 'req-n' });
    // 9 x 0.01/1K + 2 x 100 x 0.03/1K = $0.00609
    expect(t.calls).toEqual([{ endpoint: 'big-1', reserved: [6_090_000] }]);
  });

  it('a request that never reached an upstream leaves no record', async () => {
    const t = await setup({ answer: () => new InvalidRequestError('bad tool schema') });
    await expect(t.svc.chat(chat(), {}, caller, { request_id: 'req-5' })).rejects.toMatchObject({
      status: 400,
    });
    expect(await t.usage()).toEqual([]);
    expect((await t.spent()).spent).toBe(0);
  });

  it('an invocation is metered on the invocation route', async () => {
    const inv = compiled({
      models: [model('cls', { tasks: ['classification'], cost: { per_call: 0.002 } })],
      endpoints: [endpoint('cls-1', 'cls', { kind: 'sagemaker', target: 'cls-endpoint' })],
      policies: [],
    });
    const t = await setup({ answer: () => ({ body: { label: 'x' } }) });
    (t.svc as unknown as { deps: { registry: { get: () => Promise<unknown> } } }).deps.registry = {
      get: async () => inv,
    };
    const out = await t.svc.invoke({ task: 'classification', payload: { text: 'hi' } }, {}, caller, {
      request_id: 'inv-1',
    });
    expect(out.headers['x-switchyard-cost-usd']).toBe('0.002000000');
    expect((await t.usage()).map((r) => [r.route, r.model, r.cost_nanos, r.prompt_tokens])).toEqual([
      ['invocation', 'cls', 2_000_000, 0],
    ]);
  });
});

describe('refusals', () => {
  it('a reservation the budget cannot hold is a 429 insufficient_quota naming the budget and its reset; no upstream, no record', async () => {
    const t = await setup({ spent: 999_000_000 });
    const err = await t.svc.chat(chat(), {}, caller, { request_id: 'req-6' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 429,
      code: 'insufficient_quota',
      message:
        'The monthly budget of $1.00 is exhausted: $0.001 is left in period 1970-01 and this request may ' +
        'cost up to $0.00309. It resets at 1970-02-01T00:00:00.000Z.',
    });
    expect(t.calls).toEqual([]);
    expect(await t.usage()).toEqual([]);
    expect(await t.spent()).toEqual({ spent: 999_000_000, available: 1_000_000, leases: 0 });
  });

  it('exactly what is left is served', async () => {
    // 3,090 left: the reservation fits exactly.
    const t = await setup({ spent: 996_910_000 });
    await t.svc.chat(chat(), {}, caller, { request_id: 'req-7' });
    expect(await t.spent()).toEqual({ spent: 997_600_000, available: 2_400_000, leases: 0 });
  });

  it('a tokens-per-minute limit reserves prompt plus max_tokens the same way (429 rate_limit_exceeded)', async () => {
    const t = await setup({ config: { rate_limits: { tokens_per_minute: 108 } } });
    await expect(t.svc.chat(chat(), {}, caller, { request_id: 'req-8' })).rejects.toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
    });
    expect(t.calls).toEqual([]);
    const ok = await setup({ config: { rate_limits: { tokens_per_minute: 109 } } });
    await ok.svc.chat(chat(), {}, caller, { request_id: 'req-9' });
    expect(ok.calls.map((c) => c.reserved)).toEqual([[109]]);
  });

  it('a requests-per-minute limit holds one per request: the limit-th is served, the next is a 429', async () => {
    const t = await setup({ config: { rate_limits: { requests_per_minute: 2 } } });
    await t.svc.chat(chat(), {}, caller, { request_id: 'req-r1' });
    await t.svc.chat(chat(), {}, caller, { request_id: 'req-r2' });
    expect(t.calls.map((c) => c.reserved)).toEqual([[1], [1]]);
    const refused = t.svc.chat(chat(), {}, caller, { request_id: 'req-r3' });
    await expect(refused).rejects.toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    await expect(refused).rejects.toThrow(/limit of 2 requests per minute is used up/);
    expect(t.calls).toHaveLength(2);
    expect((await t.usage()).map((r) => r.request_id)).toEqual(['req-r1', 'req-r2']);
  });

  it('tokens per minute settle to the reported usage, or to what was reserved when none is reported', async () => {
    const reported = await setup({ config: { rate_limits: { tokens_per_minute: 1_000 } } });
    await reported.svc.chat(chat(), {}, caller, { request_id: 'req-t1' });
    expect(await reported.tokensSpent()).toBe(29);
    const silent = await setup({
      config: { rate_limits: { tokens_per_minute: 1_000 } },
      answer: () => ({ body: completion }),
    });
    await silent.svc.chat(chat(), {}, caller, { request_id: 'req-t2' });
    expect(await silent.tokensSpent()).toBe(109);
  });

  it('a tenant whose budgets cannot be read is not served unmetered (503, nothing dispatched)', async () => {
    const t = await setup({ budgetsFail: true });
    await expect(t.svc.chat(chat(), {}, caller, { request_id: 'req-10' })).rejects.toMatchObject({
      status: 503,
      code: 'budget_unavailable',
    });
    expect(t.calls).toEqual([]);
    expect(await t.usage()).toEqual([]);
  });

  it('a tenant without budgets is served and still metered', async () => {
    const t = await setup({ config: {} });
    await t.svc.chat(chat(), {}, caller, { request_id: 'req-11' });
    expect(t.calls).toEqual([{ endpoint: 'big-1', reserved: [] }]);
    expect((await t.usage()).map((r) => r.cost_nanos)).toEqual([690_000]);
  });
});

describe('budget-aware degrade', () => {
  const degrading: TenantBudgetConfig = { budget: { limit_usd: 1, period: 'month', degrade: true } };

  it('below 20% left the cost cap (1% of what is left) routes to the cheaper model, and says so', async () => {
    const t = await setup({ config: degrading, spent: 850_000_000 });
    const plan = (await t.svc.dryRun(chat(), {}, caller)) as { explanation: { budget: unknown } };
    expect(plan.explanation.budget).toEqual({
      cap_usd: 0.0015,
      remaining_share: 0.15,
      applied: true,
      reason: 'budget low: 15.0% left ($0.15 of $1.00), per-request cost cap $0.0015',
    });
    const out = await t.svc.chat(chat(), {}, caller, { request_id: 'req-12' });
    expect(out.headers['x-switchyard-model']).toBe('small@v1');
    expect(out.headers['x-switchyard-route-reason']).toBe(
      'quality-first; primary; 1 candidates, 1 excluded; budget low: 15.0% left ($0.15 of $1.00), ' +
        'per-request cost cap $0.0015',
    );
    // The next request sees what this one was charged: 150,000,000 - 34,500 nano-USD left, a cap of 1,499,655.
    const next = (await t.svc.dryRun(chat(), {}, caller)) as { explanation: { budget: { cap_usd: number } } };
    expect(next.explanation.budget.cap_usd).toBe(0.001499655);
  });

  it('at exactly 20% left there is no cap yet', async () => {
    const t = await setup({ config: degrading, spent: 800_000_000 });
    const out = await t.svc.chat(chat(), {}, caller, { request_id: 'req-13' });
    expect(out.headers['x-switchyard-model']).toBe('big@v1');
    expect(out.headers['x-switchyard-route-reason']).toBe('quality-first; primary; 2 candidates, 0 excluded');
  });

  it('without the degrade option a low budget changes nothing', async () => {
    const t = await setup({ spent: 850_000_000 });
    const out = await t.svc.chat(chat(), {}, caller, { request_id: 'req-14' });
    expect(out.headers['x-switchyard-model']).toBe('big@v1');
  });

  it('when nothing fits under the cap it routes without it, and the budget still refuses what it cannot hold', async () => {
    // 100,000 nano-dollars left: a cap of 1,000; small's maximum ($0.000155) is over it, and over what is left.
    const t = await setup({ config: degrading, spent: 999_900_000 });
    await expect(t.svc.chat(chat(), {}, caller, { request_id: 'req-15' })).rejects.toMatchObject({
      status: 429,
      code: 'insufficient_quota',
    });
    expect(t.calls).toEqual([]);
    const plan = (await t.svc.dryRun(chat(), {}, caller)) as {
      explanation: { budget: { applied: boolean; reason: string } };
    };
    expect(plan.explanation.budget.applied).toBe(false);
    expect(plan.explanation.budget.reason).toBe(
      'budget low: 0.0% left ($0.0001 of $1.00), per-request cost cap $0.000001; no eligible model under it, routed without it',
    );
  });
});
