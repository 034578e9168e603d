// Active health probe for SageMaker endpoints: DescribeEndpoint must say InService, then a tiny
// invocation proves the container answers. The model's tasks come in the optional ProbeContext
// (third argument): chat-capable models get a chat call with max_tokens 1, embedding models an
// embedding of "ping", others a `{task, inputs: "ping"}` call with their first task; without
// tasks only DescribeEndpoint is checked.
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { Endpoint, InferenceCall, PlanTarget, ProbeResult } from '@switchyard/core';
import { SAGEMAKER } from './endpoint-kinds.ts';
import { SageMakerInferenceClient } from './inference.sagemaker.ts';
import type { ContextualProber, ProbeContext } from './probe.types.ts';
import { transportError } from './upstream-failure.ts';

export interface SageMakerEndpointProberOptions {
  control: SageMakerClient;
  runtime: SageMakerRuntimeClient;
  /** Monotonic milliseconds for the latency figure. @default performance.now */
  clock?: () => number;
}

/** The tiny invocation a probe sends for a model with these tasks (undefined: none). */
export function probeCall(
  tasks: readonly string[] | undefined,
  upstreamModel: string,
): InferenceCall | undefined {
  if (!tasks || tasks.length === 0) return undefined;
  if (tasks.includes('chat')) {
    return {
      kind: 'chat',
      body: { model: upstreamModel, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 },
    };
  }
  // Embedding models are invoked as the router invokes them: TEI's `{"inputs": ["ping"]}`.
  if (tasks[0] === 'embedding') return { kind: 'embedding', body: { input: ['ping'] } };
  return { kind: 'invocation', task: tasks[0] as string, payload: 'ping' };
}

export class SageMakerEndpointProber implements ContextualProber {
  readonly #control: SageMakerClient;
  readonly #inference: SageMakerInferenceClient;
  readonly #clock: () => number;

  constructor(options: SageMakerEndpointProberOptions) {
    this.#control = options.control;
    this.#inference = new SageMakerInferenceClient({ client: options.runtime });
    this.#clock = options.clock ?? (() => performance.now());
  }

  async probe(endpoint: Endpoint, signal: AbortSignal, context: ProbeContext = {}): Promise<ProbeResult> {
    const started = this.#clock();
    const latency = () => Math.max(0, Math.round(this.#clock() - started));
    try {
      const described = await this.#control.send(
        new DescribeEndpointCommand({ EndpointName: endpoint.target }),
        { abortSignal: signal },
      );
      if (described.EndpointStatus !== SAGEMAKER.readyStatus) {
        const why = described.FailureReason ? `: ${described.FailureReason}` : '';
        return { ok: false, latency_ms: latency(), detail: `endpoint is ${described.EndpointStatus}${why}` };
      }
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      const detail =
        name && (err as { $metadata?: unknown }).$metadata !== undefined
          ? `DescribeEndpoint failed: ${name}: ${(err as Error).message}`
          : transportError(err, signal, endpoint.id).message;
      return { ok: false, latency_ms: latency(), detail };
    }
    const upstreamModel = endpoint.upstream_model ?? endpoint.model;
    const call = probeCall(context.tasks, upstreamModel);
    if (!call) return { ok: true, latency_ms: latency(), detail: 'InService (tasks unknown: no invocation)' };
    const target: PlanTarget = {
      endpoint: endpoint.id,
      model: endpoint.model,
      version: endpoint.version,
      kind: endpoint.kind,
      target: endpoint.target,
      region: endpoint.region,
      upstream_model: upstreamModel,
      timeout_ms: 0,
      estimated_cost_usd: 0,
    };
    try {
      await this.#inference.invoke(target, call, signal);
      const what = call.kind === 'invocation' ? call.task : call.kind;
      return { ok: true, latency_ms: latency(), detail: `InService, ${what} invocation answered` };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, latency_ms: latency(), detail: `InService but invocation failed: ${message}` };
    }
  }
}
