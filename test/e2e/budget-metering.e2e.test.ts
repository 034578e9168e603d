// Budgets and metering under concurrency, against one local stack: a tenant whose monthly budget
// covers about 50 requests sends 200 at once over four keys (the usage plan's throttle is off:
// every refusal must be the budget's). The settled spend never exceeds the limit and equals what
// the served answers were charged; every refusal is a 429 insufficient_quota; the tenant's usage records are exactly
// the served requests, their costs summing to the x-switchyard-cost-usd headers. Then again with
// the router container killed mid-batch: its in-flight requests fail, its lease is left behind,
// the sweeper settles that lease at its full amount once it expires, and still nothing is
// overspent and every served answer is metered once. And again with streams.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbBudgetStore, DynamoDbUsageStore } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import { localClients, named, registryFile, runBudgetSweeper } from '../support/local-stack.helpers.ts';

// One model: $0.002 / $0.003 per 1K prompt / completion tokens. "Hello" is 9 estimated prompt
// tokens; with max_tokens 10 a request may cost up to 9 x 0.002/1K + 10 x 0.003/1K = $0.000048,
// and the simulated answer ("[ep-meter] echo: Hello", 6 tokens) costs $0.000036.
const REGISTRY = `
models:
  - { id: meter-a, version: v1, tasks: [chat], context_window: 8192, cost: { input_per_1k: 0.002, output_per_1k: 0.003 }, quality: { chat: 0.9 }, regions: [us-east-1] }
endpoints:
  - { id: ep-meter, model: meter-a, version: v1, kind: openai-http, target: "http://ep-meter.internal/v1", region: us-east-1 }
policies:
  - { name: auto, match: { model: auto }, strategy: quality-first }
local:
  defaults: { latency_ms: 15, jitter_ms: 5, error_rate: 0 }
`;
/** $0.0018: 37 requests at their maximum, 50 at what they cost. */
const LIMIT_USD = 0.0018;
const LIMIT_NANOS = 1_800_000;

let stack: LocalStack;
let aws: ReturnType<typeof localClients>;
let usage: DynamoDbUsageStore;
let budgets: DynamoDbBudgetStore;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    logLevel: 'SILENT',
    // The edge's usage-plan throttle (per key and tier; edge e2e tests cover it) stays out of the
    // way: every refusal here must come from the budget.
    usagePlan: false,
    // Leases live 1.2 s, so a dead router's lease is the sweeper's within the test.
    env: { BUDGET_LEASE_TTL_MS: '1200', TENANT_CACHE_TTL_MS: '0' },
  });
  aws = localClients(stack);
  usage = new DynamoDbUsageStore({ client: aws.doc, tableName: named(stack.resources.tables, 'usage') });
  budgets = new DynamoDbBudgetStore({ client: aws.doc, tableName: named(stack.resources.tables, 'budgets') });
});

afterAll(async () => {
  aws?.destroy();
  await stack?.stop();
});

/** A tenant with the budget and four keys. */
async function tenantWithBudget(tenant: string, limitUsd = LIMIT_USD): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < 4; i++) keys.push(await stack.addConsumerKey(tenant));
  await aws.doc.send(
    new UpdateCommand({
      TableName: named(stack.resources.tables, 'tenants'),
      Key: { id: tenant },
      UpdateExpression: 'SET #b = :b, updated_at = :u',
      ExpressionAttributeNames: { '#b': 'budget' },
      ExpressionAttributeValues: { ':b': { limit_usd: limitUsd, period: 'month' }, ':u': Date.now() },
    }),
  );
  return keys;
}

interface Answer {
  status: number;
  requestId: string;
  cost?: string;
  code?: string;
  message?: string;
}

async function send(key: string): Promise<Answer> {
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 10 }),
  });
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  return {
    status: res.status,
    requestId: res.headers.get('x-amzn-requestid') ?? '',
    ...(res.headers.get('x-switchyard-cost-usd')
      ? { cost: res.headers.get('x-switchyard-cost-usd') as string }
      : {}),
    ...(body.error ? { code: body.error.code, message: body.error.message } : {}),
  };
}

/** A header's USD amount in nano-USD, from its digits (9 decimals, no float rounding). */
const nanos = (usd: string) => {
  const [whole = '', fraction = ''] = usd.split('.');
  return Number(whole) * 1_000_000_000 + Number(fraction.padEnd(9, '0'));
};
const monthKey = (tenant: string) => ({
  tenant,
  budget: 'usd-month',
  period: new Date().toISOString().slice(0, 7),
});

/** Runs the sweeper until the tenant's period holds no lease; resolves to the period. */
async function settledPeriod(tenant: string) {
  return eventually(
    async () => {
      await runBudgetSweeper(stack);
      const p = await budgets.getPeriod(monthKey(tenant));
      return p && Object.keys(p.leases).length === 0 ? p : undefined;
    },
    { what: `every lease of ${tenant} settled`, timeoutMs: 15_000 },
  );
}

describe('a budget under 200 concurrent requests', () => {
  it('never overspends; refusals are insufficient_quota; usage records are the served requests', async () => {
    const tenant = 'budget-200';
    const keys = await tenantWithBudget(tenant);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => send(keys[i % 4] as string)));

    const served = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(served.length + refused.length).toBe(200);
    expect(served.length).toBeGreaterThanOrEqual(37);
    expect(served.length).toBeLessThanOrEqual(50);
    expect(served.every((a) => a.cost === '0.000036000')).toBe(true);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.code).toBe('insufficient_quota');
      expect(r.message).toMatch(/monthly budget of \$0\.0018/);
    }
    const servedNanos = served.reduce((s, a) => s + nanos(a.cost ?? 'NaN'), 0);
    expect(servedNanos).toBeLessThanOrEqual(LIMIT_NANOS);

    // Every lease comes back (idle routers return theirs): spent is exactly what was charged.
    const period = await settledPeriod(tenant);
    expect(period.spent).toBe(servedNanos);
    expect(period.spent).toBeLessThanOrEqual(LIMIT_NANOS);
    expect(period.available).toBe(LIMIT_NANOS - servedNanos);

    const records = await usage.query(tenant, Date.now() - 3_600_000, Date.now() + 1);
    expect(records.map((r) => r.request_id).sort()).toEqual(served.map((a) => a.requestId).sort());
    expect(records.reduce((s, r) => s + r.cost_nanos, 0)).toBe(servedNanos);
    const byId = new Map(records.map((r) => [r.request_id, r]));
    for (const a of served) expect(byId.get(a.requestId)?.cost_nanos).toBe(nanos(a.cost ?? 'NaN'));
    expect(new Set(records.map((r) => r.key_id)).size).toBe(4);
    expect(
      records.every((r) => r.status === 'ok' && r.model === 'meter-a' && r.endpoint === 'ep-meter'),
    ).toBe(true);

    // The period is spent: the next request is refused before routing and leaves no record.
    const after = await send(keys[0] as string);
    expect(after).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect(await usage.query(tenant, Date.now() - 3_600_000, Date.now() + 1)).toHaveLength(records.length);
  });

  it('with the router killed mid-batch: the sweeper settles its lease in full, nothing is overspent', async () => {
    const tenant = 'budget-kill';
    const keys = await tenantWithBudget(tenant);
    // A first wave served by the container that will die: it holds a lease.
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => send(keys[i % 4] as string)));
    expect(first.map((a) => a.status)).toEqual(Array(10).fill(200));

    const batch = Array.from({ length: 190 }, (_, i) => send(keys[i % 4] as string));
    await eventually(() => stack.sim.stats('ep-meter').inflight >= 5 || undefined, {
      what: 'requests in flight',
    });
    await stack.runtime.restart(
      named(Object.fromEntries(stack.runtime.functions.map((f) => [f.logicalId, f.name])), 'router'),
    );
    const answers = [...first, ...(await Promise.all(batch))];

    const served = answers.filter((a) => a.status === 200);
    const killed = answers.filter((a) => a.status === 502);
    const refused = answers.filter((a) => a.status === 429);
    expect(served.length + killed.length + refused.length).toBe(200);
    expect(killed.length).toBeGreaterThanOrEqual(1);
    for (const r of refused) expect(r.code).toBe('insufficient_quota');

    const servedNanos = served.reduce((s, a) => s + nanos(a.cost ?? 'NaN'), 0);
    const period = await settledPeriod(tenant);
    // The dead container's lease was settled at its full amount: more than was charged, never more than the limit.
    expect(period.spent).toBeLessThanOrEqual(LIMIT_NANOS);
    expect(period.spent).toBeGreaterThan(servedNanos);

    const records = await usage.query(tenant, Date.now() - 3_600_000, Date.now() + 1);
    const byId = new Map(records.map((r) => [r.request_id, r]));
    for (const a of served) expect(byId.get(a.requestId)?.cost_nanos).toBe(nanos(a.cost ?? 'NaN'));
    // No record of a refused request; one per request id.
    const refusedIds = new Set(refused.map((a) => a.requestId));
    expect(records.filter((r) => refusedIds.has(r.request_id))).toEqual([]);
    expect(byId.size).toBe(records.length);
    const servedIds = new Set(served.map((a) => a.requestId));
    const killedIds = new Set(killed.map((a) => a.requestId));
    expect(records.every((r) => servedIds.has(r.request_id) || killedIds.has(r.request_id))).toBe(true);
  });

  it('with 200 concurrent streams: never overspends; each served stream is settled and metered once', async () => {
    const tenant = 'budget-streams';
    const keys = await tenantWithBudget(tenant);
    const stream = async (key: string) => {
      const res = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'auto',
          messages: [{ role: 'user', content: 'Hello' }],
          max_tokens: 10,
          stream: true,
        }),
      });
      return {
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        requestId: res.headers.get('x-amzn-requestid') ?? '',
        cost: res.headers.get('x-switchyard-cost-usd') ?? '',
        text: await res.text(),
      };
    };
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => stream(keys[i % 4] as string)));

    const served = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(served.length).toBeGreaterThanOrEqual(37);
    expect(served.length).toBeLessThanOrEqual(50);
    for (const a of served) {
      expect(a.type).toMatch(/^text\/event-stream/);
      // The header went before the body: the reservation. The actual charge ends the body.
      expect(a.cost).toBe('0.000048000');
      expect(a.text.endsWith(': x-switchyard-cost-usd 0.000036000\n\ndata: [DONE]\n\n')).toBe(true);
    }
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'insufficient_quota' } });
    }

    // Every stream's reservation is settled to its usage: spent is the records' sum, within the limit.
    const period = await settledPeriod(tenant);
    const records = await usage.query(tenant, Date.now() - 3_600_000, Date.now() + 1);
    expect(records.map((r) => r.request_id).sort()).toEqual(served.map((a) => a.requestId).sort());
    expect(records.every((r) => r.status === 'ok' && r.stream === true && r.ttft_ms !== undefined)).toBe(
      true,
    );
    expect(records.every((r) => r.cost_nanos === 36_000)).toBe(true);
    // The invariant for streams: the usage API's sum is the sum of the streams' trailing costs.
    const trailing = served.map((a) => /: x-switchyard-cost-usd (\S+)\n/.exec(a.text)?.[1] ?? 'NaN');
    expect(trailing.reduce((sum, c) => sum + nanos(c), 0)).toBe(
      records.reduce((sum, r) => sum + r.cost_nanos, 0),
    );
    expect(period.spent).toBe(records.reduce((sum, r) => sum + r.cost_nanos, 0));
    expect(period.spent).toBeLessThanOrEqual(LIMIT_NANOS);
  });

  it('a job is metered once, on the job route, keyed by its id', async () => {
    const key = await stack.addConsumerKey('job-meter');
    const res = await fetch(`${stack.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 10 }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = await eventually(
      async () => {
        const r = await fetch(`${stack.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } });
        const body = (await r.json()) as { status: string };
        return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
      },
      { what: `job ${id} final` },
    );
    expect(job.status).toBe('succeeded');
    const records = await usage.query('job-meter', Date.now() - 3_600_000, Date.now() + 1);
    expect(records.map((r) => [r.request_id, r.route, r.cost_nanos, r.status, r.endpoint])).toEqual([
      [id, 'job', 36_000, 'ok', 'ep-meter'],
    ]);
  });

  it('with 30 concurrent jobs against a budget for about 15: held at plan, settled at record, never overspent', async () => {
    // $0.0006: 12 jobs at their maximum ($0.000048), 16 at what they cost ($0.000036). (Fewer than
    // the requests above: every job is several writes on the one budget item, which dynalite
    // serializes slowly; the property is the same.)
    const tenant = 'budget-jobs';
    const limitNanos = 600_000;
    const keys = await tenantWithBudget(tenant, 0.0006);
    const submit = async (key: string) => {
      const res = await fetch(`${stack.url}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'auto',
          messages: [{ role: 'user', content: 'Hello' }],
          max_tokens: 10,
        }),
      });
      return {
        key,
        status: res.status,
        body: (await res.json()) as { id?: string; error?: { code: string } },
      };
    };
    const submitted = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(keys[i % 4] as string)));
    // Refused at accept only once settled spend leaves no room for a job's $0.000048.
    for (const s of submitted.filter((x) => x.status !== 202)) {
      expect(s.status).toBe(429);
      expect(s.body.error?.code).toBe('insufficient_quota');
    }
    const accepted = submitted.filter((x) => x.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(12);

    type Final = { id: string; status: string; error?: { code: string; message: string } };
    const finals = await Promise.all(
      accepted.map((a) =>
        eventually(
          async () => {
            const r = await fetch(`${stack.url}/v1/jobs/${a.body.id}`, {
              headers: { authorization: `Bearer ${a.key}` },
            });
            const body = (await r.json()) as Final;
            return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
          },
          { what: `job ${a.body.id} final`, timeoutMs: 180_000 },
        ),
      ),
    );
    const succeeded = finals.filter((f) => f.status === 'succeeded');
    const failed = finals.filter((f) => f.status === 'failed');
    expect(succeeded.length + failed.length).toBe(accepted.length);
    // 12 fit at their maximum; the settled cost lets at most 16 be served.
    expect(succeeded.length).toBeGreaterThanOrEqual(12);
    expect(succeeded.length).toBeLessThanOrEqual(16);
    // Failed only for the budget (any other failure shows its message).
    expect(failed.filter((f) => f.error?.code !== 'insufficient_quota').map((f) => f.error)).toEqual([]);
    for (const f of failed) expect(f.error?.message).toMatch(/monthly budget of \$0\.0006/);

    // Every hold settled to its job's charge: spent is exactly the served jobs' usage records.
    const period = await settledPeriod(tenant);
    const records = await usage.query(tenant, Date.now() - 3_600_000, Date.now() + 1);
    expect(records.map((r) => r.request_id).sort()).toEqual(succeeded.map((f) => f.id).sort());
    expect(records.every((r) => r.route === 'job' && r.cost_nanos === 36_000 && r.status === 'ok')).toBe(
      true,
    );
    expect(period.spent).toBe(36_000 * succeeded.length);
    expect(period.spent).toBeLessThanOrEqual(limitNanos);
    expect(period.available).toBe(limitNanos - period.spent);
    // The next job is accepted exactly when settled spend leaves room for its maximum.
    const next = await submit(keys[0] as string);
    expect(next.status).toBe(period.spent + 48_000 > limitNanos ? 429 : 202);
  }, 240_000);
});
