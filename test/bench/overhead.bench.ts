// Handler overhead: the router handler in-process, invoked directly with the API Gateway proxy
// event the local API Gateway built for a chat request (authorizer context included), with
// response streaming as API Gateway invokes it. Three routers in the same run, the same event:
//   - `memory`: the handler built by createRouterHandler (router.factory.ts), alone in a fresh
//     process (overhead.child.ts, bundled as the functions are; 5,000 warm-ups: it keeps
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
// Each figure's `includes` says what it contains. The event (parsed from its JSON), the context
// and the response stream are built before the timed window, as Lambda's runtime builds them
// before calling the handler; the answer is decoded and checked after it.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createInferenceClient, parseRegistryFile } from '@switchyard/adapters';
import type { Registry } from '@switchyard/core';
import { buildSync } from 'esbuild';
import { nodeBundleOptions } from '../../infra/constructs/shared-layers.construct.ts';
import { installAwsLambdaGlobal } from '../../infra/local/lambda-runtime.ts';
import { startLocalStack } from '../../infra/local/local-stack.ts';
import { registryFile } from '../support/local-stack.helpers.ts';
import {
  checkAnswer,
  type Invocation,
  invocation,
  invokeStreamed,
  memoryRouter,
  REGISTRY,
  type StreamingHandler,
  streamedBody,
  time,
  zeroLatencyUpstream,
} from './overhead.router.ts';
import { quantile, type Reporter } from './reporter.ts';

/** Fresh processes the in-memory router is measured in (medians over them). */
const CHILD_RUNS = 5;

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
    const viaHttp = (call: Invocation) =>
      invokeStreamed(memoryHttp.handler as unknown as StreamingHandler, call);
    const viaInProcess = (call: Invocation) =>
      invokeStreamed(memoryInProcess.handler as unknown as StreamingHandler, call);
    for (const via of [viaInProcess, viaHttp]) {
      const call = invocation(eventJson);
      await via(call);
      checkAnswer(streamedBody(call));
    }
    const rounds = 4;
    const per = Math.ceil(requests / rounds);
    for (let r = 0; r < rounds; r++) {
      const warm = r === 0 ? 5000 : 0;
      direct.push(...(await time(eventJson, per, r === 0 ? 500 : 0, directCall)));
      inProcess.push(...(await time(eventJson, per, warm, viaInProcess, streamedBody)));
      inMemoryHttp.push(...(await time(eventJson, per, warm, viaHttp, streamedBody)));
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
  // node --cpu-prof --import tsx test/bench/overhead.child.ts <file> 20000 5000 (names kept by tsx)
  if (process.env.OVERHEAD_EVENT_OUT) writeFileSync(process.env.OVERHEAD_EVENT_OUT, eventJson);
  // Built as the functions' bundles are (minified, no keepNames), not run through tsx's loader.
  const child = join(dir, 'overhead.child.mjs');
  buildSync({
    ...nodeBundleOptions(),
    entryPoints: [fileURLToPath(new URL('./overhead.child.ts', import.meta.url))],
    outfile: child,
    logLevel: 'warning',
  });
  // Several fresh processes, one after the other: a process's p50 and p99 move with machine-wide
  // stalls that last a few seconds; the figures are the median over the runs.
  const runs: { p50: number; p99: number }[] = [];
  for (let r = 0; r < CHILD_RUNS; r++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [child, eventFile, String(requests), '5000'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const samples = JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as number[];
    runs.push({
      p50: Number(quantile(samples, 0.5).toFixed(1)),
      p99: Number(quantile(samples, 0.99).toFixed(1)),
    });
  }
  rmSync(dir, { recursive: true, force: true });
  const median = (xs: number[]) => Number(quantile(xs, 0.5).toFixed(1));
  const inMemoryP50 = median(runs.map((r) => r.p50));
  const inMemoryP99 = median(runs.map((r) => r.p99));
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
    value: inMemoryP50,
    p99: inMemoryP99,
    requests,
    runs: runs.map((r) => `${r.p50}/${r.p99}`).join(' '),
    target_p50: 150,
    target_p99: 1000,
    met: inMemoryP50 <= 150 && inMemoryP99 <= 1000,
    includes:
      'handler alone in a fresh process (bundled as shipped) after 5,000 warm-ups (middy, logger context, parse, budgets+leases, route, invoke bookkeeping, meter, map, EMF) on in-memory stores, in-process zero-latency upstream; p50 and p99 the medians over 5 processes (runs: p50/p99 each)',
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
