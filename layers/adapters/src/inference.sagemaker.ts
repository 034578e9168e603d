// InferenceClient for SageMaker real-time endpoints (InvokeEndpoint). Chat calls send the
// OpenAI chat body (TGI/LMI containers speak the Messages API); task calls send {task, inputs};
// embedding calls send TEI's `{"inputs": [...]}` (embeddings.upstream.ts).
// SageMaker errors map onto UpstreamError failures as documented on `sageMakerFailure`.
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
} from '@aws-sdk/client-sagemaker-runtime';
import type {
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';
import { InvalidRequestError, UpstreamError } from '@switchyard/core';
import { inferenceResult } from './chat-completion.ts';
import { embeddingResult, sageMakerEmbeddingsBody } from './embeddings.upstream.ts';
import { requestJson, SAGEMAKER } from './endpoint-kinds.ts';
import { mappedChunks, upstreamChunks } from './stream-chunks.ts';
import { failureForStatus, parseJsonBody, transportError } from './upstream-failure.ts';

export interface SageMakerInferenceClientOptions {
  client: SageMakerRuntimeClient;
  now?: () => number;
}

/** The JSON body InvokeEndpoint sends for a call. */
export function sageMakerRequestBody(target: PlanTarget, call: InferenceCall): unknown {
  if (call.kind === 'invocation') return { task: call.task, inputs: call.payload };
  if (call.kind === 'embedding') return sageMakerEmbeddingsBody(call.body);
  return { ...call.body, model: target.upstream_model };
}

/** The body InvokeEndpointWithResponseStream sends: the chat or completion body with `stream: true`. */
export function sageMakerStreamBody(target: PlanTarget, call: InferenceCall): unknown {
  if (call.kind === 'invocation') {
    throw new InvalidRequestError(`Task "${call.task}" cannot be streamed; send "stream": false.`, {
      param: 'stream',
    });
  }
  if (call.kind === 'embedding') {
    throw new InvalidRequestError('Embeddings cannot be streamed.', { param: 'stream' });
  }
  const options = (call.body.stream_options ?? {}) as Record<string, unknown>;
  return {
    ...call.body,
    model: target.upstream_model,
    stream: true,
    stream_options: { ...options, include_usage: true },
  };
}

interface AwsErrorLike {
  name: string;
  message: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  OriginalStatusCode?: number;
  OriginalMessage?: string;
}

const isAwsError = (err: unknown): err is AwsErrorLike =>
  err instanceof Error &&
  typeof (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode === 'number';

const SERVER_ERRORS = new Set([
  'ServiceUnavailable',
  'InternalFailure',
  'InternalDependencyException',
  'ModelNotReadyException',
  'InternalServerError',
]);

/**
 * Maps a SageMaker runtime error to an UpstreamError:
 * - ModelError: by the container's `OriginalStatusCode` (4xx → rejected except 408 timeout,
 *   429 throttled, 401/403/404 server; 5xx → server; missing → server);
 * - ThrottlingException or HTTP 429 → throttled;
 * - ValidationError saying the endpoint is not found → server (a misconfigured target: another
 *   endpoint may serve); any other ValidationError → rejected (the request itself is invalid);
 * - ServiceUnavailable, InternalFailure, InternalDependencyException, ModelNotReadyException,
 *   any other 5xx, and any other AWS error (access denied, bad credentials) → server;
 * - aborted signal → timeout; SDK timeouts → timeout; network errors → connection.
 */
export function sageMakerFailure(err: unknown, signal: AbortSignal, endpoint: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (signal.aborted || !isAwsError(err)) return transportError(err, signal, endpoint);
  const status = err.$metadata?.httpStatusCode;
  const options = { cause: err };
  if (err.name === 'ModelError') {
    const original = err.OriginalStatusCode;
    const detail = err.OriginalMessage ?? err.message;
    return new UpstreamError(
      original === undefined ? 'server' : failureForStatus(original),
      `${endpoint}: the model container answered ${original ?? 'an error'}: ${detail}`,
      original ?? status,
      options,
    );
  }
  if (err.name === 'ThrottlingException' || status === 429) {
    return new UpstreamError('throttled', `${endpoint}: throttled: ${err.message}`, status, options);
  }
  if (err.name === 'ValidationError' || err.name === 'ValidationException') {
    const missing = /not found|could not find/i.test(err.message);
    return new UpstreamError(
      missing ? 'server' : 'rejected',
      `${endpoint}: ${missing ? 'endpoint not found' : 'invalid request'}: ${err.message}`,
      status,
      options,
    );
  }
  const known = SERVER_ERRORS.has(err.name) ? '' : ' (unexpected)';
  return new UpstreamError('server', `${endpoint}: ${err.name}${known}: ${err.message}`, status, options);
}

export class SageMakerInferenceClient implements InferenceClient {
  readonly #client: SageMakerRuntimeClient;
  readonly #now: () => number;

  constructor(options: SageMakerInferenceClientOptions) {
    this.#client = options.client;
    this.#now = options.now ?? Date.now;
  }

  async invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    // Built before the transport's try: a request that cannot be built was never sent (ports.ts).
    const command = new InvokeEndpointCommand({
      EndpointName: target.target,
      ContentType: SAGEMAKER.contentType,
      Accept: SAGEMAKER.accept,
      Body: new TextEncoder().encode(requestJson(sageMakerRequestBody(target, call))),
    });
    let text: string;
    try {
      const out = await this.#client.send(command, { abortSignal: signal });
      text = new TextDecoder().decode(out.Body);
    } catch (err) {
      throw sageMakerFailure(err, signal, target.endpoint);
    }
    const parsed = parseJsonBody(text, target.endpoint);
    if (call.kind === 'embedding') return embeddingResult(parsed, target, call.body);
    return inferenceResult(parsed, target, call, this.#now);
  }

  /**
   * Streams a chat or completion call with InvokeEndpointWithResponseStream: the PayloadPart
   * frames' bytes are read as SSE (OpenAI chunks or TGI tokens) as they arrive. Errors before the
   * first frame map as `invoke`'s; a ModelStreamError or a broken stream later is a cut.
   */
  async *stream(
    target: PlanTarget,
    call: InferenceCall,
    signal: AbortSignal,
  ): AsyncGenerator<InferenceChunk> {
    const command = new InvokeEndpointWithResponseStreamCommand({
      EndpointName: target.target,
      ContentType: SAGEMAKER.contentType,
      Body: new TextEncoder().encode(requestJson(sageMakerStreamBody(target, call))),
    });
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) controller.abort(signal.reason);
    try {
      let events: AsyncIterable<unknown>;
      try {
        const out = await this.#client.send(command, { abortSignal: controller.signal });
        if (!out.Body) throw new UpstreamError('invalid-response', `${target.endpoint}: no response stream`);
        events = out.Body as AsyncIterable<unknown>;
      } catch (err) {
        throw sageMakerFailure(err, signal, target.endpoint);
      }
      yield* mappedChunks(upstreamChunks(payloadBytes(events, target.endpoint), target.endpoint), (err) =>
        sageMakerFailure(err, signal, target.endpoint),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }
}

/** The bytes of each PayloadPart; a ModelStreamError or InternalStreamFailure event is the upstream's failure. */
async function* payloadBytes(events: AsyncIterable<unknown>, endpoint: string): AsyncGenerator<Uint8Array> {
  for await (const event of events) {
    const e = event as {
      PayloadPart?: { Bytes?: Uint8Array };
      ModelStreamError?: { Message?: string; ErrorCode?: string };
      InternalStreamFailure?: { Message?: string };
    };
    if (e.PayloadPart?.Bytes) yield e.PayloadPart.Bytes;
    else if (e.ModelStreamError) {
      throw new UpstreamError(
        'server',
        `${endpoint}: model stream error: ${e.ModelStreamError.Message ?? ''}`,
      );
    } else if (e.InternalStreamFailure) {
      throw new UpstreamError(
        'server',
        `${endpoint}: internal stream failure: ${e.InternalStreamFailure.Message ?? ''}`,
      );
    }
  }
}
