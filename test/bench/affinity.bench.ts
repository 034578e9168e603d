// Conversation affinity benchmark: a multi-turn chat workload over eight replicas of one model,
// routed by the real core (chatRouteRequest + route(), one router container with exact in-flight
// counts, as on Lambda Managed Instances), served by simulated replicas in virtual time: the same
// workload without affinity (least-outstanding) and with it (least-outstanding + affinity at
// ε = 0.25, 0.5, 1 and 10, the last all but unbounded), in one run.
// Replica model: `slots` sequences at once, FIFO beyond; a request waits its turn, then prefills
// (time to first token: PREFILL_MS for a miss, ttft_factor 0.3 of it when the replica's prefix
// cache, the same PrefixCache the local simulator uses, holds the conversation's opening), then
// decodes its output at DECODE_TOKENS_PER_S. TTFT = queueing + prefill.
// Workload: conversations arrive for two minutes, each 3 to 8 turns with exponential think times
// (mean 3 s) between an answer and the next question; four system prompts, a unique first
// question each. The conversation key is the only affinity key (no sticky_key, no user).
// Scenarios (SCENARIOS): light (about 6 requests in flight per replica), busy (about 30), and
// busy with a hot key (a fifth of the conversations open with the same greeting, so they share
// one key: what bounded loads are for).
// Figures per scenario and arm:
//   - sticky share: of the turns after the first, the share served by the replica that served
//     the conversation's previous turn (the target with affinity: >= 95 %); with a hot key
//     also over the conversations that have their own key;
//   - prefix-cache hit rate;
//   - load balance: time-averaged requests in flight per replica, max over mean (and the peak);
//     requests served per replica, max over mean;
//   - TTFT p50/p99 (virtual ms), and the ratios to the run without affinity;
//   - decision time (chatRouteRequest + route(), wall-clock µs, p50/p99).
// Part of `npm run bench`; standalone:  npx tsx test/bench/affinity.bench.ts [--json]
import { pathToFileURL } from 'node:url';
import { PrefixCache } from '../../infra/local/sim-prefix-cache.ts';
import type { ChatCompletionRequest, CompiledRegistry, LocalLoad } from '../../layers/core/src/index.ts';
import {
  chatRouteRequest,
  compileRegistry,
  RegistrySchema,
  route,
  seededRandom,
} from '../../layers/core/src/index.ts';
import { quantile, Reporter } from './reporter.ts';

const REPLICAS = 8;
const PREFILL_MS = 400;
const TTFT_FACTOR = 0.3;
const DECODE_TOKENS_PER_S = 50;
const DURATION_MS = 120_000;
/** In the hot-key scenario: the share of conversations that open with one canned greeting. */
const CANNED_SHARE = 0.2;
const CANNED_OPENING = 'Hi! I need some help.';
const THINK_MEAN_MS = 3000;
const SYSTEM_PROMPTS = [
  'You are a support assistant for a cloud storage product. Answer briefly and cite the docs.',
  'You are a coding assistant. Prefer TypeScript. Explain the change before the code.',
  'You are a travel planner. Ask about dates and budget before suggesting anything.',
  'You are a tutor for high-school physics. Use SI units and show each step.',
];
const EPSILONS = [0.25, 0.5, 1, 10];

/**
 * Scenarios: replicas lightly loaded (about 6 in flight each) or busy (about 30), every
 * conversation with its own opening; and busy with a hot key (a fifth of the conversations open
 * with the same greeting, so they share one key and one replica's fair share is not enough).
 */
const SCENARIOS = [
  { name: 'light', slots: 16, arrivalsPerS: 5, cannedShare: 0 },
  { name: 'busy', slots: 64, arrivalsPerS: 25, cannedShare: 0 },
  { name: 'hotkey', slots: 64, arrivalsPerS: 25, cannedShare: CANNED_SHARE },
] as const;
type Scenario = (typeof SCENARIOS)[number];

function registryFor(slots: number): CompiledRegistry {
  const ids = Array.from({ length: REPLICAS }, (_, i) => `r${i + 1}`);
  return compileRegistry(
    RegistrySchema.parse({
      models: [
        { id: 'chat-8b', version: 'v1', tasks: ['chat'], context_window: 32_768, regions: ['us-east-1'] },
      ],
      endpoints: ids.map((id) => ({
        id,
        model: 'chat-8b',
        version: 'v1',
        kind: 'openai-http',
        target: `http://${id}.internal/v1`,
        region: 'us-east-1',
        capacity: { max_inflight: slots },
      })),
      policies: [
        { name: 'off', match: { model: 'off' }, strategy: 'least-outstanding', fallback: { count: 1 } },
        ...EPSILONS.map((epsilon) => ({
          name: `eps-${epsilon}`,
          match: { model: `eps-${epsilon}` },
          strategy: 'least-outstanding' as const,
          fallback: { count: 1 },
          affinity: { epsilon },
        })),
      ],
    }),
  );
}

// ---- the workload, drawn once and replayed by every arm ----

interface Conversation {
  id: number;
  arrival: number;
  system: string;
  opening: string;
  /** Opens with the canned greeting (shares its key with every other such conversation). */
  canned: boolean;
  /** Per turn: output tokens, and the think time before the next turn. */
  turns: Array<{ output: number; think: number }>;
}

function workload(seed: number, arrivalsPerS: number, cannedShare: number): Conversation[] {
  const rnd = seededRandom(seed);
  const exp = (mean: number) => -mean * Math.log(1 - rnd());
  const out: Conversation[] = [];
  const gap = 1000 / arrivalsPerS;
  for (let t = exp(gap), id = 0; t < DURATION_MS; t += exp(gap), id++) {
    const count = 3 + Math.floor(rnd() * 6);
    const canned = rnd() < cannedShare;
    const unique = `Question ${id}: ${Math.floor(rnd() * 1e9).toString(36)} — how do I get started?`;
    out.push({
      id,
      arrival: t,
      system: (canned
        ? SYSTEM_PROMPTS[0]
        : SYSTEM_PROMPTS[Math.floor(rnd() * SYSTEM_PROMPTS.length)]) as string,
      opening: canned ? CANNED_OPENING : unique,
      canned,
      turns: Array.from({ length: count }, () => ({
        output: 40 + Math.floor(rnd() * 160),
        think: exp(THINK_MEAN_MS),
      })),
    });
  }
  return out;
}

const bodyFor = (c: Conversation, turn: number, model: string): ChatCompletionRequest => {
  const messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> = [
    { role: 'system', content: c.system },
    { role: 'user', content: c.opening },
  ];
  for (let i = 1; i <= turn; i++) {
    messages.push({ role: 'assistant', content: `Answer ${i} to conversation ${c.id}.` });
    messages.push({ role: 'user', content: `Follow-up ${i}: and then?` });
  }
  return { model, messages, stream: true } as ChatCompletionRequest;
};

// ---- virtual time ----

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

class EventQueue {
  readonly #heap: Event[] = [];
  #seq = 0;

  push(at: number, run: () => void): void {
    const h = this.#heap;
    const e = { at, seq: this.#seq++, run };
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p] as Event)) break;
      h[i] = h[p] as Event;
      i = p;
    }
    h[i] = e;
  }

  pop(): Event | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        const at = (k: number) => (k === i ? last : (h[k] as Event));
        if (l < h.length && before(h[l] as Event, at(m))) m = l;
        if (r < h.length && before(h[r] as Event, at(m))) m = r;
        if (m === i) break;
        h[i] = h[m] as Event;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

const before = (a: Event, b: Event): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

// ---- one arm ----

interface Replica {
  inflight: number;
  running: number;
  queue: Array<() => void>;
  cache: PrefixCache;
  served: number;
  /** Integral of inflight over time, and when it last changed. */
  area: number;
  since: number;
}

interface ArmResult {
  turns: number;
  sticky: number;
  /** The same, over conversations with a distinct opening (their own key). */
  distinctTurns: number;
  distinctSticky: number;
  hits: number;
  misses: number;
  ttft: number[];
  decisionUs: number[];
  servedMaxOverMean: number;
  loadMaxOverMean: number;
  peakInflight: number;
  meanInflight: number;
  affinityApplied: number;
  requests: number;
}

function runArm(
  registry: CompiledRegistry,
  slots: number,
  conversations: readonly Conversation[],
  policy: string,
): ArmResult {
  let now = 0;
  const queue = new EventQueue();
  const replicas: Replica[] = Array.from({ length: REPLICAS }, () => ({
    inflight: 0,
    running: 0,
    queue: [],
    cache: new PrefixCache({ ttft_factor: TTFT_FACTOR, ttl_ms: 300_000, max_entries: 1024 }, () => now),
    served: 0,
    area: 0,
    since: 0,
  }));
  const slotOf = new Map(registry.registry.endpoints.map((e, s) => [e.id, s]));
  const inflight = new Float64Array(registry.endpointCount);
  const load: LocalLoad = { registry, inflight };
  const health = { endpoints: {} };
  const random = seededRandom(42);
  const tenant = { id: 'bench' };
  const lastReplica = new Map<number, number>();
  const result: ArmResult = {
    turns: 0,
    sticky: 0,
    distinctTurns: 0,
    distinctSticky: 0,
    hits: 0,
    misses: 0,
    ttft: [],
    decisionUs: [],
    servedMaxOverMean: 0,
    loadMaxOverMean: 0,
    peakInflight: 0,
    meanInflight: 0,
    affinityApplied: 0,
    requests: 0,
  };
  const setInflight = (r: number, delta: number) => {
    const rep = replicas[r] as Replica;
    rep.area += rep.inflight * (now - rep.since);
    rep.since = now;
    rep.inflight += delta;
    inflight[r] = rep.inflight;
    if (rep.inflight > result.peakInflight) result.peakInflight = rep.inflight;
  };

  const ask = (c: Conversation, turn: number) => {
    const body = bodyFor(c, turn, policy);
    const t0 = performance.now();
    const request = chatRouteRequest(body, {}, tenant);
    const decision = route(request, { registry, health, load }, { now, random });
    result.decisionUs.push((performance.now() - t0) * 1000);
    result.requests++;
    if (decision.explanation.affinity?.applied) result.affinityApplied++;
    const r = slotOf.get(decision.plan.primary.endpoint) as number;
    const previous = lastReplica.get(c.id);
    if (previous !== undefined) {
      result.turns++;
      if (previous === r) result.sticky++;
      if (!c.canned) {
        result.distinctTurns++;
        if (previous === r) result.distinctSticky++;
      }
    }
    lastReplica.set(c.id, r);
    const arrived = now;
    const rep = replicas[r] as Replica;
    setInflight(r, +1);
    const start = () => {
      rep.running++;
      const hit = rep.cache.use(request.conversation_key as string);
      const prefill = hit ? PREFILL_MS * TTFT_FACTOR : PREFILL_MS;
      const step = c.turns[turn] as { output: number; think: number };
      const decode = (step.output / DECODE_TOKENS_PER_S) * 1000;
      queue.push(now + prefill, () => result.ttft.push(now - arrived));
      queue.push(now + prefill + decode, () => {
        rep.running--;
        rep.served++;
        setInflight(r, -1);
        const next = rep.queue.shift();
        if (next) next();
        if (turn + 1 < c.turns.length) queue.push(now + step.think, () => ask(c, turn + 1));
      });
    };
    if (rep.running < slots) start();
    else rep.queue.push(start);
  };

  for (const c of conversations) queue.push(c.arrival, () => ask(c, 0));
  for (let e = queue.pop(); e; e = queue.pop()) {
    now = e.at;
    e.run();
  }
  for (let r = 0; r < REPLICAS; r++) setInflight(r, 0);
  for (const rep of replicas) {
    result.hits += rep.cache.hits;
    result.misses += rep.cache.misses;
  }
  const maxOverMean = (xs: number[]) => Math.max(...xs) / (xs.reduce((a, b) => a + b, 0) / xs.length);
  result.servedMaxOverMean = maxOverMean(replicas.map((r) => r.served));
  result.loadMaxOverMean = maxOverMean(replicas.map((r) => r.area));
  result.meanInflight = replicas.reduce((a, r) => a + r.area, 0) / REPLICAS / now;
  return result;
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

/** Runs the affinity benchmark and reports its figures. */
export async function benchAffinity(reporter: Reporter): Promise<void> {
  for (const scenario of SCENARIOS) benchScenario(reporter, scenario);
}

function benchScenario(reporter: Reporter, level: Scenario): void {
  const registry = registryFor(level.slots);
  const conversations = workload(2026, level.arrivalsPerS, level.cannedShare);
  const arms = [
    { name: 'off', policy: 'off', epsilon: undefined as number | undefined },
    ...EPSILONS.map((epsilon) => ({ name: `eps_${epsilon}`, policy: `eps-${epsilon}`, epsilon })),
  ];
  // Warm the JIT on a short run of each arm, so decision times are steady-state.
  for (const arm of arms) runArm(registry, level.slots, conversations.slice(0, 40), arm.policy);
  const results = arms.map((arm) => ({ arm, r: runArm(registry, level.slots, conversations, arm.policy) }));
  const base = results[0]?.r as ArmResult;
  const detail = {
    replicas: REPLICAS,
    conversations: conversations.length,
    requests: base.requests,
    slots_per_replica: level.slots,
    mean_inflight_per_replica: round(base.meanInflight, 1),
    canned_share: level.cannedShare,
    prefill_ms: PREFILL_MS,
    ttft_factor: TTFT_FACTOR,
    time: 'virtual',
  };
  for (const { arm, r } of results) {
    const label =
      arm.epsilon === undefined
        ? 'least-outstanding, no affinity'
        : `least-outstanding + affinity ε=${arm.epsilon}`;
    const p = `affinity.${level.name}.${arm.name}`;
    reporter.report({
      name: `${p}.sticky_share`,
      unit: 'share',
      value: round(r.sticky / r.turns),
      turns: r.turns,
      arm: label,
      ...(arm.name === 'off' ? detail : {}),
    });
    if (level.cannedShare > 0)
      reporter.report({
        name: `${p}.sticky_share.distinct_openings`,
        unit: 'share',
        value: round(r.distinctSticky / r.distinctTurns),
        turns: r.distinctTurns,
        note: 'conversations with their own key (not the canned greeting)',
      });
    reporter.report({
      name: `${p}.prefix_hit_rate`,
      unit: 'share',
      value: round(r.hits / (r.hits + r.misses)),
    });
    reporter.report({
      name: `${p}.load.max_over_mean`,
      unit: 'ratio',
      value: round(r.loadMaxOverMean),
      note: 'time-averaged requests in flight per replica',
      peak_inflight: r.peakInflight,
    });
    reporter.report({ name: `${p}.served.max_over_mean`, unit: 'ratio', value: round(r.servedMaxOverMean) });
    const p50 = quantile(r.ttft, 0.5);
    const p99 = quantile(r.ttft, 0.99);
    reporter.report({ name: `${p}.ttft.p50`, unit: 'ms', value: round(p50, 1), time: 'virtual' });
    reporter.report({ name: `${p}.ttft.p99`, unit: 'ms', value: round(p99, 1), time: 'virtual' });
    if (arm.name !== 'off') {
      reporter.report({
        name: `${p}.ttft.p50.ratio_vs_off`,
        unit: 'ratio',
        value: round(p50 / quantile(base.ttft, 0.5)),
      });
      reporter.report({
        name: `${p}.ttft.p99.ratio_vs_off`,
        unit: 'ratio',
        value: round(p99 / quantile(base.ttft, 0.99)),
      });
    }
    reporter.report({
      name: `${p}.decision.p50`,
      unit: 'µs',
      value: round(quantile(r.decisionUs, 0.5), 2),
      p99_us: round(quantile(r.decisionUs, 0.99), 2),
      note: 'chatRouteRequest + route(), wall clock',
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reporter = new Reporter(process.argv.includes('--json'));
  reporter.section('Conversation affinity: multi-turn chat over 8 replicas, with and without affinity');
  await benchAffinity(reporter);
}
