// Tenant isolation, as a property of the router service: whatever tenant B sends (hostile or
// invalid requests the service answers with a 4xx, and requests whose upstream call fails
// because of B's own input), tenant A's routing decisions and answers are exactly what they
// would have been without B.
//
// Two worlds run the same sequence of A's requests; in one, B's requests run between them. Each
// world is a RouterService over in-memory ports that implement the real interfaces: the
// registry, the health store with the real outcome path (OutcomeBuffer -> the store's folding ->
// the health check's assessment into the shared circuit), the router's own breakers
// (LocalCircuits, CircuitAwareClient) and a deterministic upstream that builds each request as
// the OpenAI-HTTP client does (so a body that cannot be serialised fails as it would in
// production), answers after a latency that depends on the endpoint and the body, fails on one
// flaky endpoint for some bodies, and rejects (400) bodies that carry B's poison marker. Time
// is a fixed clock set at each of A's steps; randomness is reseeded for each of A's requests.

import { OutcomeBuffer, openAiHttpRequest, requestJson } from '@switchyard/adapters';
import type { Caller } from '@switchyard/adapters/lambda';
import type {
  CompiledRegistry,
  Endpoint,
  InferenceCall,
  InferenceClient,
  InferenceResult,
  Outcome,
  PlanTarget,
  RegistryInput,
} from '@switchyard/core';
import {
  compileRegistry,
  fnv1a32,
  RegistrySchema,
  SwitchyardError,
  seededRandom,
  UpstreamError,
} from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runHealthChecks } from '../../../functions/health-check/health-check.service.ts';
import { CircuitAwareClient } from '../../../functions/router/circuit-client.ts';
import { LocalCircuits } from '../../../functions/router/local-circuits.ts';
import { RouterService } from '../../../functions/router/router.service.ts';
import { MemoryHealthStore } from '../../support/memory-health.store.ts';

const T0 = 1_700_000_000_000;
const STEP_MS = 1_000;
const POISON = 'x-poison';

const REGISTRY: RegistryInput = {
  models: [
    {
      id: 'm1',
      version: 'v1',
      tasks: ['chat'],
      context_window: 4096,
      regions: ['us-east-1'],
      latency_slo_ms: 300,
    },
    {
      id: 'm2',
      version: 'v1',
      tasks: ['chat'],
      context_window: 2048,
      regions: ['us-east-1'],
      cost: { input_per_1k: 0.0001, output_per_1k: 0.0001, per_call: 0 },
    },
    { id: 'clf', version: 'v1', tasks: ['sentiment'], context_window: 512, regions: ['us-east-1'] },
  ],
  endpoints: [
    {
      id: 'e1',
      model: 'm1',
      version: 'v1',
      kind: 'openai-http',
      target: 'http://e1.internal/v1',
      region: 'us-east-1',
    },
    {
      id: 'e2',
      model: 'm1',
      version: 'v1',
      kind: 'openai-http',
      target: 'http://e2.internal/v1',
      region: 'us-east-1',
    },
    {
      id: 'flaky',
      model: 'm1',
      version: 'v1',
      kind: 'openai-http',
      target: 'http://flaky.internal/v1',
      region: 'us-east-1',
      weight: 3,
    },
    {
      id: 'e4',
      model: 'm2',
      version: 'v1',
      kind: 'openai-http',
      target: 'http://e4.internal/v1',
      region: 'us-east-1',
    },
    {
      id: 'e-clf',
      model: 'clf',
      version: 'v1',
      kind: 'openai-http',
      target: 'http://clf.internal/v1',
      region: 'us-east-1',
    },
  ],
  policies: [
    {
      name: 'auto',
      match: { model: 'auto' },
      models: ['m1', 'm2'],
      strategy: 'weighted',
      fallback: { count: 2, mode: 'cross-model' },
      circuit: {
        failure_threshold: 3,
        error_rate_threshold: 0.5,
        min_requests: 6,
        window_ms: 60_000,
        cooldown_ms: 4_000,
      },
    },
    {
      name: 'a-vip',
      match: { model: 'vip', tenant: 'tenant-a' },
      models: ['m1'],
      strategy: 'p2c-ewma',
      fallback: { count: 2, mode: 'same-model-first' },
    },
    {
      name: 'b-cheap',
      match: { model: 'cheap', tenant: 'tenant-b' },
      models: ['m1'],
      strategy: 'cost-first',
    },
    { name: 'classify', match: { model: 'classify' }, models: ['clf'] },
  ],
};

const A: Caller = { tenant: 'tenant-a', role: 'consumer' };
const B: Caller = { tenant: 'tenant-b', role: 'consumer', allowed_models: ['m1', 'm2'] };

/** A fixed clock: set at each step; the upstream advances it by each call's latency. */
class Clock {
  #t = T0;
  readonly now = (): number => this.#t;
  set(t: number): void {
    this.#t = t;
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

const BASE_LATENCY: Record<string, number> = { e1: 40, e2: 90, flaky: 20, e4: 150, 'e-clf': 10 };

/** The deterministic upstream (see the module header). */
class SimulatedUpstream implements InferenceClient {
  readonly calls: string[] = [];
  constructor(private readonly clock: Clock) {}

  async invoke(target: PlanTarget, call: InferenceCall): Promise<InferenceResult> {
    // Built exactly as OpenAiHttpInferenceClient builds it, before anything is "sent".
    const { body } = openAiHttpRequest(target, call);
    const json = requestJson(body);
    this.calls.push(target.endpoint);
    const hash = fnv1a32(`${target.endpoint}:${json}`);
    this.clock.advance((BASE_LATENCY[target.endpoint] ?? 50) + (hash % 17));
    if (json.includes(`"${POISON}"`)) {
      throw new UpstreamError('rejected', `${target.endpoint}: HTTP 400: invalid input`, 400);
    }
    if (target.endpoint === 'flaky' && hash % 3 !== 0) {
      throw new UpstreamError('server', `${target.endpoint}: HTTP 500: overloaded`, 500);
    }
    const content = `[${target.endpoint}] ${hash.toString(16)}`;
    if (call.kind === 'invocation')
      return { body: { label: hash % 2 ? 'positive' : 'negative', score: 0.9 } };
    return {
      body: {
        id: `chatcmpl-${hash}`,
        object: 'chat.completion',
        created: Math.floor(this.clock.now() / 1000),
        model: target.upstream_model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      },
      usage: { prompt_tokens: 10, completion_tokens: 5 },
    };
  }
}

type Route = 'chat' | 'invoke' | 'dryRun';
interface Req {
  route: Route;
  body: unknown;
  headers: Record<string, string>;
}

/** What a caller saw: the answer, or the error in the OpenAI shape with its status. */
type Seen =
  | { ok: true; body: unknown; headers: Record<string, string> }
  | {
      ok: false;
      status: number;
      error: { message: string; type: string; param: string | null; code: string | null };
    }
  | { ok: false; status: 500; thrown: string };

class World {
  readonly clock = new Clock();
  readonly store = new MemoryHealthStore();
  readonly upstream = new SimulatedUpstream(this.clock);
  readonly outcomes: OutcomeBuffer<Outcome>;
  readonly service: RouterService;
  readonly #registry: CompiledRegistry;

  constructor() {
    const raw = RegistrySchema.parse(REGISTRY);
    this.#registry = compileRegistry(raw);
    this.outcomes = new OutcomeBuffer<Outcome>({
      sink: (o) => this.store.recordOutcomes(o),
      flushIntervalMs: 0,
      now: this.clock.now,
    });
    const circuits = new LocalCircuits();
    let random = seededRandom(0);
    this.reseed = (seed) => {
      random = seededRandom(seed);
    };
    this.service = new RouterService({
      registry: { get: async () => this.#registry },
      health: { get: () => this.store.snapshot() },
      inference: new CircuitAwareClient(this.upstream, circuits, this.clock.now),
      circuits,
      recordOutcomes: async (o) => this.outcomes.add(o),
      now: this.clock.now,
      random: () => random(),
      healthFreshMs: 90_000,
    });
    this.healthCheck = () =>
      runHealthChecks({
        registry: { load: async () => raw },
        health: this.store,
        prober: {
          probe: async (e: Endpoint) => ({
            ok: true,
            latency_ms: BASE_LATENCY[e.id] ?? 50,
            detail: 'HTTP 200',
          }),
        },
        now: this.clock.now,
        timeoutMs: 1_000,
        concurrency: 1,
      });
  }

  reseed: (seed: number) => void;
  healthCheck: () => Promise<unknown>;

  async send(req: Req, caller: Caller): Promise<Seen> {
    let seen: Seen;
    const body = req.body instanceof Lazy ? req.body.make() : req.body;
    req = { ...req, body };
    try {
      if (req.route === 'dryRun') {
        seen = { ok: true, body: await this.service.dryRun(req.body, req.headers, caller), headers: {} };
      } else {
        const out = await this.service[req.route](req.body, req.headers, caller);
        seen = { ok: true, body: out.body, headers: out.headers };
      }
    } catch (err) {
      seen =
        err instanceof SwitchyardError
          ? {
              ok: false,
              status: err.status,
              error: { message: err.message, type: err.type, param: err.param, code: err.code },
            }
          : { ok: false, status: 500, thrown: String(err) };
    }
    await this.outcomes.flush();
    return seen;
  }

  /** A's step `i`: its dry run and its request, at the step's time and seed; every third, a probe round. */
  async stepA(i: number, req: Req): Promise<unknown> {
    this.clock.set(T0 + i * STEP_MS);
    this.reseed(i + 1);
    const plan = await this.send({ ...req, route: 'dryRun' }, A);
    this.clock.set(T0 + i * STEP_MS);
    this.reseed(i + 1);
    const answer = await this.send(req, A);
    if (i % 3 === 2) {
      this.clock.set(T0 + i * STEP_MS + 500);
      await this.healthCheck();
    }
    return { plan, answer, health: this.store.dump() };
  }

  /** B's requests after A's step `i` (at that step's time, plus a little). */
  async stepB(i: number, reqs: readonly Req[]): Promise<Array<{ route: Route; seen: Seen }>> {
    const out: Array<{ route: Route; seen: Seen }> = [];
    for (const [k, req] of reqs.entries()) {
      this.clock.set(T0 + i * STEP_MS + 600 + k);
      this.reseed(10_000 + i * 100 + k);
      out.push({ route: req.route, seen: await this.send(req, B) });
    }
    return out;
  }
}

// --- A's traffic: ordinary valid requests

const chatBody = (model: string, content: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content }],
  ...extra,
});

const aRequest: fc.Arbitrary<Req> = fc.oneof(
  {
    arbitrary: fc
      .record({
        model: fc.constantFrom('auto', 'vip', 'm1', 'm2', 'm1@v1'),
        content: fc.constantFrom('hello', 'summarise this', 'what time is it', 'tell me more', 'ok'),
        user: fc.constantFrom('u1', 'u2', 'u3'),
        priority: fc.constantFrom(undefined, 'high', 'low'),
      })
      .map(({ model, content, user, priority }) => ({
        route: 'chat' as const,
        body: chatBody(model, content, { user, ...(priority ? { 'x-switchyard': { priority } } : {}) }),
        headers: {},
      })),
    weight: 5,
  },
  {
    arbitrary: fc.constantFrom('great', 'awful', 'fine').map((text) => ({
      route: 'invoke' as const,
      body: { model: 'classify', task: 'sentiment', payload: { text } },
      headers: {},
    })),
    weight: 1,
  },
);

// --- B's traffic: hostile and invalid requests, and requests the upstream rejects for B's input

/** A body built when it is sent (and printed by its label): fast-check cannot print deep values. */
class Lazy {
  constructor(
    readonly label: string,
    readonly make: () => unknown,
  ) {}
  [fc.toStringMethod](): string {
    return this.label;
  }
}

const deep = (depth: number, leaf: unknown = 1): unknown =>
  JSON.parse(`${'['.repeat(depth)}${JSON.stringify(leaf)}${']'.repeat(depth)}`);
/** Parsed from JSON text, so `__proto__` is an own key, as a caller's body has it. */
const parsed = (text: string): unknown => JSON.parse(text);
const poisoned = (body: Record<string, unknown>) => ({ ...body, [POISON]: true });
const chat = (body: unknown, headers: Record<string, string> = {}): Req => ({ route: 'chat', body, headers });

const hostileBody: fc.Arbitrary<Req> = fc.oneof(
  // Nested deeper than the serialiser's stack, in a pass-through field (the outage of issue 8).
  fc
    .record({
      depth: fc.integer({ min: 6_000, max: 15_000 }),
      model: fc.constantFrom('auto', 'cheap', 'm1', 'm2'),
      field: fc.constantFrom('extra', 'metadata', 'logit_bias'),
    })
    .map(({ depth, model, field }) =>
      chat(
        new Lazy(`chat ${model} with ${field} nested ${depth} deep`, () =>
          poisoned(chatBody(model, 'hi', { [field]: { a: deep(depth) } })),
        ),
      ),
    ),
  // Prototype keys in the body, the hints and the headers.
  fc.constantFrom(
    chat(
      parsed(
        `{"model":"auto","messages":[{"role":"user","content":"x"}],"__proto__":{"model":"vip"},"${POISON}":1}`,
      ),
    ),
    chat(
      parsed(
        '{"model":"auto","messages":[{"role":"user","content":"x"}],"x-switchyard":{"__proto__":{"task":"code"}}}',
      ),
    ),
    chat(parsed('{"model":"__proto__","messages":[{"role":"user","content":"x"}]}')),
    chat(parsed('{"model":"constructor","messages":[{"role":"user","content":"x"}]}')),
    // Header names that are Object.prototype keys are plain, ignored headers (prototype-free
    // maps): the body's poison is what the upstream refuses, and nothing may turn it into a 5xx.
    chat(
      poisoned(chatBody('auto', 'x')),
      parsed('{"__proto__":"x","constructor":"y","toString":"z"}') as Record<string, string>,
    ),
    chat(chatBody('auto', 'x'), { 'x-switchyard-task': '__proto__' }),
    chat(chatBody('auto', 'x'), { 'x-switchyard-priority': 'constructor' }),
  ),
  // Bad hints.
  fc
    .constantFrom<Record<string, unknown>>(
      { priority: 'urgent' },
      { max_cost_usd: -1 },
      { max_cost_usd: 1e-12 },
      { max_latency_ms: 0.001 },
      { ensemble: { size: 99 } },
      { region: '' },
      { region: 'mars-1' },
      { data_classification: 'phi' },
      { task: 'sentiment' },
      { nonsense: true },
    )
    .map((hints) => chat(poisoned(chatBody('auto', 'x', { 'x-switchyard': hints })))),
  fc
    .constantFrom<Record<string, string>>(
      { 'x-switchyard-max-latency-ms': 'NaN' },
      { 'x-switchyard-max-cost-usd': '-5' },
      { 'x-switchyard-ensemble': 'maybe' },
      { 'x-switchyard-ensemble': '{"size":' },
      { 'x-switchyard-data-classification': 'phi' },
      { 'x-switchyard-region': 'nowhere' },
    )
    .map((headers) => chat(poisoned(chatBody('auto', 'x')), headers)),
  // Unknown models, another tenant's alias, a model outside the allow-list.
  fc
    .oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('vip', 'm1@v9', 'classify', 'clf', '', '@', 'auto@v1'),
    )
    .map((model) => chat(poisoned(chatBody(model, 'x')))),
  // Oversized values.
  fc.constantFrom(
    chat(poisoned(chatBody('auto', 'x', { max_tokens: 1_000_000_000 }))),
    chat(poisoned(chatBody('auto', 'x'.repeat(40_000)))),
    chat(poisoned(chatBody('auto', 'x', { user: 'u'.repeat(300) }))),
    chat(poisoned(chatBody('m'.repeat(300), 'x'))),
  ),
  // Bad content parts and messages.
  fc
    .constantFrom<unknown>([{}], [1, 2], [{ type: '' }], { type: 'text' }, 42, [
      { type: 'text', text: deep(50) },
    ])
    .map((content) => chat(poisoned({ model: 'auto', messages: [{ role: 'user', content }] }))),
  fc
    .constantFrom<unknown>([], [{ role: 'wizard', content: 'x' }], 'hello', null, [{}], [[]])
    .map((messages) => chat(poisoned({ model: 'auto', messages }))),
  // Tool junk (passes through to the upstream, which refuses B's input).
  fc
    .record({ tools: fc.anything(), tool_choice: fc.anything(), tool_calls: fc.anything() })
    .map(({ tools, tool_choice, tool_calls }) =>
      chat(
        poisoned({
          model: 'auto',
          tools,
          tool_choice,
          messages: [
            { role: 'assistant', content: null, tool_calls: [tool_calls] },
            { role: 'user', content: 'x' },
          ],
        }),
      ),
    ),
  // Structural junk.
  fc.constantFrom(
    chat(poisoned(chatBody('auto', 'x', { stream: true }))),
    chat(poisoned(chatBody('auto', 'x', { n: 3 }))),
    chat(poisoned(chatBody('auto', 'x', { temperature: 9 }))),
    chat(poisoned(chatBody('cheap', 'x', { max_tokens: -1 }))),
    chat(null),
    chat([]),
    chat('{"model":"auto"}'),
  ),
  fc.anything().map((body) => chat(body)),
  // Invocations: poisoned payloads, bad tasks, missing payloads. (A payload nested thousands
  // deep overflows the token estimator before anything else: the edge's JSON depth cap refuses
  // such bodies before they reach the service, so they are not generated here.)
  fc
    .constantFrom<unknown>(
      { model: 'classify', task: 'sentiment', payload: { text: 'x', [POISON]: true } },
      { model: 'classify', task: 'teleport', payload: {} },
      { model: 'classify', task: 'sentiment' },
      { model: 'auto', task: 'sentiment', payload: { [POISON]: 1 } },
      parsed(`{"model":"classify","task":"sentiment","payload":{"__proto__":{"${POISON}":1}}}`),
    )
    .map((body): Req => ({ route: 'invoke', body, headers: {} })),
);

/** B also asks for dry runs of hostile bodies (they invoke nothing). */
const bRequest: fc.Arbitrary<Req> = fc.oneof(
  { arbitrary: hostileBody, weight: 6 },
  { arbitrary: hostileBody.map((r) => ({ ...r, route: 'dryRun' as const })), weight: 1 },
);

describe('tenant isolation (RouterService, in-memory ports)', () => {
  it("whatever B sends, A's decisions and answers are what they would have been without B", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(aRequest, fc.array(bRequest, { maxLength: 4 })), { minLength: 4, maxLength: 14 }),
        async (steps) => {
          const alone = new World();
          const shared = new World();
          for (const [i, [a, bs]] of steps.entries()) {
            const expected = await alone.stepA(i, a);
            expect(await shared.stepA(i, a)).toEqual(expected);
            for (const { route, seen } of await shared.stepB(i, bs)) {
              const what = JSON.stringify(seen).slice(0, 300);
              // B's calls are refused with a 4xx, never served, never a 5xx (a dry run may answer).
              if (route !== 'dryRun') expect(seen.ok, what).toBe(false);
              if (!seen.ok) {
                expect(seen.status, what).toBeGreaterThanOrEqual(400);
                expect(seen.status, what).toBeLessThan(500);
              }
            }
          }
        },
      ),
      { numRuns: 60, seed: 82_026 },
    );
  });
});

describe('tenant isolation: the cases of issue 8', () => {
  it("B's bodies nested too deep to serialise are B's 400s: nothing is sent, nothing is counted", async () => {
    const world = new World();
    for (let k = 0; k < 5; k++) {
      const seen = await world.send(
        chat(poisoned(chatBody(k % 2 ? 'cheap' : 'auto', 'hi', { extra: deep(20_000) }))),
        B,
      );
      expect(seen).toEqual({
        ok: false,
        status: 400,
        error: {
          message:
            'The request cannot be sent upstream: its JSON is nested too deeply or is too large to serialise.',
          type: 'invalid_request_error',
          param: null,
          code: 'request_not_serialisable',
        },
      });
    }
    expect(world.upstream.calls).toEqual([]);
    expect(world.store.dump()).toEqual([]);
    // A is served at once by the primary its policy picks (p2c over the m1 endpoints).
    world.reseed(1);
    const a = await world.send(chat(chatBody('vip', 'hello')), A);
    expect(a).toMatchObject({
      ok: true,
      headers: { 'x-switchyard-attempts': '1', 'x-switchyard-policy': 'a-vip' },
    });
  });

  it('/v1/models shows each tenant its own aliases and allowed models only', async () => {
    const world = new World();
    const ids = async (caller: Caller) =>
      ((await world.service.models(caller)) as { data: Array<{ id: string; alias?: true; policy?: string }> })
        .data;
    expect((await ids(A)).map((d) => (d.alias ? `${d.id} -> ${d.policy}` : d.id))).toEqual([
      'm1',
      'm1@v1',
      'm2',
      'm2@v1',
      'clf',
      'clf@v1',
      'vip -> a-vip',
      'auto -> auto',
      'classify -> classify',
    ]);
    expect((await ids(B)).map((d) => (d.alias ? `${d.id} -> ${d.policy}` : d.id))).toEqual([
      'm1',
      'm1@v1',
      'm2',
      'm2@v1',
      'cheap -> b-cheap',
      'auto -> auto',
    ]);
  });

  it('the dry run counts, but does not list, endpoints of models the tenant may not use', async () => {
    const world = new World();
    world.reseed(1);
    const out = (await world.service.dryRun(chatBody('auto', 'hi'), {}, B)) as {
      explanation: { excluded: Array<{ endpoint: string }>; excluded_count: number; excluded_hidden: number };
    };
    expect(out.explanation.excluded).toEqual([]);
    expect(out.explanation).toMatchObject({ excluded_count: 0, excluded_hidden: 1 });
    expect(JSON.stringify(out)).not.toContain('clf');
    const forA = (await world.service.dryRun(chatBody('auto', 'hi'), {}, A)) as typeof out;
    expect(forA.explanation.excluded.map((x) => x.endpoint)).toEqual(['e-clf']);
    expect(forA.explanation.excluded_hidden).toBe(0);
  });
});
