// Budget engine simulation: one tenant at 1,000 requests/s spread over many router containers
// (each a BudgetLeases, many concurrent requests per container as on Lambda Managed Instances,
// or few as on standard Lambda), all against one store with DynamoDB's conditional semantics
// (the in-memory BudgetStore that passes the same contract suite as the DynamoDB adapter), with
// a few ms of latency on every store call, the sweeper every minute, and virtual time (a minute
// of traffic simulates in about a second). Figures per scenario:
//   - overspend: the most that spent + outstanding leases ever exceeded the limit after any
//     store write, and what served requests cost beyond the limit (both must be 0);
//   - refusal rate, next to an oracle's on the same request stream (one central ledger that sees
//     every request at once: the least any reserve-then-settle scheme can refuse), and when each
//     first refused (near exhaustion, leases make refusals start earlier);
//   - store writes per second on the tenant's budget item (mean, max over 1-s windows), the
//     write capacity they cost (WCU: 1 per KB of the larger item image) and the item's size;
//   - stranded budget: what ends up counted as spent without having been used (the unused part
//     of leases the sweeper settled because their container crashed).
// Part of `npm run bench`; standalone:  npx tsx test/bench/budget.bench.ts [--json]
import { pathToFileURL } from 'node:url';
import { sweepBudgets } from '../../functions/budget-sweeper/budget-sweeper.service.ts';
import { BudgetLeases, MemoryBudgetStore, type Timers } from '../../layers/adapters/src/index.ts';
import type {
  BudgetKey,
  BudgetPeriodRecord,
  BudgetSpec,
  BudgetStore,
  LeasePolicy,
} from '../../layers/core/src/index.ts';
import { formatUsdNanos, seededRandom } from '../../layers/core/src/index.ts';
import { interceptStore } from '../support/budget-store.intercept.ts';
import { Reporter } from './reporter.ts';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
/** BudgetStore calls that only read; every other one is a write on the budget item. */
const READS: ReadonlySet<string> = new Set(['getPeriod', 'listPeriods', 'listOpen']);

// --- virtual time ----------------------------------------------------------------------------

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Timers on a virtual clock: `run(until)` fires them in order, letting promises settle between. */
class VirtualTime implements Timers {
  now = T0;
  #seq = 0;
  #heap: Timer[] = [];

  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.now + Math.max(0, ms), seq: ++this.#seq, fn, cancelled: false };
    this.#push(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    (handle as Timer).cancelled = true;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  async run(until: number): Promise<void> {
    for (;;) {
      const top = this.#heap[0];
      if (!top || top.at > until) break;
      this.now = top.at;
      // Everything due at this instant, then let the promise chains it started run.
      while (this.#heap[0] && (this.#heap[0] as Timer).at === this.now) {
        const t = this.#pop();
        if (!t.cancelled) t.fn();
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.now = until;
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!before(h[i] as Timer, h[p] as Timer)) break;
      [h[i], h[p]] = [h[p] as Timer, h[i] as Timer];
      i = p;
    }
  }

  #pop(): Timer {
    const h = this.#heap;
    const top = h[0] as Timer;
    const last = h.pop() as Timer;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l] as Timer, h[m] as Timer)) m = l;
        if (r < h.length && before(h[r] as Timer, h[m] as Timer)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Timer, h[i] as Timer];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

// --- DynamoDB's item size and write cost -------------------------------------------------------

/** DynamoDB's size of a number (about one byte per two significant digits, plus one). */
const numberBytes = (n: number) => Math.ceil(String(Math.abs(n)).replace(/^0+|\.|0+$/g, '').length / 2) + 1;

/** The stored item's size in bytes, by DynamoDB's rules (names + values; maps 3 + 1 per entry). */
function itemBytes(r: Readonly<BudgetPeriodRecord>): number {
  const attr = (name: string, bytes: number) => name.length + bytes;
  let leases = 3;
  for (const [id, l] of Object.entries(r.leases)) {
    leases +=
      1 +
      attr(
        id,
        3 +
          3 +
          attr('amount', numberBytes(l.amount)) +
          attr('expires_at', numberBytes(l.expires_at)) +
          attr('holder', l.holder.length),
      );
  }
  return (
    attr('tenant', r.tenant.length) +
    attr('budget', `${r.budget}#${r.period}`.length) +
    attr('unit', r.unit.length) +
    attr('limit', numberBytes(r.limit)) +
    attr('revision', numberBytes(r.revision)) +
    attr('starts_at', numberBytes(r.starts_at)) +
    attr('ends_at', numberBytes(r.ends_at)) +
    attr('spent', numberBytes(r.spent)) +
    attr('available', numberBytes(r.available)) +
    attr('leases', leases) +
    (r.open ? attr('sweep', 4) : 0)
  );
}

// --- the simulated store -----------------------------------------------------------------------

interface StoreStats {
  /** Writes per 1-s window since T0 (index = second). */
  writes: number[];
  wcu: number[];
  maxItemBytes: number;
  maxLeases: number;
  /** Largest spent + outstanding - limit seen after any write. */
  maxOver: number;
}

/**
 * The shared store behind `latency` ms each way; every write is counted (with its WCU by the
 * larger item image) and checked: spent + outstanding leases never above the limit. `dead`: a
 * crashed caller never hears back.
 */
function simulatedStore(
  inner: MemoryBudgetStore,
  vt: VirtualTime,
  latency: () => number,
  stats: StoreStats,
  dead: () => boolean = () => false,
): BudgetStore {
  const sizeOf = (key: BudgetKey) => {
    const r = inner.peek(key);
    return r ? itemBytes(r) : 0;
  };
  return interceptStore(inner, async (method, args, call) => {
    if (dead()) return new Promise(() => undefined);
    await vt.sleep(latency());
    const key = args[0] as BudgetKey;
    const write = !READS.has(method);
    const bytesBefore = write ? sizeOf(key) : 0;
    const result = await call();
    const r = write ? inner.peek(key) : undefined;
    if (r) {
      const bytes = Math.max(bytesBefore, sizeOf(key));
      const second = Math.floor((vt.now - T0) / 1000);
      stats.writes[second] = (stats.writes[second] ?? 0) + 1;
      stats.wcu[second] = (stats.wcu[second] ?? 0) + Math.max(1, Math.ceil(bytes / 1024));
      stats.maxItemBytes = Math.max(stats.maxItemBytes, bytes);
      let outstanding = 0;
      let count = 0;
      for (const l of Object.values(r.leases)) {
        outstanding += l.amount;
        count++;
      }
      stats.maxLeases = Math.max(stats.maxLeases, count);
      stats.maxOver = Math.max(stats.maxOver, r.spent + outstanding - r.limit);
      if (r.available !== r.limit - r.spent - outstanding)
        throw new Error(`${method}: available out of step`);
    }
    await vt.sleep(latency());
    if (dead()) return new Promise(() => undefined);
    return result;
  });
}

// --- the scenario ------------------------------------------------------------------------------

interface Scenario {
  name: string;
  containers: number;
  limitUsd: number;
  /** Containers that crash (at random times in the middle of the run) and are replaced. */
  crashes: number;
  seconds?: number;
  ratePerSecond?: number;
  policy?: Partial<LeasePolicy>;
}

/** One request of the stream both the engine and the oracle see. */
interface Request {
  at: number;
  /** Index of the container slot the load balancer sends it to. */
  slot: number;
  max: number;
  actual: number;
  duration: number;
}

/** The same stream every time: Poisson arrivals, random containers, costs and durations. */
function requestStream(s: Scenario): Request[] {
  const rnd = seededRandom(7);
  const rate = s.ratePerSecond ?? 1000;
  const end = T0 + (s.seconds ?? 60) * 1000;
  const out: Request[] = [];
  for (let at = T0; ; ) {
    at += -Math.log(1 - rnd()) * (1000 / rate);
    if (at >= end) return out;
    const max = 1_000_000 + Math.floor(rnd() * 9_000_000); // $0.001 - $0.01 in nano-USD
    out.push({
      at,
      slot: Math.floor(rnd() * s.containers),
      max,
      actual: Math.floor(max * (0.2 + 0.8 * rnd())),
      duration: 500 + rnd() * 2_500,
    });
  }
}

interface Admission {
  refused: number;
  firstRefusalAt: number | undefined;
  /** What the admitted requests cost. */
  servedCost: number;
}

/**
 * The oracle: one central ledger that sees every request at once (no leases, no latency):
 * admits a request iff limit - settled - Σ max of those in flight >= its max. The least any
 * reserve-then-settle scheme can refuse on the same stream.
 */
function oracle(requests: readonly Request[], limit: number): Admission {
  let settled = 0;
  let inflight = 0;
  const running: Array<{ end: number; max: number; actual: number }> = [];
  const out: Admission = { refused: 0, firstRefusalAt: undefined, servedCost: 0 };
  for (const r of requests) {
    running.sort((a, b) => a.end - b.end);
    while (running.length > 0 && (running[0] as { end: number }).end <= r.at) {
      const done = running.shift() as { max: number; actual: number };
      inflight -= done.max;
      settled += done.actual;
    }
    if (limit - settled - inflight >= r.max) {
      inflight += r.max;
      running.push({ end: r.at + r.duration, max: r.max, actual: r.actual });
      out.servedCost += r.actual;
    } else {
      out.refused++;
      out.firstRefusalAt ??= r.at;
    }
  }
  return out;
}

interface Outcome extends Admission {
  requests: number;
  spent: number;
  limit: number;
  stats: StoreStats;
  oracle: Admission;
}

async function simulate(s: Scenario): Promise<Outcome> {
  const rnd = seededRandom(42);
  const vt = new VirtualTime();
  const inner = new MemoryBudgetStore();
  const stats: StoreStats = {
    writes: [],
    wcu: [],
    maxItemBytes: 0,
    maxLeases: 0,
    maxOver: Number.NEGATIVE_INFINITY,
  };
  const latency = () => 2 + rnd() * 6; // 2-8 ms each way, DynamoDB in-region
  const limit = Math.round(s.limitUsd * 1e9);
  const spec: BudgetSpec = { unit: 'usd_nanos', period: 'month', limit };
  const seconds = s.seconds ?? 60;
  const requests = requestStream(s);

  interface Container {
    leases: BudgetLeases;
    dead: boolean;
  }
  let generation = 0;
  const spawn = (): Container => {
    const c: Container = { leases: undefined as unknown as BudgetLeases, dead: false };
    c.leases = new BudgetLeases({
      store: simulatedStore(inner, vt, latency, stats, () => c.dead),
      holder: `r${++generation}`,
      now: () => vt.now,
      timers: vt,
      ...(s.policy ? { policy: s.policy } : {}),
    });
    return c;
  };
  const containers = Array.from({ length: s.containers }, spawn);
  const out: Outcome = {
    requests: requests.length,
    refused: 0,
    firstRefusalAt: undefined,
    servedCost: 0,
    spent: 0,
    limit,
    stats,
    oracle: oracle(requests, limit),
  };

  const serve = async (req: Request) => {
    const c = containers[req.slot] as Container;
    const r = await c.leases.reserve('acme', spec, req.max);
    if (!r.ok) {
      out.refused++;
      out.firstRefusalAt ??= vt.now;
      return;
    }
    // It reaches the upstream and costs, whether or not its container lives to settle it.
    out.servedCost += req.actual;
    await vt.sleep(req.duration);
    if (!c.dead) r.settle(req.actual);
  };
  for (const req of requests) vt.setTimeout(() => void serve(req), req.at - T0);

  // Crashes in the middle of the run; a new container takes the place of each.
  for (let i = 0; i < s.crashes; i++) {
    vt.setTimeout(
      () => {
        const at = Math.floor(rnd() * containers.length);
        const c = containers[at] as Container;
        c.dead = true;
        c.leases.stop();
        containers[at] = spawn();
      },
      (seconds * 1000 * (1 + rnd())) / 3,
    );
  }
  // The sweeper, every minute.
  const sweeper = simulatedStore(inner, vt, latency, stats);
  const sweep = () => {
    void sweepBudgets({ store: sweeper, now: () => vt.now });
    vt.setTimeout(sweep, 60_000);
  };
  vt.setTimeout(sweep, 60_000);

  // Traffic, then five quiet minutes: idle leases go back, expired ones are swept.
  await vt.run(T0 + seconds * 1000 + 5 * 60_000);
  for (const c of containers) c.leases.stop();
  const records = inner.records();
  out.spent = records.reduce((sum, r) => sum + r.spent, 0);
  const leftover = records.flatMap((r) => Object.keys(r.leases));
  if (leftover.length > 0) throw new Error(`leases left after the quiet minutes: ${leftover.join(', ')}`);
  return out;
}

function report(reporter: Reporter, s: Scenario, o: Outcome): void {
  const prefix = `budget.${s.name}`;
  const detail = {
    containers: s.containers,
    limit_usd: s.limitUsd,
    crashes: s.crashes,
    requests: o.requests,
  };
  const seconds = s.seconds ?? 60;
  const writes = Array.from(o.stats.writes.slice(0, seconds), (w) => w ?? 0);
  const wcu = Array.from(o.stats.wcu.slice(0, seconds), (w) => w ?? 0);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  reporter.report({
    name: `${prefix}.overspend_usd`,
    unit: 'USD',
    value: Math.max(0, o.stats.maxOver) / 1e9,
    ...detail,
  });
  reporter.report({
    name: `${prefix}.served_beyond_limit_usd`,
    unit: 'USD',
    value: Math.max(0, o.servedCost - o.limit) / 1e9,
  });
  reporter.report({
    name: `${prefix}.refusal_rate`,
    unit: 'share',
    value: round(o.refused / o.requests, 5),
    oracle: round(o.oracle.refused / o.requests, 5),
  });
  reporter.report({
    name: `${prefix}.item_writes_per_s.mean`,
    unit: 'writes/s',
    value: round(mean(writes), 1),
  });
  reporter.report({
    name: `${prefix}.item_writes_per_s.max`,
    unit: 'writes/s',
    value: Math.max(0, ...writes),
  });
  reporter.report({ name: `${prefix}.item_wcu_per_s.mean`, unit: 'WCU/s', value: round(mean(wcu), 1) });
  reporter.report({ name: `${prefix}.item_wcu_per_s.max`, unit: 'WCU/s', value: Math.max(0, ...wcu) });
  reporter.report({
    name: `${prefix}.item_size.max`,
    unit: 'bytes',
    value: o.stats.maxItemBytes,
    leases: o.stats.maxLeases,
  });
  reporter.report({
    name: `${prefix}.stranded_usd`,
    unit: 'USD',
    value: Math.max(0, o.spent - o.servedCost) / 1e9,
    spent: formatUsdNanos(o.spent),
    served: formatUsdNanos(o.servedCost),
  });
  if (o.oracle.firstRefusalAt !== undefined) {
    reporter.report({
      name: `${prefix}.budget_served`,
      unit: 'share',
      value: round(o.servedCost / o.limit, 4),
      oracle: round(o.oracle.servedCost / o.limit, 4),
    });
    reporter.report({
      name: `${prefix}.first_refusal_s`,
      unit: 's',
      value: round(((o.firstRefusalAt ?? Number.NaN) - T0) / 1000, 2),
      oracle: round((o.oracle.firstRefusalAt - T0) / 1000, 2),
    });
  }
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

export const BUDGET_SCENARIOS: readonly Scenario[] = [
  // Lambda Managed Instances: ~50 environments, ~40 requests in flight in each.
  { name: 'ample.50_containers', containers: 50, limitUsd: 1_000_000, crashes: 0 },
  // Closer to standard Lambda: 500 environments with a few requests each.
  { name: 'ample.500_containers', containers: 500, limitUsd: 1_000_000, crashes: 0 },
  // Five containers crash mid-run with leases and requests in flight.
  { name: 'ample.crashes', containers: 50, limitUsd: 1_000_000, crashes: 5 },
  // About $3.30/s of spend against $100: the budget runs out half way through the minute.
  { name: 'exhaustion.50_containers', containers: 50, limitUsd: 100, crashes: 0 },
  { name: 'exhaustion.crashes', containers: 50, limitUsd: 100, crashes: 5 },
];

/** Runs the budget simulation and reports its figures. */
export async function benchBudget(reporter: Reporter, scenarios = BUDGET_SCENARIOS): Promise<void> {
  for (const s of scenarios) report(reporter, s, await simulate(s));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reporter = new Reporter(process.argv.includes('--json'));
  reporter.section('Budgets: one tenant at 1,000 requests/s over many router containers (simulated)');
  await benchBudget(reporter);
}
