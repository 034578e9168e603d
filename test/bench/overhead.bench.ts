// Handler overhead: the router handler in-process, invoked directly with the API Gateway proxy
// event the local API Gateway built for a chat request (authorizer context included), with
// response streaming as API Gateway invokes it. Three routers in the same run, the same event:
//   - `memory`: the handler built by createRouterHandler (router.factory.ts), alone in a fresh
//     process (overhead.child.ts; 5,000 warm-ups: it keeps
//     getting faster for the first few thousand requests, as a warm container does), over zero-latency
//     in-memory stores (registry, health, budgets and leases, usage, tenants' budgets) and a
//     zero-latency in-process upstream (a canned chat.completion): the handler's own work per
//     request (parse, authorise context, budgets, decide, invoke bookkeeping, meter, map, log,
//     metrics), which is what the target (p50 <= 150 us, p99 <= 1 ms) is about;
//   - `memory_http`: the same in-memory stores, the real HTTP inference client against the
//     zero-latency OpenAI-compatible simulator; the direct call to the simulator from this process
//     is subtracted (the handler's work plus what its HTTP client costs beyond a bare `fetch`);
//   - `dynamodb`: the local stack's router module as shipped, its real adapters on the in-process
//     DynamoDB (dynalite): AWS SDK and dynalite CPU included, minus the direct call.
// Each figure's `includes` says what it contains. The event is parsed from its JSON before the
// timed window, as Lambda's runtime does before calling the handler.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createInferenceClient,
  EmfMetrics,
  MemoryBudgetStore,
  MemoryUsageStore,
  parseRegistryFile,
} from '@switchyard/adapters';
import type { InferenceClient, Registry, RouterCircuitChange, TenantBudgetConfig } from '@switchyard/core';
import type { Context } from 'aws-lambda';
import { installAwsLambdaGlobal } from '../../infra/local/lambda-runtime.ts';
import { startLocalStack } from '../../infra/local/local-stack.ts';
import { registryFile } from '../support/local-stack.helpers.ts';
import { MemoryHealthStore } from '../support/memory-health.store.ts';
import { quantile, type Reporter } from './reporter.ts';

export const REGISTRY = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
endpoints:
  - { id: a, model: m1, version: v1, kind: openai-http, target: "http://a.internal/v1", region: us-east-1 }
policies:
  - { name: chat, match: { model: chat }, models: [m1] }
local:
  defaults: { latency_ms: 0, jitter_ms: 0 }
`;

/** The tenant's budgets in the in-memory routers: a spend budget and both rate limits, never reached. */
const TENANT_BUDGETS: TenantBudgetConfig = {
  budget: { limit_usd: 1_000_000, period: 'month' },
  rate_limits: { tokens_per_minute: 1_000_000_000, requests_per_minute: 1_000_000_000 },
};

/** The answer of the in-process upstream (parsed per call, as an HTTP client parses it), with no network. */
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_764_633_600,
  model: 'llama',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
});
export const zeroLatencyUpstream: InferenceClient = {
  invoke: async () => ({
    body: JSON.parse(COMPLETION) as unknown,
    usage: { prompt_tokens: 9, completion_tokens: 3 },
  }),
};

export type StreamingHandler = (event: unknown, stream: Writable, context: Context) => Promise<unknown>;

/** Lambda's context for one invocation of `name`. */
function context(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Invokes a streamified handler as InvokeWithResponseStream does; checks the prelude's status and
 * returns the answer's body (the text after the prelude's NUL separator).
 */
export async function invokeStreamed(handler: StreamingHandler, event: unknown): Promise<string> {
  const bytes: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes.push(chunk);
      cb();
    },
  });
  await handler(event, out, context('router'));
  if (!out.writableEnded) out.end();
  const text = Buffer.concat(bytes).toString('utf8');
  const prelude = JSON.parse(text.slice(0, text.indexOf('\u0000'))) as { statusCode: number };
  if (prelude.statusCode !== 200) throw new Error(`router answered ${prelude.statusCode}: ${text}`);
  return text.slice(text.lastIndexOf('\u0000') + 1);
}

/**
 * Checks once, before timing, that `body` is the upstream's chat.completion as the router answers
 * it (served by m1): a timed loop that answered something else would measure the wrong work.
 */
export function checkAnswer(body: string): void {
  const answer = JSON.parse(body) as { object?: unknown; model?: unknown; choices?: unknown };
  if (answer.object !== 'chat.completion' || answer.model !== 'm1' || !Array.isArray(answer.choices)) {
    throw new Error(`unexpected answer: ${body.slice(0, 200)}`);
  }
}

/** A router over in-memory stores (router.factory.ts), with `inference` as its upstream client. */
export async function memoryRouter(registry: Registry, inference: InferenceClient) {
  const { createRouterHandler } = await import('../../functions/router/router.factory.ts');
  const health = Object.assign(new MemoryHealthStore(), {
    publishRouterCircuits: async (_container: string, _changes: readonly RouterCircuitChange[]) => {},
  });
  const registrySource = {
    load: async () => registry,
    replace: async () => {},
  };
  return createRouterHandler({
    stores: {
      registry: registrySource,
      health,
      budgets: new MemoryBudgetStore(),
      usage: new MemoryUsageStore(),
      tenants: { get: async () => TENANT_BUDGETS },
    },
    inference,
    settings: {
      REGISTRY_CACHE_TTL_MS: 5000,
      HEALTH_CACHE_TTL_MS: 2000,
      HEALTH_FRESH_MS: 30_000,
      MAX_BODY_BYTES: 6 * 1024 * 1024,
      OUTCOME_FLUSH_MS: 1000,
      INFLIGHT_FRESH_MS: 10_000,
      TENANT_CACHE_TTL_MS: 5000,
      BUDGET_LEASE_TTL_MS: 60_000,
    },
    // As in Lambda (INFO, JSON to stdout: nothing is logged for a served request), and the EMF
    // documents built and serialised as in Lambda, written nowhere.
    logger: new Logger({ serviceName: 'switchyard-router', logLevel: 'INFO' }),
    emf: new EmfMetrics({ serviceName: 'router', disabled: false, write: () => {} }),
  });
}

/** Times `fn` over `requests` calls after `warmups`; each call gets a freshly parsed event. */
export async function time(
  eventJson: string,
  requests: number,
  warmups: number,
  fn: (event: unknown) => Promise<unknown>,
): Promise<number[]> {
  const events = Array.from({ length: requests + warmups }, () => JSON.parse(eventJson) as unknown);
  for (let i = 0; i < warmups; i++) await fn(events[i]);
  const out: number[] = [];
  for (let i = 0; i < requests; i++) {
    const event = events[warmups + i];
    const t0 = process.hrtime.bigint();
    await fn(event);
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}

export async function benchOverhead(reporter: Reporter, options: { requests?: number } = {}): Promise<void> {
  const requests = options.requests ?? 2000;
  let eventJson = '';
  const direct: number[] = [];
  const inMemoryHttp: number[] = [];
  const inProcess: number[] = [];
  let dynamo: number[] = [];
  let registry: Registry | undefined;
  const stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
  });
  const stops: (() => void)[] = [];
  try {
    const router = stack.runtime.functions.find((f) => f.entry === 'functions/router/router.handler.ts');
    if (!router) throw new Error('no router function in the local stack');
    // Capture the event the local API Gateway builds for one chat request (the router is
    // streamified: API Gateway invokes it with response streaming).
    let captured: unknown;
    const invoke = stack.runtime.invokeStreaming.bind(stack.runtime);
    stack.runtime.invokeStreaming = (name, event) => {
      if (name === router.logicalId || name === router.name || name === router.arn) captured = event;
      return invoke(name, event);
    };
    const body = { model: 'chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 };
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`warm-up request: HTTP ${res.status}`);
    stack.runtime.invokeStreaming = invoke;
    if (!captured) throw new Error('the router was not invoked');
    eventJson = JSON.stringify(captured);
    const simBase = stack.sim.list().find((e) => e.id === 'a')?.url;
    if (!simBase) throw new Error('no simulated endpoint a');
    const upstream = `${simBase}/chat/completions`;

    // The same registry, its endpoint pointed at the simulator (as the local stack seeds it).
    registry = parseRegistryFile(REGISTRY, 'bench').registry;
    for (const e of registry.endpoints) e.target = simBase;
    installAwsLambdaGlobal();
    const memoryHttp = await memoryRouter(registry, createInferenceClient());
    stops.push(memoryHttp.stop);

    // Same process, interleaved rounds, each variant warmed as the child is: the in-memory
    // router with the in-process upstream beside the one with the HTTP client, so their
    // difference minus the direct call is what the HTTP client costs beyond a bare fetch.
    const memoryInProcess = await memoryRouter(registry, zeroLatencyUpstream);
    stops.push(memoryInProcess.stop);
    const directCall = async () => {
      const r = await fetch(upstream, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, model: 'llama' }),
      });
      await r.text();
    };
    const viaHttp = (event: unknown) =>
      invokeStreamed(memoryHttp.handler as unknown as StreamingHandler, event);
    const viaInProcess = (event: unknown) =>
      invokeStreamed(memoryInProcess.handler as unknown as StreamingHandler, event);
    const first = JSON.parse(eventJson) as unknown;
    checkAnswer(await invokeStreamed(memoryInProcess.handler as unknown as StreamingHandler, first));
    checkAnswer(
      await invokeStreamed(memoryHttp.handler as unknown as StreamingHandler, JSON.parse(eventJson)),
    );
    const rounds = 4;
    const per = Math.ceil(requests / rounds);
    for (let r = 0; r < rounds; r++) {
      const warm = r === 0 ? 5000 : 0;
      direct.push(...(await time(eventJson, per, r === 0 ? 500 : 0, directCall)));
      inProcess.push(...(await time(eventJson, per, warm, viaInProcess)));
      inMemoryHttp.push(...(await time(eventJson, per, warm, viaHttp)));
    }
    dynamo = await time(eventJson, requests, 200, async () => {
      const { output, done } = stack.runtime.invokeStreaming(router.logicalId, captured);
      const bytes: Buffer[] = [];
      for await (const b of output) bytes.push(b as Buffer);
      await done;
      const text = Buffer.concat(bytes).toString('utf8');
      const prelude = JSON.parse(text.slice(0, text.indexOf('\u0000'))) as { statusCode: number };
      if (prelude.statusCode !== 200) throw new Error(`router answered ${prelude.statusCode}`);
    });
  } finally {
    for (const stop of stops) stop();
    await stack.stop();
  }
  // The in-memory router alone in a fresh process (overhead.child.ts): none of the local stack's
  // servers, timers, router containers or heap beside it; warmed up as a busy container is.
  const dir = mkdtempSync(join(tmpdir(), 'overhead-'));
  const eventFile = join(dir, 'event.json');
  writeFileSync(eventFile, eventJson);
  // OVERHEAD_EVENT_OUT=<file> keeps a copy of the event, to profile the child alone:
  // node --cpu-prof --import tsx test/bench/overhead.child.ts <file> 20000 5000
  if (process.env.OVERHEAD_EVENT_OUT) writeFileSync(process.env.OVERHEAD_EVENT_OUT, eventJson);
  const child = fileURLToPath(new URL('./overhead.child.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', child, eventFile, String(requests), '5000'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  rmSync(dir, { recursive: true, force: true });
  const inMemory = JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as number[];
  const p = (s: number[], q: number) => Number(quantile(s, q).toFixed(1));
  const beyond = (s: number[], q: number) => Number((p(s, q) - p(direct, q)).toFixed(1));
  reporter.report({
    name: 'overhead.upstream_direct',
    unit: 'µs',
    value: p(direct, 0.5),
    p99: p(direct, 0.99),
    requests,
    includes: 'fetch to the zero-latency simulator from this process, body read',
  });
  reporter.report({
    name: 'overhead.router_handler.memory',
    unit: 'µs',
    value: p(inMemory, 0.5),
    p99: p(inMemory, 0.99),
    requests,
    target_p50: 150,
    target_p99: 1000,
    met: p(inMemory, 0.5) <= 150 && p(inMemory, 0.99) <= 1000,
    includes:
      'handler alone in a fresh process after 5,000 warm-ups (middy, logger context, parse, budgets+leases, route, invoke bookkeeping, meter, map, EMF) on in-memory stores, in-process zero-latency upstream',
  });
  reporter.report({
    name: 'overhead.router_beyond_upstream.memory_http',
    unit: 'µs',
    value: beyond(inMemoryHttp, 0.5),
    p99: beyond(inMemoryHttp, 0.99),
    handler_p50: p(inMemoryHttp, 0.5),
    handler_p99: p(inMemoryHttp, 0.99),
    includes:
      'handler on in-memory stores + its HTTP inference client, minus a direct fetch to the simulator',
  });
  reporter.report({
    name: 'overhead.router_handler.memory_same_process',
    unit: 'µs',
    value: p(inProcess, 0.5),
    p99: p(inProcess, 0.99),
    requests: inProcess.length,
    includes:
      'the in-memory handler with the in-process upstream, in the local stack process, interleaved with the HTTP variant (5,000 warm-ups)',
  });
  reporter.report({
    name: 'overhead.http_client_beyond_fetch',
    unit: 'µs',
    value: Number((p(inMemoryHttp, 0.5) - p(inProcess, 0.5) - p(direct, 0.5)).toFixed(1)),
    ratio_http_vs_in_process_plus_direct: Number(
      (p(inMemoryHttp, 0.5) / (p(inProcess, 0.5) + p(direct, 0.5))).toFixed(2),
    ),
    load_average_1m: Number(loadavg()[0]?.toFixed(2)),
    includes:
      'p50 of the handler with the HTTP client minus the same handler with the in-process upstream minus a direct fetch (same process, interleaved)',
  });
  reporter.report({
    name: 'overhead.router_beyond_upstream.dynamodb',
    unit: 'µs',
    value: beyond(dynamo, 0.5),
    p99: beyond(dynamo, 0.99),
    handler_p50: p(dynamo, 0.5),
    handler_p99: p(dynamo, 0.99),
    includes:
      'local stack router: real adapters on in-process DynamoDB (SDK and dynalite CPU), minus a direct fetch',
  });
}
