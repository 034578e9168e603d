// The protocol facts of each endpoint kind in one place: paths, content types and health
// routes. Inference clients, probers and the simulated endpoints read these instead of
// scattering string literals.
import type { EndpointKind } from '@switchyard/core';
import { InvalidRequestError } from '@switchyard/core';

export const JSON_CONTENT_TYPE = 'application/json';

/**
 * `openai-http`: an OpenAI-compatible server (vLLM, TGI, llama.cpp...). `target` is the base URL
 * up to and including `/v1`. Conventions:
 * - chat → `POST {target}/chat/completions` with the OpenAI body, `model` = upstream model;
 *   streamed with `stream: true` and `stream_options.include_usage` (SSE passed through);
 * - completion → `POST {target}/completions` likewise (OpenAI legacy completions);
 * - embeddings (`POST /v1/embeddings`) → `POST {target}/embeddings` (embeddings.upstream.ts); a
 *   task invocation of `embedding` → the same route with `{model, input}`;
 * - any other task → `POST {target}/invocations` with `{model, task, inputs}` (Switchyard's
 *   convention for non-LLM task servers: answer with the task's JSON, e.g. `{label, score}`);
 * - probe → `GET {target}/models`, and on 404 `GET {origin}/health` where origin is the target
 *   without its trailing `/v1` (vLLM and TGI serve `/health` at the root).
 */
export const OPENAI_HTTP = {
  contentType: JSON_CONTENT_TYPE,
  accept: JSON_CONTENT_TYPE,
  streamAccept: 'text/event-stream',
  paths: {
    chat: '/chat/completions',
    completions: '/completions',
    embeddings: '/embeddings',
    invocations: '/invocations',
    models: '/models',
  },
  /** Task names sent to the embeddings route rather than `/invocations`. */
  embeddingTasks: ['embedding'] as readonly string[],
  healthPath: '/health',
  /** Suffix stripped from the target to find the server root that serves `/health`. */
  apiPrefix: '/v1',
} as const;

/**
 * `sagemaker`: a SageMaker real-time endpoint; `target` is the endpoint name. Conventions:
 * - chat → InvokeEndpoint with the OpenAI chat body (`model` = upstream model): TGI and LMI
 *   containers speak the OpenAI Messages API;
 * - completion → InvokeEndpoint with the OpenAI completion body;
 * - streamed chat and completion → InvokeEndpointWithResponseStream with `stream: true`: the
 *   PayloadPart frames carry OpenAI SSE chunks or TGI's token stream (both mapped);
 * - embeddings → InvokeEndpoint with TEI's `{"inputs": [...]}` (embeddings.upstream.ts);
 * - any task invocation → InvokeEndpoint with `{task, inputs}`;
 * - probe → DescribeEndpoint must say `InService`, then a tiny invocation.
 */
export const SAGEMAKER = {
  contentType: JSON_CONTENT_TYPE,
  accept: JSON_CONTENT_TYPE,
  readyStatus: 'InService',
  /** The runtime HTTP routes (used by the simulated endpoints; the SDK builds them itself). */
  paths: {
    invocations: (endpointName: string) => `/endpoints/${encodeURIComponent(endpointName)}/invocations`,
    invocationsStream: (endpointName: string) =>
      `/endpoints/${encodeURIComponent(endpointName)}/invocations-response-stream`,
  },
  /** The control-plane JSON 1.1 target for DescribeEndpoint. */
  describeEndpointTarget: 'SageMaker.DescribeEndpoint',
} as const;

export const ENDPOINT_KIND_PROTOCOLS = {
  'openai-http': OPENAI_HTTP,
  sagemaker: SAGEMAKER,
} as const satisfies Record<EndpointKind, unknown>;

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** The server root of an OpenAI-compatible target (`http://h:8000/v1` → `http://h:8000`). */
export function openAiServerRoot(target: string): string {
  const trimmed = target.replace(/\/+$/, '');
  return trimmed.endsWith(OPENAI_HTTP.apiPrefix) ? trimmed.slice(0, -OPENAI_HTTP.apiPrefix.length) : trimmed;
}

/**
 * The JSON text of a request body, built before anything is sent. The body comes from the
 * caller's parsed JSON, so when it cannot be serialised (nested deeper than the serialiser's
 * stack, or longer than a string may be: a RangeError) that is the caller's input, not the
 * endpoint's failure: an InvalidRequestError (400). Any other error (a cycle or a BigInt we put
 * there) is our defect and propagates as it is.
 */
export function requestJson(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new InvalidRequestError(
      'The request cannot be sent upstream: its JSON is nested too deeply or is too large to serialise.',
      { cause: err, code: 'request_not_serialisable' },
    );
  }
}
