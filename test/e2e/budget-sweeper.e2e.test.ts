// The budget engine in the local stack: the Budgets table comes from the stateful template (with
// its open-periods index), the sweeper function from the stateless one, on the template's
// schedule. A router container that leased budget and died leaves its lease; the sweeper settles
// it at its full amount once it expires, closes the ended period, and a second run changes nothing.
import { BudgetLeases, DynamoDbBudgetStore } from '@switchyard/adapters';
import type { BudgetSpec } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { localClients, named, runBudgetSweeper } from '../support/local-stack.helpers.ts';

let stack: LocalStack;
let aws: ReturnType<typeof localClients>;
let store: DynamoDbBudgetStore;

beforeAll(async () => {
  stack = await startLocalStack({ schedules: false, logLevel: 'ERROR' });
  aws = localClients(stack);
  store = new DynamoDbBudgetStore({ client: aws.doc, tableName: named(stack.resources.tables, 'budgets') });
});

afterAll(async () => {
  aws?.destroy();
  await stack?.stop();
});

describe('budget sweeper on its schedule', () => {
  it('is scheduled every minute from the template', () => {
    const schedule = stack.scheduler.schedules.find((s) => s.ruleLogicalId.startsWith('BudgetSweeper'));
    expect(schedule?.intervalMs).toBe(60_000);
    expect(schedule?.functionLogicalId).toMatch(/^BudgetSweeperFunction/);
  });

  it("settles a dead router's lease at its full amount after it expires, closes ended periods, once", async () => {
    // A tokens-per-minute budget whose minute is over by the time the sweeper runs.
    let now = Date.now() - 5 * 60_000;
    const spec: BudgetSpec = { unit: 'tokens', period: 'minute', limit: 500_000 };
    const router = new BudgetLeases({ store, holder: 'dead-router', now: () => now });
    const reservation = await router.reserve('e2e-tenant', spec, 1_000);
    if (!reservation.ok) throw new Error(`refused: ${reservation.reason}`);
    reservation.settle(400);
    router.stop(); // dies before returning its lease of 8,000 tokens
    now += 60_000;
    const key = { tenant: 'e2e-tenant', budget: 'tokens-minute', period: reservation.period };
    expect(Object.values((await store.getPeriod(key))?.leases ?? {})).toEqual([
      { amount: 8_000, expires_at: now, holder: 'dead-router' },
    ]);

    const first = (await runBudgetSweeper(stack)) as { settled_leases: number; settled: { tokens: number } };
    expect(first).toMatchObject({ settled_leases: 1, settled: { tokens: 8_000 }, closed: 1, failed: 0 });
    const swept = await store.getPeriod(key);
    expect(swept?.spent).toBe(8_000);
    expect(swept?.available).toBe(492_000);
    expect(swept?.leases).toEqual({});
    expect(swept?.open).toBe(false);
    expect(await runBudgetSweeper(stack)).toMatchObject({ periods: 0, settled_leases: 0, closed: 0 });
    expect((await store.getPeriod(key))?.spent).toBe(8_000);
  });
});
