import {
  createSageMakerClient,
  createSageMakerRuntimeClient,
  HttpEndpointProber,
  InferenceClientByKind,
  OpenAiHttpInferenceClient,
  ProberByKind,
  probeCall,
  SageMakerEndpointProber,
  SageMakerInferenceClient,
} from '@switchyard/adapters';
import type { ChatCompletionResponse } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SimEndpoints, startSimEndpoints } from '../../../infra/local/sim-endpoints.server.ts';
import { LOCAL_AWS } from '../../support/local-aws.ts';
import {
  closedPortUrl,
  endpointFor,
  neverAborted,
  simConfig,
  startAdHocServer,
  targetFor,
} from './sim-fixtures.ts';

let sim: SimEndpoints;
let sageMakerProber: SageMakerEndpointProber;
const httpProber = new HttpEndpointProber();

beforeAll(async () => {
  sim = await startSimEndpoints({
    endpoints: [
      simConfig('gpu-a', 'openai-http'),
      simConfig('sm-llama', 'sagemaker'),
      simConfig('sm-sentiment', 'sagemaker', { model: 'sentiment-bert', upstream_model: 'sentiment-bert' }),
    ],
  });
  const aws = { ...LOCAL_AWS, endpoint: sim.url };
  sageMakerProber = new SageMakerEndpointProber({
    control: createSageMakerClient(aws),
    runtime: createSageMakerRuntimeClient(aws),
  });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  for (const e of sim.list()) {
    sim.setFault(e.id, 'ok');
    sim.setProfile(e.id, { latency_ms: 1 });
  }
});

describe('HttpEndpointProber', () => {
  it('is ok when GET {target}/models answers 2xx, with its latency', async () => {
    const result = await httpProber.probe(endpointFor(sim, 'gpu-a'), neverAborted());
    expect(result).toEqual({
      ok: true,
      latency_ms: expect.any(Number),
      detail: 'GET /gpu-a/v1/models → HTTP 200',
    });
    expect(result.latency_ms).toBeGreaterThanOrEqual(0);
    expect(sim.stats('gpu-a').probes).toBeGreaterThan(0);
  });

  it('is not ok on a reset connection (down) or an HTTP 500 (error)', async () => {
    sim.setFault('gpu-a', 'down');
    const down = await httpProber.probe(endpointFor(sim, 'gpu-a'), neverAborted());
    expect(down).toMatchObject({ ok: false, detail: 'gpu-a: connection failed (UND_ERR_SOCKET)' });
    sim.setFault('gpu-a', 'error');
    expect(await httpProber.probe(endpointFor(sim, 'gpu-a'), neverAborted())).toMatchObject({
      ok: false,
      detail: 'GET /gpu-a/v1/models → HTTP 500',
    });
  });

  it('falls back to the server root /health when /models is 404', async () => {
    const seen: string[] = [];
    const server = await startAdHocServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(req.url === '/health' ? 200 : 404);
      res.end();
    });
    try {
      const endpoint = { ...endpointFor(sim, 'gpu-a'), target: `${server.url}/v1` };
      expect(await httpProber.probe(endpoint, neverAborted())).toMatchObject({
        ok: true,
        detail: 'GET /health → HTTP 200',
      });
      expect(seen).toEqual(['/v1/models', '/health']);
    } finally {
      await server.stop();
    }
  });

  it('reports a refused connection and an aborted probe as not ok', async () => {
    const refused = { ...endpointFor(sim, 'gpu-a'), target: `${await closedPortUrl()}/v1` };
    expect(await httpProber.probe(refused, neverAborted())).toMatchObject({
      ok: false,
      detail: 'gpu-a: connection failed (ECONNREFUSED)',
    });
    const controller = new AbortController();
    controller.abort();
    expect(await httpProber.probe(endpointFor(sim, 'gpu-a'), controller.signal)).toMatchObject({
      ok: false,
      detail: 'gpu-a: the attempt timed out',
    });
  });
});

describe('SageMakerEndpointProber', () => {
  it('checks InService then sends chat with max_tokens 1 for chat models', async () => {
    const before = sim.stats('sm-llama');
    const result = await sageMakerProber.probe(endpointFor(sim, 'sm-llama'), neverAborted(), {
      tasks: ['chat', 'code'],
    });
    expect(result).toEqual({
      ok: true,
      latency_ms: expect.any(Number),
      detail: 'InService, chat invocation answered',
    });
    const after = sim.stats('sm-llama');
    expect(after.probes - before.probes).toBe(1);
    expect(after.served - before.served).toBe(1);
    expect(probeCall(['chat'], 'm')).toEqual({
      kind: 'chat',
      body: { model: 'm', messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 },
    });
  });

  it('sends a task invocation for non-chat models, and only DescribeEndpoint without tasks', async () => {
    expect(
      await sageMakerProber.probe(endpointFor(sim, 'sm-sentiment'), neverAborted(), { tasks: ['sentiment'] }),
    ).toMatchObject({
      ok: true,
      detail: 'InService, sentiment invocation answered',
    });
    const served = sim.stats('sm-sentiment').served;
    expect(await sageMakerProber.probe(endpointFor(sim, 'sm-sentiment'), neverAborted())).toMatchObject({
      ok: true,
      detail: 'InService (tasks unknown: no invocation)',
    });
    expect(sim.stats('sm-sentiment').served).toBe(served);
  });

  it('is not ok when the endpoint is not InService (down)', async () => {
    sim.setFault('sm-llama', 'down');
    expect(
      await sageMakerProber.probe(endpointFor(sim, 'sm-llama'), neverAborted(), { tasks: ['chat'] }),
    ).toMatchObject({
      ok: false,
      detail: 'endpoint is Failed: The primary container is not responding (simulated fault).',
    });
  });

  it('is not ok when InService but the container fails (error)', async () => {
    sim.setFault('sm-llama', 'error');
    const result = await sageMakerProber.probe(endpointFor(sim, 'sm-llama'), neverAborted(), {
      tasks: ['chat'],
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      /^InService but invocation failed: sm-llama: the model container answered 500/,
    );
  });

  it('is not ok for an endpoint SageMaker does not know', async () => {
    const endpoint = { ...endpointFor(sim, 'sm-llama'), target: 'switchyard-missing' };
    expect(await sageMakerProber.probe(endpoint, neverAborted(), { tasks: ['chat'] })).toMatchObject({
      ok: false,
      detail: 'DescribeEndpoint failed: ValidationException: Could not find endpoint "switchyard-missing".',
    });
  });

  it('is not ok when the probe is aborted mid-invocation', async () => {
    sim.setProfile('sm-llama', { latency_ms: 60_000 });
    const controller = new AbortController();
    const probing = sageMakerProber.probe(endpointFor(sim, 'sm-llama'), controller.signal, {
      tasks: ['chat'],
    });
    await vi.waitFor(() => expect(sim.stats('sm-llama').inflight).toBe(1));
    controller.abort();
    expect(await probing).toMatchObject({
      ok: false,
      detail: 'InService but invocation failed: sm-llama: the attempt timed out',
    });
  });
});

describe('dispatch by endpoint kind', () => {
  it('ProberByKind sends each endpoint to its kind’s prober with the context', async () => {
    const prober = new ProberByKind({ sagemaker: sageMakerProber, 'openai-http': httpProber });
    expect(await prober.probe(endpointFor(sim, 'gpu-a'), neverAborted())).toMatchObject({
      ok: true,
      detail: 'GET /gpu-a/v1/models → HTTP 200',
    });
    expect(
      await prober.probe(endpointFor(sim, 'sm-llama'), neverAborted(), { tasks: ['chat'] }),
    ).toMatchObject({
      ok: true,
      detail: 'InService, chat invocation answered',
    });
  });

  it('InferenceClientByKind sends each target to its kind’s client', async () => {
    const client = new InferenceClientByKind({
      sagemaker: new SageMakerInferenceClient({
        client: createSageMakerRuntimeClient({ ...LOCAL_AWS, endpoint: sim.url }),
      }),
      'openai-http': new OpenAiHttpInferenceClient(),
    });
    const call = {
      kind: 'chat',
      body: { model: 'auto', messages: [{ role: 'user', content: 'who?' }] },
    } as const;
    for (const id of ['gpu-a', 'sm-llama']) {
      const result = await client.invoke(targetFor(sim, id), call, neverAborted());
      expect((result.body as ChatCompletionResponse).choices[0]?.message.content).toBe(`[${id}] echo: who?`);
    }
  });
});
