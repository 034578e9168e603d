// An InferenceClient built on its first call: the loader runs once (its promise is shared by
// concurrent first calls; a failed load is retried by the next call), then every call goes to
// the client it built. The router's SageMaker client is one: the SageMaker runtime SDK is loaded
// by the first request that reaches a SageMaker endpoint, not at cold start.
import type {
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';
import { convertedStream } from '@switchyard/core';

export class LazyInferenceClient implements InferenceClient {
  #client: Promise<InferenceClient> | undefined;

  constructor(private readonly load: () => Promise<InferenceClient>) {}

  /** The client, loading it if no load has succeeded or is under way. */
  client(): Promise<InferenceClient> {
    if (!this.#client) {
      this.#client = this.load().catch((err: unknown) => {
        this.#client = undefined;
        throw err;
      });
    }
    return this.#client;
  }

  async invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    return (await this.client()).invoke(target, call, signal);
  }

  async *stream(target: PlanTarget, call: InferenceCall, signal: AbortSignal): AsyncIterable<InferenceChunk> {
    const client = await this.client();
    yield* client.stream
      ? client.stream(target, call, signal)
      : convertedStream(client, target, call, signal);
  }
}
