// Dispatches each call to the InferenceClient for the target's endpoint kind; and the one the
// functions use, with the production client of every kind.
import type {
  EndpointKind,
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';
import { convertedStream } from '@switchyard/core';
import { LazyInferenceClient } from './inference.lazy.ts';
import { OpenAiHttpInferenceClient } from './inference.openai-http.ts';

export class InferenceClientByKind implements InferenceClient {
  readonly #clients: Readonly<Record<EndpointKind, InferenceClient>>;

  constructor(clients: Readonly<Record<EndpointKind, InferenceClient>>) {
    this.#clients = clients;
  }

  invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    return this.#clients[target.kind].invoke(target, call, signal);
  }

  /** The kind's own stream, or (a client that does not stream) its answer converted by the core. */
  stream(target: PlanTarget, call: InferenceCall, signal: AbortSignal): AsyncIterable<InferenceChunk> {
    const client = this.#clients[target.kind];
    return client.stream
      ? client.stream(target, call, signal)
      : convertedStream(client, target, call, signal);
  }
}

/**
 * SageMaker endpoints through the runtime client of `createSageMakerRuntimeClient`, HTTP ones by
 * fetch. The SageMaker client (and the SDK it needs) is loaded on the first SageMaker call.
 */
export function createInferenceClient(): InferenceClientByKind {
  return new InferenceClientByKind({
    sagemaker: new LazyInferenceClient(async () => {
      const [{ SageMakerInferenceClient }, { createSageMakerRuntimeClient }] = await Promise.all([
        import('./inference.sagemaker.ts'),
        import('./aws-clients.sagemaker.ts'),
      ]);
      return new SageMakerInferenceClient({ client: createSageMakerRuntimeClient() });
    }),
    'openai-http': new OpenAiHttpInferenceClient({}),
  });
}
