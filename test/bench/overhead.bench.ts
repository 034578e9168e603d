// Handler overhead: the router handler in-process (the local stack's module, its real adapters
// on in-process DynamoDB), invoked directly with the API Gateway proxy event the local API
// Gateway built for a chat request (authorizer context included), against a zero-latency
// OpenAI-compatible simulator. The same upstream is also called directly from this process with
// the same body; the handler's time beyond that call is its overhead (parse, budget reserve and
// settle, route, invoke bookkeeping, map, log, metrics).

import { startLocalStack } from '../../infra/local/local-stack.ts';
import { registryFile } from '../support/local-stack.helpers.ts';
import { quantile, type Reporter } from './reporter.ts';

const REGISTRY = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
endpoints:
  - { id: a, model: m1, version: v1, kind: openai-http, target: "http://a.internal/v1", region: us-east-1 }
policies:
  - { name: chat, match: { model: chat }, models: [m1] }
local:
  defaults: { latency_ms: 0, jitter_ms: 0 }
`;

export async function benchOverhead(reporter: Reporter, options: { requests?: number } = {}): Promise<void> {
  const requests = options.requests ?? 2000;
  const stack = await startLocalStack({
    registryFile: registryFile(REGISTRY),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
  });
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
    const event = captured;
    const upstream = `${stack.sim.list().find((e) => e.id === 'a')?.url}/chat/completions`;

    const time = async (fn: () => Promise<unknown>): Promise<number[]> => {
      for (let i = 0; i < 200; i++) await fn();
      const out: number[] = [];
      for (let i = 0; i < requests; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        out.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      return out;
    };
    const direct = await time(async () => {
      const r = await fetch(upstream, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, model: 'llama' }),
      });
      await r.text();
    });
    const handler = await time(async () => {
      const { output, done } = stack.runtime.invokeStreaming(router.logicalId, event);
      const bytes: Buffer[] = [];
      for await (const b of output) bytes.push(b as Buffer);
      await done;
      const text = Buffer.concat(bytes).toString('utf8');
      const prelude = JSON.parse(text.slice(0, text.indexOf('\u0000'))) as { statusCode: number };
      if (prelude.statusCode !== 200) throw new Error(`router answered ${prelude.statusCode}`);
    });
    const p = (s: number[], q: number) => Number(quantile(s, q).toFixed(1));
    reporter.report({
      name: 'overhead.upstream_direct',
      unit: 'µs',
      value: p(direct, 0.5),
      p99: p(direct, 0.99),
      requests,
    });
    reporter.report({
      name: 'overhead.router_handler',
      unit: 'µs',
      value: p(handler, 0.5),
      p99: p(handler, 0.99),
      requests,
    });
    reporter.report({
      name: 'overhead.router_beyond_upstream',
      unit: 'µs',
      value: Number((p(handler, 0.5) - p(direct, 0.5)).toFixed(1)),
      p99: Number((p(handler, 0.99) - p(direct, 0.99)).toFixed(1)),
    });
  } finally {
    await stack.stop();
  }
}
