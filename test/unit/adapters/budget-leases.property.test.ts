// Property tests of the budget engine under arbitrary interleavings: several router containers
// (lease managers) share one store with DynamoDB's conditional semantics; fast-check's scheduler
// decides when each store write applies and when its answer arrives; store calls fail before or
// after applying; containers reserve, settle, release and crash; time jumps (idle returns,
// drains, extensions, period rollover) and the sweeper runs at any moment. Whatever happens:
//   - never over budget: after every store write, spent + outstanding leases <= limit, and
//     available = limit - spent - outstanding;
//   - inside a container, no lease ever holds more reservations and spend than its amount;
//   - never a lost settlement: at the end, once everything is returned or swept, what the store
//     charged for each returned lease (at its top-ups and its return) is exactly the actual costs
//     settled on it, and for each swept lease at least that (its full amount); spent is the sum;
//   - every refusal's reason is true of the state it names; every reservation call ends.

import {
  BudgetLeases,
  type BudgetReservation,
  MemoryBudgetStore,
  type ReserveResult,
} from '@switchyard/adapters';
import type { BudgetPeriod, BudgetSpec, BudgetStore } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sweepBudgets } from '../../../functions/budget-sweeper/budget-sweeper.service.ts';
import { interceptStore } from '../../support/budget-store.intercept.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const T0 = Date.parse('2026-11-24T10:31:00.000Z');
const CONTAINERS = 3;

type Fault = 'ok' | 'before' | 'after';

type Command =
  | { kind: 'reserve'; container: number; amount: number; steps: number }
  | { kind: 'reserveNow'; container: number; amounts: number[] }
  | { kind: 'settle'; pick: number; fraction: number }
  | { kind: 'release'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'crash'; container: number }
  | { kind: 'sweep' }
  | { kind: 'step'; tasks: number };

const arbCommand: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      container: fc.nat({ max: CONTAINERS - 1 }),
      amount: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 600 })),
      /** Store calls let through right after (0: the reservation stays in flight for now). */
      steps: fc.nat({ max: 8 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      pick: fc.nat(),
      fraction: fc.oneof(fc.constant(1), fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    }),
  },
  {
    // The router's synchronous path: all of these from the container's lease now, or none.
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('reserveNow' as const),
      container: fc.nat({ max: CONTAINERS - 1 }),
      amounts: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(1, 500, 1_999, 2_000, 10_000, 30_000, 50_000, 60_000),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('crash' as const), container: fc.nat({ max: CONTAINERS - 1 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('step' as const), tasks: fc.integer({ min: 1, max: 12 }) }),
  },
);

interface World {
  inner: MemoryBudgetStore;
  /** Leases the sweeper settled (applied in the store, whatever the caller heard). */
  swept: Map<string, number>;
  /** What the store charged per lease at top-ups and returns (applied, whatever the caller heard). */
  charged: Map<string, number>;
  violations: string[];
}

/** Checks the stored invariants after every write. */
function checkStore(world: World, after: string): void {
  for (const r of world.inner.records()) {
    const outstanding = Object.values(r.leases).reduce((s, l) => s + l.amount, 0);
    if (r.available !== r.limit - r.spent - outstanding) {
      world.violations.push(`${after}: available ${r.available} != ${r.limit} - ${r.spent} - ${outstanding}`);
    }
    if (r.spent + outstanding > r.limit) {
      world.violations.push(`${after}: over budget: spent ${r.spent} + leased ${outstanding} > ${r.limit}`);
    }
  }
}

/**
 * One caller's view of the shared store: each call applies when the scheduler lets it and
 * answers when it lets it again; a fault throws before or after applying; a dead caller's
 * calls in flight may still apply, but it never hears back.
 */
function view(world: World, s: fc.Scheduler, faults: () => Fault, dead: () => boolean): BudgetStore {
  return interceptStore(world.inner, async (method, args, call) => {
    if (dead()) return new Promise(() => undefined);
    await s.schedule(Promise.resolve(), `apply ${method}`);
    const fault = faults();
    if (fault === 'before') throw Object.assign(new Error('connection reset'), { name: 'NetworkError' });
    const result = await call();
    const id = String(args[1]);
    const charge = (n: number) => world.charged.set(id, (world.charged.get(id) ?? 0) + n);
    if (method === 'settleExpired' && result === true) world.swept.set(id, Number(args[2]));
    if (method === 'returnLease' && result === true) charge(Number(args[3]));
    if (method === 'topUpLease' && (result as { ok: boolean }).ok) charge((args[2] as { used: number }).used);
    checkStore(world, method);
    await s.schedule(Promise.resolve(), `reply ${method}`);
    if (dead()) return new Promise(() => undefined);
    if (fault === 'after') throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    return result;
  });
}

interface Held {
  reservation: BudgetReservation;
  life: { dead: boolean };
}

async function run(
  s: fc.Scheduler,
  period: BudgetPeriod,
  limit: number,
  commands: Command[],
  faultPlan: Fault[],
): Promise<void> {
  const clock = new ManualClock(T0);
  const world: World = {
    inner: new MemoryBudgetStore(),
    swept: new Map(),
    charged: new Map(),
    violations: [],
  };
  const spec: BudgetSpec = { unit: period === 'minute' ? 'tokens' : 'usd_nanos', period, limit };
  let faultIndex = 0;
  let faultsOn = true;
  const faults = (): Fault => (faultsOn ? (faultPlan[faultIndex++ % faultPlan.length] ?? 'ok') : 'ok');

  /** One life of a container: a crash ends it, the next reservation there starts another. */
  interface Life {
    dead: boolean;
    manager: BudgetLeases;
  }
  const lives: Life[] = [];
  let generation = 0;
  const start = (i: number) => {
    const life: Life = { dead: false, manager: undefined as unknown as BudgetLeases };
    life.manager = new BudgetLeases({
      store: view(world, s, faults, () => life.dead),
      holder: `c${i}g${++generation}`,
      now: clock.now,
      timers: clock,
    });
    lives[i] = life;
  };
  for (let i = 0; i < CONTAINERS; i++) start(i);

  const held: Held[] = [];
  /** Actual costs settled, by lease id. */
  const settled = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  const checkLocal = () => {
    for (const life of lives) {
      if (life.dead) continue;
      for (const l of life.manager.leases()) {
        if (l.reserved + l.used > l.amount) world.violations.push(`lease ${l.id} overcommitted`);
      }
    }
  };
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const onResult = (life: Life, amount: number) => (r: ReserveResult) => {
    if (r.ok) {
      held.push({ reservation: r, life });
      return;
    }
    const okReason =
      r.reason === 'exceeds-limit'
        ? amount > r.limit
        : r.reason === 'exhausted'
          ? amount > r.unspent && amount <= r.limit
          : amount > r.available && amount <= r.unspent;
    if (!okReason) world.violations.push(`refusal ${r.reason} untrue: ${JSON.stringify(r)}`);
  };
  const settle = (h: Held, actual: number | undefined) => {
    if (actual === undefined) h.reservation.release();
    else if (h.reservation.settle(actual) && h.reservation.lease_id !== undefined) {
      const id = h.reservation.lease_id;
      settled.set(id, (settled.get(id) ?? 0) + actual);
    }
  };

  const step = async (tasks: number) => {
    // Let up to `tasks` store calls apply or answer, including ones those start.
    for (let i = 0; i < tasks; i++) {
      await Promise.resolve();
      if (s.count() === 0) break;
      await s.waitNext(1);
    }
  };

  for (const c of commands) {
    switch (c.kind) {
      case 'reserve': {
        if (lives[c.container]?.dead) start(c.container);
        const life = lives[c.container] as Life;
        track(
          life.manager.reserve('acme', spec, c.amount).then(onResult(life, c.amount), (err: unknown) => {
            if (!(err instanceof Error && err.name === 'BudgetUnavailableError')) throw err;
          }),
        );
        await step(c.steps);
        break;
      }
      case 'reserveNow': {
        if (lives[c.container]?.dead) start(c.container);
        const life = lives[c.container] as Life;
        const set = life.manager.reserveAllNow(
          'acme',
          c.amounts.map((amount) => ({ spec, amount })),
        );
        if (set) {
          if (set.reservations.map((r) => r.amount).join() !== c.amounts.join()) {
            world.violations.push(`reserveAllNow answered ${set.reservations.length} of ${c.amounts.length}`);
          }
          for (const reservation of set.reservations) held.push({ reservation, life });
        }
        break;
      }
      case 'settle':
      case 'release': {
        const live = held.filter((h) => !h.life.dead);
        const h = live[c.pick % Math.max(1, live.length)];
        if (!h) break;
        held.splice(held.indexOf(h), 1);
        settle(h, c.kind === 'settle' ? Math.floor(c.fraction * h.reservation.amount) : undefined);
        break;
      }
      case 'advance':
        clock.advance(c.ms);
        break;
      case 'crash': {
        const life = lives[c.container] as Life;
        life.dead = true;
        life.manager.stop();
        // Its requests in flight die with it: their costs are covered by the lease's full amount.
        for (const h of held.filter((x) => x.life === life)) held.splice(held.indexOf(h), 1);
        break;
      }
      case 'sweep':
        track(
          sweepBudgets({ store: view(world, s, faults, () => false), now: clock.now }).then(
            () => undefined,
            () => undefined,
          ),
        );
        break;
      case 'step':
        await step(c.tasks);
        break;
    }
    checkLocal();
  }

  // The end: no more faults; every live request finishes, time passes, the sweeper runs, until
  // no lease is left anywhere.
  faultsOn = false;
  for (let round = 0; round < 8; round++) {
    await s.waitIdle();
    for (const h of held.splice(0)) if (!h.life.dead) settle(h, h.reservation.amount);
    await s.waitIdle();
    clock.advance(120_000);
    await s.waitIdle();
    track(sweepBudgets({ store: view(world, s, faults, () => false), now: clock.now }).then(() => undefined));
    await s.waitIdle();
    checkLocal();
    const outstanding = world.inner.records().some((r) => Object.keys(r.leases).length > 0);
    if (!outstanding && held.length === 0) break;
  }
  // Every reservation call of a live container has ended.
  await s.waitIdle();

  expect(world.violations).toEqual([]);
  const records = world.inner.records();
  expect(records.flatMap((r) => Object.keys(r.leases))).toEqual([]);
  let total = 0;
  for (const id of new Set([...settled.keys(), ...world.charged.keys(), ...world.swept.keys()])) {
    const actual = settled.get(id) ?? 0;
    const charged = (world.charged.get(id) ?? 0) + (world.swept.get(id) ?? 0);
    if (world.swept.has(id))
      expect(charged, `swept lease ${id} covers its requests`).toBeGreaterThanOrEqual(actual);
    else expect(charged, `lease ${id} charged exactly its settled costs`).toBe(actual);
    total += charged;
  }
  const spent = records.reduce((sum, r) => sum + r.spent, 0);
  expect(spent).toBe(total);
  expect(spent).toBeGreaterThanOrEqual([...settled.values()].reduce((a, b) => a + b, 0));
  for (const r of records) expect(r.spent).toBeLessThanOrEqual(r.limit);
}

describe('BudgetLeases: any interleaving, several containers, one store', () => {
  it('never over budget, never a lost settlement, refusals true, returns and sweeps idempotent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.constantFrom<BudgetPeriod>('month', 'minute'),
        fc.integer({ min: 50, max: 3_000 }),
        fc.array(arbCommand, { minLength: 1, maxLength: 120, size: 'large' }),
        fc.oneof(
          fc.constant<Fault[]>(['ok']),
          fc.array(fc.constantFrom<Fault>('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'before', 'after'), {
            minLength: 1,
            maxLength: 30,
          }),
        ),
        (s, period, limit, commands, faults) => run(s, period, limit, commands, faults),
      ),
      { numRuns: 300 },
    );
  });
});
