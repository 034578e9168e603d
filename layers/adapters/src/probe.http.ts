// Active health probe for OpenAI-compatible HTTP endpoints: GET {target}/models, and the
// server's /health when /models is 404. Never throws: a failure is `ok: false` with a detail.
import type { Endpoint, ProbeResult } from '@switchyard/core';
import { joinUrl, OPENAI_HTTP, openAiServerRoot } from './endpoint-kinds.ts';
import type { ContextualProber } from './probe.types.ts';
import { transportError } from './upstream-failure.ts';

export interface HttpEndpointProberOptions {
  fetch?: typeof fetch;
  /** Resolves `api_key_ref` to a bearer key (vLLM with --api-key guards /v1/models too). */
  apiKeys?: (ref: string) => string | undefined;
  /** Monotonic milliseconds for the latency figure. @default performance.now */
  clock?: () => number;
}

export class HttpEndpointProber implements ContextualProber {
  readonly #fetch: typeof fetch;
  readonly #apiKeys: ((ref: string) => string | undefined) | undefined;
  readonly #clock: () => number;

  constructor(options: HttpEndpointProberOptions = {}) {
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#apiKeys = options.apiKeys;
    this.#clock = options.clock ?? (() => performance.now());
  }

  async probe(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const started = this.#clock();
    const latency = () => Math.max(0, Math.round(this.#clock() - started));
    const headers: Record<string, string> = { accept: OPENAI_HTTP.accept };
    const key = endpoint.api_key_ref === undefined ? undefined : this.#apiKeys?.(endpoint.api_key_ref);
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    const urls = [
      joinUrl(endpoint.target, OPENAI_HTTP.paths.models),
      joinUrl(openAiServerRoot(endpoint.target), OPENAI_HTTP.healthPath),
    ];
    try {
      let status = 0;
      let url = '';
      for (const candidate of urls) {
        url = candidate;
        const res = await this.#fetch(url, { method: 'GET', headers, signal });
        status = res.status;
        await res.arrayBuffer();
        if (status !== 404) break;
      }
      const ok = status >= 200 && status < 300;
      return { ok, latency_ms: latency(), detail: `GET ${new URL(url).pathname} → HTTP ${status}` };
    } catch (err) {
      return { ok: false, latency_ms: latency(), detail: transportError(err, signal, endpoint.id).message };
    }
  }
}
