// Test fixtures around the simulated endpoints: endpoint configs, plan targets and registry
// endpoints pointing at a running sim, ad-hoc servers for answers the sim never gives, and the
// error a call that must fail rejected with.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint, InferenceCall, InferenceClient, PlanTarget } from '@switchyard/core';
import { InvalidRequestError, UpstreamError } from '@switchyard/core';
import { expect } from 'vitest';
import type { SimEndpointConfig, SimEndpoints } from '../../../infra/local/sim-endpoints.server.ts';

export function simConfig(
  id: string,
  kind: SimEndpointConfig['kind'],
  extra: Partial<SimEndpointConfig> = {},
): SimEndpointConfig {
  return {
    id,
    kind,
    target: kind === 'sagemaker' ? `switchyard-${id}` : `http://${id}.internal/v1`,
    model: 'llama-3-8b',
    upstream_model: kind === 'sagemaker' ? 'llama-3-8b' : 'meta-llama/Meta-Llama-3-8B-Instruct',
    latency_ms: 1,
    jitter_ms: 0,
    error_rate: 0,
    ...extra,
  };
}

/** The registry Endpoint for a simulated endpoint, with the target rewritten to the sim. */
export function endpointFor(sim: SimEndpoints, id: string): Endpoint {
  const info = sim.list().find((e) => e.id === id);
  if (!info) throw new Error(`no sim endpoint ${id}`);
  return {
    id,
    model: info.model,
    version: 'v1',
    kind: info.kind,
    target: info.kind === 'openai-http' ? info.url : info.target,
    region: 'us-east-1',
    weight: 1,
    state: 'active',
    upstream_model: info.upstream_model,
  };
}

export function targetFor(sim: SimEndpoints, id: string, extra: Partial<PlanTarget> = {}): PlanTarget {
  const e = endpointFor(sim, id);
  return {
    endpoint: e.id,
    model: e.model,
    version: e.version,
    kind: e.kind,
    target: e.target,
    region: e.region,
    upstream_model: e.upstream_model ?? e.model,
    timeout_ms: 5_000,
    estimated_cost_usd: 0,
    ...extra,
  };
}

/** A throwaway HTTP server answering every request with `handler`. */
export async function startAdHocServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A URL on which nothing listens (a port that was just released). */
export async function closedPortUrl(): Promise<string> {
  const server = await startAdHocServer((_req, res) => res.end());
  await server.stop();
  return server.url;
}

export const neverAborted = (): AbortSignal => new AbortController().signal;

/** The UpstreamError `promise` rejects with; throws when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected the call to fail');
  return err as UpstreamError;
}

/**
 * The InferenceClient contract for a body that cannot be serialised (nested 20,000 deep: it
 * parses, JSON.parse being iterative, but overflows JSON.stringify's stack): the caller's
 * InvalidRequestError, no UpstreamError, and nothing reaches the endpoint. Chat and task calls.
 */
export async function expectUnserialisableRefused(
  client: InferenceClient,
  sim: SimEndpoints,
  id: string,
): Promise<void> {
  const deep = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) as unknown;
  const before = sim.stats(id).requests;
  const calls: InferenceCall[] = [
    { kind: 'chat', body: { model: 'auto', messages: [{ role: 'user', content: 'hi' }], extra: deep } },
    { kind: 'invocation', task: 'sentiment', payload: deep },
  ];
  for (const call of calls) {
    const err = await client.invoke(targetFor(sim, id), call, neverAborted()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(err).not.toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ status: 400, code: 'request_not_serialisable' });
  }
  expect(sim.stats(id).requests).toBe(before);
}
