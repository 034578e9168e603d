// Proxy overhead benchmark: a zero-latency mock upstream, reached directly, through the local
// Switchyard stack (API Gateway emulation, authorizer, router, core, adapters, all in one Node
// process) and through a peer gateway (Portkey's open-source gateway, same machine), with the
// same closed-loop load from this process; stack, peer and upstream run as child processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { quantile, type Reporter } from './reporter.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ProxyBenchOptions {
  concurrency?: number;
  durationMs?: number;
  warmupMs?: number;
}

export async function benchProxy(reporter: Reporter, options: ProxyBenchOptions = {}): Promise<void> {
  const concurrency = options.concurrency ?? 16;
  const durationMs = options.durationMs ?? 5000;
  const warmupMs = options.warmupMs ?? 1500;
  const children: ChildProcess[] = [];
  try {
    const { upstream, stack, portkeyPort, apiKey } = await startBenchProcesses(children);

    const body = JSON.stringify({
      model: 'bench',
      messages: [{ role: 'user', content: 'ping' }],
      max_tokens: 1,
    });
    const direct = { url: `${upstream.match}/v1/chat/completions`, headers: {} };
    const through = {
      url: `${stack.match}/v1/chat/completions`,
      headers: { authorization: `Bearer ${apiKey}` },
    };
    const peer = {
      url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
      headers: {
        authorization: 'Bearer unused',
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${upstream.match}/v1`,
      },
    };
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    for (const target of [direct, through, peer]) await load(agent, target, body, concurrency, warmupMs);
    const d = await load(agent, direct, body, concurrency, durationMs);
    const t = await load(agent, through, body, concurrency, durationMs);
    const p = await load(agent, peer, body, concurrency, durationMs);
    agent.destroy();
    const detail = { concurrency, duration_ms: durationMs, upstream_latency_ms: 0 };
    reporter.report({ name: 'proxy.direct.rps', unit: 'req/s', value: d.rps, ...detail });
    reporter.report({ name: 'proxy.direct.p50', unit: 'ms', value: d.p50, ...detail });
    reporter.report({ name: 'proxy.direct.p99', unit: 'ms', value: d.p99, ...detail });
    reporter.report({
      name: 'proxy.switchyard.rps',
      unit: 'req/s',
      value: t.rps,
      errors: t.errors,
      ...detail,
    });
    reporter.report({ name: 'proxy.switchyard.p50', unit: 'ms', value: t.p50, ...detail });
    reporter.report({ name: 'proxy.switchyard.p99', unit: 'ms', value: t.p99, ...detail });
    reporter.report({
      name: 'proxy.ratio.rps',
      unit: 'x',
      value: t.rps / d.rps,
      baseline: 'direct',
      ...detail,
    });
    reporter.report({
      name: 'proxy.ratio.p50',
      unit: 'x',
      value: t.p50 / d.p50,
      baseline: 'direct',
      ...detail,
    });
    reporter.report({
      name: 'proxy.ratio.p99',
      unit: 'x',
      value: t.p99 / d.p99,
      baseline: 'direct',
      ...detail,
    });
    reporter.report({
      name: 'proxy.added.p50',
      unit: 'ms',
      value: t.p50 - d.p50,
      baseline: 'direct',
      ...detail,
    });
    const peerDetail = { peer: 'portkey-gateway 1.15 (no routing, no auth)', ...detail };
    reporter.report({ name: 'proxy.peer.rps', unit: 'req/s', value: p.rps, errors: p.errors, ...peerDetail });
    reporter.report({ name: 'proxy.peer.p50', unit: 'ms', value: p.p50, ...peerDetail });
    reporter.report({ name: 'proxy.peer.p99', unit: 'ms', value: p.p99, ...peerDetail });
    reporter.report({
      name: 'proxy.ratio.rps_vs_peer',
      unit: 'x',
      value: t.rps / p.rps,
      baseline: 'peer',
      ...peerDetail,
    });
    reporter.report({
      name: 'proxy.ratio.p50_vs_peer',
      unit: 'x',
      value: t.p50 / p.p50,
      baseline: 'peer',
      ...peerDetail,
    });
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((ok) => (c.exitCode === null ? c.once('exit', ok) : ok(null)))),
    );
  }
}

/**
 * The three processes both proxy benches drive: the mock upstream, the local stack routing to it
 * (usage plan off: this measures routing, not the plan's throttle) and Portkey's gateway. Each
 * is pushed onto `children` as it starts, for the caller to kill.
 */
export async function startBenchProcesses(children: ChildProcess[]) {
  const upstream = await startChild(
    ['--import', 'tsx', join(ROOT, 'test/bench/mock-upstream.ts')],
    {},
    /READY (\S+)/,
  );
  children.push(upstream.child);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const registryFile = join(dir, 'registry.yaml');
  writeFileSync(registryFile, benchRegistry(`${upstream.match}/v1`));
  const apiKey = 'sk-sy-bench-key-0123456789';
  const stack = await startChild(
    ['--import', 'tsx', join(ROOT, 'infra/local/main.ts')],
    {
      PORT: '0',
      SWITCHYARD_API_KEY: apiKey,
      SWITCHYARD_REGISTRY: registryFile,
      SWITCHYARD_LOG_LEVEL: 'ERROR',
      SWITCHYARD_HEALTH_INTERVAL_MS: '3600000',
      SWITCHYARD_USAGE_PLAN: 'off',
    },
    /API\s+(\S+)\/v1/,
  );
  children.push(stack.child);
  const portkeyPort = await freePort();
  const portkey = await startChild(
    [
      join(ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js'),
      `--port=${portkeyPort}`,
      '--headless',
    ],
    { NODE_ENV: 'production' },
    /(Ready for connections)/,
  );
  children.push(portkey.child);
  return { upstream, stack, portkeyPort, apiKey };
}

export function freePort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => ok(port));
    });
  });
}

export function benchRegistry(upstreamUrl: string): string {
  return `models:
  - { id: bench-model, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1], cost: { input_per_1k: 0.0001, output_per_1k: 0.0001 } }
endpoints:
  - { id: bench-upstream, model: bench-model, version: v1, kind: openai-http, target: "${upstreamUrl}", region: us-east-1 }
policies:
  - { name: bench, match: { model: bench }, models: [bench-model], strategy: weighted, fallback: { count: 0 } }
local:
  endpoints:
    bench-upstream: { simulate: false }
`;
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  agent: Agent,
  target: { url: string; headers: Record<string, string> },
  body: string,
  concurrency: number,
  durationMs: number,
): Promise<LoadResult> {
  const samples: number[] = [];
  let errors = 0;
  const end = performance.now() + durationMs;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const status = await post(agent, target, body);
      if (status === 200) samples.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { rps: samples.length / elapsed, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), errors };
}

function post(
  agent: Agent,
  target: { url: string; headers: Record<string, string> },
  body: string,
): Promise<number> {
  return new Promise((ok) => {
    const req = request(
      target.url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...target.headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', () => ok(0));
    req.end(body);
  });
}

export async function startChild(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: string }> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = ready.exec(out);
      if (m) ok({ child, match: m[1] as string });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('exit', (code) => fail(new Error(`${args.at(-1)} exited with ${code}: ${err.slice(-2000)}`)));
  });
}
