// InferenceClient for OpenAI-compatible HTTP endpoints (vLLM, TGI, llama.cpp, hosted APIs).
// Paths and bodies follow the conventions in endpoint-kinds.ts; failures become UpstreamError.
import type {
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';
import { chunksOfResult, InvalidRequestError, UpstreamError } from '@switchyard/core';
import { inferenceResult } from './chat-completion.ts';
import { embeddingResult, openAiEmbeddingsBody } from './embeddings.upstream.ts';
import { joinUrl, OPENAI_HTTP, requestJson } from './endpoint-kinds.ts';
import { mappedChunks, upstreamChunks } from './stream-chunks.ts';
import { failureForStatus, parseJsonBody, retryAfterMs, transportError } from './upstream-failure.ts';

export interface OpenAiHttpInferenceClientOptions {
  /** Defaults to the global (undici, keep-alive) fetch. */
  fetch?: typeof fetch;
  /** Resolves an endpoint's `api_key_ref` to the key sent as `Authorization: Bearer`. */
  apiKeys?: (ref: string) => string | undefined;
  now?: () => number;
}

/** Builds the URL and JSON body for one call to an OpenAI-compatible target. */
export function openAiHttpRequest(target: PlanTarget, call: InferenceCall): { url: string; body: unknown } {
  if (call.kind === 'chat' || call.kind === 'completion') {
    return {
      url: joinUrl(
        target.target,
        call.kind === 'chat' ? OPENAI_HTTP.paths.chat : OPENAI_HTTP.paths.completions,
      ),
      body: { ...call.body, model: target.upstream_model },
    };
  }
  if (call.kind === 'embedding') {
    return {
      url: joinUrl(target.target, OPENAI_HTTP.paths.embeddings),
      body: openAiEmbeddingsBody(target, call.body),
    };
  }
  if (OPENAI_HTTP.embeddingTasks.includes(call.task)) {
    return {
      url: joinUrl(target.target, OPENAI_HTTP.paths.embeddings),
      body: { model: target.upstream_model, input: call.payload },
    };
  }
  return {
    url: joinUrl(target.target, OPENAI_HTTP.paths.invocations),
    body: { model: target.upstream_model, task: call.task, inputs: call.payload },
  };
}

/**
 * The URL and body of a streamed call: the chat or completion body with `stream: true` and usage
 * asked for (`stream_options.include_usage`, so cost comes from the upstream's own count).
 */
export function openAiHttpStreamRequest(
  target: PlanTarget,
  call: InferenceCall,
): { url: string; body: unknown } {
  if (call.kind === 'invocation') {
    throw new InvalidRequestError(`Task "${call.task}" cannot be streamed; send "stream": false.`, {
      param: 'stream',
    });
  }
  const { url, body } = openAiHttpRequest(target, call);
  const options = (call.body.stream_options ?? {}) as Record<string, unknown>;
  return {
    url,
    body: { ...(body as object), stream: true, stream_options: { ...options, include_usage: true } },
  };
}

/** The human-readable message in an error body: OpenAI `{error:{message}}`, `{message}` or `{detail}`. */
export function upstreamErrorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown> | null;
    const error = parsed?.error;
    if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
      return (error as { message: string }).message;
    }
    if (typeof error === 'string') return error;
    if (typeof parsed?.message === 'string') return parsed.message;
    if (typeof parsed?.detail === 'string') return parsed.detail;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}

export class OpenAiHttpInferenceClient implements InferenceClient {
  readonly #fetch: typeof fetch;
  readonly #apiKeys: ((ref: string) => string | undefined) | undefined;
  readonly #now: () => number;

  constructor(options: OpenAiHttpInferenceClientOptions = {}) {
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#apiKeys = options.apiKeys;
    this.#now = options.now ?? Date.now;
  }

  #headers(target: PlanTarget, accept: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': OPENAI_HTTP.contentType, accept };
    if (target.api_key_ref !== undefined) {
      const key = this.#apiKeys?.(target.api_key_ref);
      if (key === undefined) {
        throw new UpstreamError('server', `${target.endpoint}: no API key found for "${target.api_key_ref}"`);
      }
      headers.authorization = `Bearer ${key}`;
    }
    return headers;
  }

  async invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    // Built before the transport's try: a request that cannot be built was never sent (ports.ts).
    const { url, body } = openAiHttpRequest(target, call);
    const json = requestJson(body);
    const headers = this.#headers(target, OPENAI_HTTP.accept);
    let status: number;
    let text: string;
    let retryAfter: number | undefined;
    try {
      const res = await this.#fetch(url, { method: 'POST', headers, body: json, signal });
      status = res.status;
      if (status < 200 || status > 299) retryAfter = retryAfterMs(res.headers, this.#now());
      text = await res.text();
    } catch (err) {
      throw transportError(err, signal, target.endpoint);
    }
    if (status < 200 || status > 299) {
      throw new UpstreamError(
        failureForStatus(status),
        `${target.endpoint}: HTTP ${status}: ${upstreamErrorMessage(text)}`,
        status,
        retryAfter === undefined ? {} : { retryAfterMs: retryAfter },
      );
    }
    const parsed = parseJsonBody(text, target.endpoint, status);
    if (call.kind === 'embedding') return embeddingResult(parsed, target, call.body);
    return inferenceResult(parsed, target, call, this.#now);
  }

  /**
   * Streams a chat or completion call: the upstream's SSE events become chunks as they arrive
   * (nothing buffered). An error status fails like `invoke`; a JSON answer (a server that does
   * not stream) is converted; a connection lost mid-stream is a `connection` failure.
   */
  async *stream(
    target: PlanTarget,
    call: InferenceCall,
    signal: AbortSignal,
  ): AsyncGenerator<InferenceChunk> {
    const { url, body } = openAiHttpStreamRequest(target, call);
    const json = requestJson(body);
    const headers = this.#headers(target, OPENAI_HTTP.streamAccept);
    // Our own controller: ending the iteration early aborts the request as the caller's signal does.
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) controller.abort(signal.reason);
    try {
      let res: Response;
      try {
        res = await this.#fetch(url, { method: 'POST', headers, body: json, signal: controller.signal });
      } catch (err) {
        throw transportError(err, signal, target.endpoint);
      }
      const status = res.status;
      if (status < 200 || status > 299 || !res.body) {
        const retryAfter = retryAfterMs(res.headers, this.#now());
        const text = await res.text().catch(() => '');
        throw new UpstreamError(
          res.body ? failureForStatus(status) : 'invalid-response',
          `${target.endpoint}: HTTP ${status}: ${upstreamErrorMessage(text)}`,
          status,
          retryAfter === undefined ? {} : { retryAfterMs: retryAfter },
        );
      }
      if (!(res.headers.get('content-type') ?? '').includes(OPENAI_HTTP.streamAccept)) {
        let text: string;
        try {
          text = await res.text();
        } catch (err) {
          throw transportError(err, signal, target.endpoint);
        }
        const result = inferenceResult(parseJsonBody(text, target.endpoint, status), target, call, this.#now);
        yield* chunksOfResult(result, call);
        return;
      }
      yield* mappedChunks(upstreamChunks(res.body as AsyncIterable<Uint8Array>, target.endpoint), (err) =>
        transportError(err, signal, target.endpoint),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }
}
