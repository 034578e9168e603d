// The upstream's Retry-After reaches the core on UpstreamError.retryAfterMs: from the simulated
// OpenAI-compatible server at capacity (429, `Retry-After: 1`), and from ad-hoc servers sending
// an HTTP date, OpenAI's `retry-after-ms`, or nothing readable. SageMaker throttling has none.
import { OpenAiHttpInferenceClient, retryAfterMs } from '@switchyard/adapters';
import type { InferenceCall, PlanTarget } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimEndpoints, startSimEndpoints } from '../../../infra/local/sim-endpoints.server.ts';
import { failure, neverAborted, simConfig, startAdHocServer, targetFor } from './sim-fixtures.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const client = new OpenAiHttpInferenceClient({ now: () => NOW });
const chat: InferenceCall = {
  kind: 'chat',
  body: { model: 'x', messages: [{ role: 'user', content: 'hi' }] },
};
let sim: SimEndpoints;

beforeAll(async () => {
  sim = await startSimEndpoints({ endpoints: [simConfig('gpu-a', 'openai-http', { latency_ms: 300 })] });
});
afterAll(async () => {
  await sim.stop();
});

const adHocTarget = (url: string): PlanTarget => ({
  endpoint: 'ad-hoc',
  model: 'm',
  version: 'v1',
  kind: 'openai-http',
  target: `${url}/v1`,
  region: 'us-east-1',
  upstream_model: 'm',
  timeout_ms: 5000,
  estimated_cost_usd: 0,
});

async function errorFrom(status: number, headers: Record<string, string>) {
  const server = await startAdHocServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end('{"error":{"message":"slow down"}}');
  });
  try {
    return await failure(client.invoke(adHocTarget(server.url), chat, neverAborted()));
  } finally {
    await server.stop();
  }
}

describe('Retry-After on UpstreamError', () => {
  it('carries the simulator`s Retry-After of a 429 at capacity', async () => {
    sim.setProfile('gpu-a', { capacity: 1 });
    const busy = client.invoke(targetFor(sim, 'gpu-a'), chat, neverAborted());
    const err = await failure(client.invoke(targetFor(sim, 'gpu-a'), chat, neverAborted()));
    await busy;
    expect(err).toMatchObject({ failure: 'throttled', upstreamStatus: 429, retryAfterMs: 1000 });
  });

  it('reads an HTTP date against the client clock, and OpenAI`s retry-after-ms first', async () => {
    const inThree = new Date(NOW + 3000).toUTCString();
    expect((await errorFrom(503, { 'retry-after': inThree })).retryAfterMs).toBe(3000);
    expect((await errorFrom(429, { 'retry-after-ms': '250', 'retry-after': '9' })).retryAfterMs).toBe(250);
    expect((await errorFrom(503, { 'retry-after': 'soon' })).retryAfterMs).toBeUndefined();
    expect((await errorFrom(500, {})).retryAfterMs).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  const h = (values: Record<string, string>) => new Headers(values);
  it('parses delta-seconds, dates (never negative) and milliseconds', () => {
    expect(retryAfterMs(h({ 'retry-after': '0' }), NOW)).toBe(0);
    expect(retryAfterMs(h({ 'retry-after': '2' }), NOW)).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after': new Date(NOW - 5000).toUTCString() }), NOW)).toBe(0);
    expect(retryAfterMs(h({ 'retry-after-ms': '12.2' }), NOW)).toBe(13);
    expect(retryAfterMs(h({ 'retry-after': '-1' }), NOW)).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': '1.5' }), NOW)).toBeUndefined();
    expect(retryAfterMs(h({}), NOW)).toBeUndefined();
  });
});
