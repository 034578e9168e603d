// Streaming benchmark: one streaming mock upstream (mock-upstream.ts: first chunk after 20 ms, 20
// chunks 2 ms apart), reached directly, through the local Switchyard stack (API Gateway emulation
// in STREAM mode, authorizer, streamified router, core streaming execution, adapters) and through
// Portkey's open-source gateway, with the same closed-loop load. Per stream: time to the first
// content chunk (TTFT) and to the end; reports p50/p99 of each and the TTFT Switchyard adds.

import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { startBenchProcesses } from './proxy.bench.ts';
import { quantile, type Reporter } from './reporter.ts';

export async function benchStream(
  reporter: Reporter,
  options: { concurrency?: number; durationMs?: number } = {},
) {
  const concurrency = options.concurrency ?? 8;
  const durationMs = options.durationMs ?? 4000;
  const children: ChildProcess[] = [];
  try {
    const { upstream, stack, portkeyPort, apiKey } = await startBenchProcesses(children);
    const body = JSON.stringify({
      model: 'bench',
      messages: [{ role: 'user', content: 'ping' }],
      stream: true,
    });
    const targets = {
      direct: { url: `${upstream.match}/v1/chat/completions`, headers: {} },
      switchyard: {
        url: `${stack.match}/v1/chat/completions`,
        headers: { authorization: `Bearer ${apiKey}` },
      },
      peer: {
        url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
        headers: {
          authorization: 'Bearer unused',
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': `${upstream.match}/v1`,
        },
      },
    };
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    for (const t of Object.values(targets)) await load(agent, t, body, concurrency, 800);
    const r = {
      direct: await load(agent, targets.direct, body, concurrency, durationMs),
      switchyard: await load(agent, targets.switchyard, body, concurrency, durationMs),
      peer: await load(agent, targets.peer, body, concurrency, durationMs),
    };
    agent.destroy();
    const detail = {
      concurrency,
      duration_ms: durationMs,
      upstream_ttft_ms: 20,
      chunks: 20,
      chunk_gap_ms: 2,
    };
    for (const [name, x] of Object.entries(r)) {
      if (x.n === 0) {
        // Portkey 1.15 answers every streamed request 500 on this Node ("TypeError: immutable" in
        // its header update of the upstream's streamed response): report that, not NaNs.
        reporter.report({
          name: `stream.${name}.failed`,
          unit: 'streams',
          value: x.errors,
          note: 'no stream succeeded',
        });
        continue;
      }
      const d = name === 'peer' ? { peer: 'portkey-gateway 1.15 (no routing, no auth)', ...detail } : detail;
      reporter.report({
        name: `stream.${name}.ttft.p50`,
        unit: 'ms',
        value: x.ttft50,
        streams: x.n,
        errors: x.errors,
        ...d,
      });
      reporter.report({ name: `stream.${name}.ttft.p99`, unit: 'ms', value: x.ttft99, ...d });
      reporter.report({ name: `stream.${name}.total.p50`, unit: 'ms', value: x.total50, ...d });
      reporter.report({ name: `stream.${name}.total.p99`, unit: 'ms', value: x.total99, ...d });
    }
    const s = r.switchyard;
    reporter.report({
      name: 'stream.added_ttft.p50',
      unit: 'ms',
      value: s.ttft50 - r.direct.ttft50,
      baseline: 'direct',
      ...detail,
    });
    reporter.report({
      name: 'stream.added_ttft.p99',
      unit: 'ms',
      value: s.ttft99 - r.direct.ttft99,
      baseline: 'direct',
      ...detail,
    });
    // A peer whose every stream failed has no figures to compare with (reported as failed above).
    if (r.peer.n === 0) return;
    reporter.report({
      name: 'stream.peer_added_ttft.p50',
      unit: 'ms',
      value: r.peer.ttft50 - r.direct.ttft50,
      baseline: 'direct',
      ...detail,
    });
    reporter.report({
      name: 'stream.peer_added_ttft.p99',
      unit: 'ms',
      value: r.peer.ttft99 - r.direct.ttft99,
      baseline: 'direct',
      ...detail,
    });
    reporter.report({
      name: 'stream.ratio.ttft_p50_vs_peer',
      unit: 'x',
      value: s.ttft50 / r.peer.ttft50,
      baseline: 'peer',
      ...detail,
    });
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((ok) => (c.exitCode === null ? c.once('exit', ok) : ok(null)))),
    );
  }
}

interface StreamLoad {
  n: number;
  errors: number;
  ttft50: number;
  ttft99: number;
  total50: number;
  total99: number;
}

async function load(
  agent: Agent,
  target: { url: string; headers: Record<string, string> },
  body: string,
  concurrency: number,
  durationMs: number,
): Promise<StreamLoad> {
  const ttfts: number[] = [];
  const totals: number[] = [];
  let errors = 0;
  const end = performance.now() + durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const r = await streamOnce(agent, target, body);
      if (r) {
        ttfts.push(r.ttft);
        totals.push(r.total);
      } else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    n: ttfts.length,
    errors,
    ttft50: quantile(ttfts, 0.5),
    ttft99: quantile(ttfts, 0.99),
    total50: quantile(totals, 0.5),
    total99: quantile(totals, 0.99),
  };
}

/** One stream: ms to the first content delta and to the end, or undefined when it failed. */
function streamOnce(
  agent: Agent,
  target: { url: string; headers: Record<string, string> },
  body: string,
): Promise<{ ttft: number; total: number } | undefined> {
  return new Promise((ok) => {
    const t0 = performance.now();
    let ttft: number | undefined;
    let text = '';
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
        if (res.statusCode !== 200) {
          res.resume();
          res.on('end', () => ok(undefined));
          return;
        }
        res.on('data', (c: Buffer) => {
          text += c.toString();
          if (ttft === undefined && text.includes('"content":"tok')) ttft = performance.now() - t0;
        });
        res.on('end', () =>
          ok(
            ttft !== undefined && text.includes('[DONE]')
              ? { ttft, total: performance.now() - t0 }
              : undefined,
          ),
        );
        res.on('error', () => ok(undefined));
      },
    );
    req.on('error', () => ok(undefined));
    req.end(body);
  });
}
