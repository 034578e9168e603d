// InferenceClient for OpenAI-compatible HTTP endpoints (vLLM, TGI, llama.cpp, hosted APIs).
// Paths and bodies follow the conventions in endpoint-kinds.ts; failures become UpstreamError.
import type { InferenceCall, InferenceClient, InferenceResult, PlanTarget } from '@switchyard/core';
import { UpstreamError } from '@switchyard/core';
import { inferenceResult } from './chat-completion.ts';
import { embeddingResult, openAiEmbeddingsBody } from './embeddings.upstream.ts';
import { joinUrl, OPENAI_HTTP, requestJson } from './endpoint-kinds.ts';
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
  if (call.kind === 'chat') {
    return {
      url: joinUrl(target.target, OPENAI_HTTP.paths.chat),
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

  async invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    // Built before the transport's try: a request that cannot be built was never sent (ports.ts).
    const { url, body } = openAiHttpRequest(target, call);
    const json = requestJson(body);
    const headers: Record<string, string> = {
      'content-type': OPENAI_HTTP.contentType,
      accept: OPENAI_HTTP.accept,
    };
    if (target.api_key_ref !== undefined) {
      const key = this.#apiKeys?.(target.api_key_ref);
      if (key === undefined) {
        throw new UpstreamError('server', `${target.endpoint}: no API key found for "${target.api_key_ref}"`);
      }
      headers.authorization = `Bearer ${key}`;
    }
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
}
