// The router's metrics step: wraps one request's work and records, per the core's metrics
// contract, the request, its latency and error class (by route), a streamed answer's time to its
// first token (when its headers go out: the first chunk is there) and its latency at its end,
// its attempts, fallbacks, cost
// and tokens (by policy and model, read from the answer's x-switchyard-* headers and usage),
// each upstream attempt's latency, failures and 429s (by endpoint), circuit opens, and the
// container's in-flight counts per endpoint (the load signals an external autoscaler reads).
// Everything goes into the EMF aggregate; it is written after the answer is built.
import type { EmfMetrics } from '@switchyard/adapters';
import type { Outcome, RouterCircuitChange } from '@switchyard/core';
import { DIMENSION, errorClassOf } from '@switchyard/core';

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A streamed answer's SSE text: handed back wrapped, its latency recorded when it ends. */
  stream?: AsyncIterable<string>;
}

export interface RouterMetricsOptions {
  emf: EmfMetrics;
  now: () => number;
  /** This container's requests in flight per endpoint (endpoints with none may be missing). */
  inflight?: () => Readonly<Record<string, number>>;
}

function usageOf(body: unknown): { prompt?: number; completion?: number } {
  const usage = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | undefined)
    ?.usage;
  return {
    ...(typeof usage?.prompt_tokens === 'number' ? { prompt: usage.prompt_tokens } : {}),
    ...(typeof usage?.completion_tokens === 'number' ? { completion: usage.completion_tokens } : {}),
  };
}

export class RouterMetrics {
  readonly #emf: EmfMetrics;
  readonly #now: () => number;
  readonly #inflight: (() => Readonly<Record<string, number>>) | undefined;
  /** Endpoints this container has had requests in flight on: sampled (0 included) at each request's end. */
  readonly #seen = new Set<string>();

  constructor(options: RouterMetricsOptions) {
    this.#emf = options.emf;
    this.#now = options.now;
    this.#inflight = options.inflight;
  }

  /** `fn` measured per request, its route the API resource (`POST /v1/chat/completions`). */
  around<R extends { method: string; resource: string }, T extends Answer>(
    fn: (request: R) => Promise<T>,
  ): (request: R) => Promise<T> {
    return (request) => this.measure(`${request.method} ${request.resource}`, () => fn(request));
  }

  /** Runs `work` for `route` (e.g. `POST /v1/chat/completions`), records it, then flushes if due. */
  async measure<T extends Answer>(route: string, work: () => Promise<T>): Promise<T> {
    const started = this.#now();
    try {
      const answer = await work();
      return this.#answered(route, answer, started);
    } catch (err) {
      const byRoute = { [DIMENSION.route]: route };
      this.#emf.add('requests', byRoute);
      this.#emf.add('latency', byRoute, this.#now() - started);
      this.#emf.add('errors', byRoute);
      this.#emf.add('errors', { [DIMENSION.errorClass]: errorClassOf(err) });
      throw err;
    } finally {
      this.#sampleInflight();
      this.#emf.flushIfDue();
    }
  }

  /** The attempts that reached an upstream (the router's recordOutcomes). */
  outcomes(outcomes: readonly Outcome[]): void {
    for (const o of outcomes) {
      const byEndpoint = { [DIMENSION.endpoint]: o.endpoint };
      this.#emf.add('upstreamLatency', byEndpoint, o.latency_ms);
      if (!o.ok) this.#emf.add('upstreamErrors', byEndpoint);
      if (o.failure === 'throttled') this.#emf.add('upstreamThrottles', byEndpoint);
    }
  }

  /** A change of this container's breakers. */
  circuitChange(change: RouterCircuitChange): void {
    if (change.state !== 'open') return;
    this.#emf.add('circuitOpens', { [DIMENSION.endpoint]: change.endpoint });
    this.#emf.add('circuitOpens', {});
  }

  /** Records the answer; a stream comes back wrapped, to record its latency once it has ended. */
  #answered<T extends Answer>(route: string, answer: T, started: number): T {
    const ms = this.#now() - started;
    const byRoute = { [DIMENSION.route]: route };
    this.#emf.add('requests', byRoute);
    const h = answer.headers ?? {};
    const policy = h['x-switchyard-policy'];
    const model = h['x-switchyard-model'];
    const byPolicy =
      policy === undefined || model === undefined
        ? undefined
        : { [DIMENSION.policy]: policy, [DIMENSION.model]: model };
    if (answer.stream) {
      if (byPolicy) this.#emf.add('timeToFirstToken', byPolicy, ms);
      const latencies = byPolicy ? [byRoute, byPolicy] : [byRoute];
      answer = { ...answer, stream: this.#timed(answer.stream, started, latencies) };
    } else {
      this.#emf.add('latency', byRoute, ms);
      if (byPolicy) this.#emf.add('latency', byPolicy, ms);
    }
    if (byPolicy) this.#perPolicy(answer, h, byPolicy);
    return answer;
  }

  /** `stream`, its latency (from `started`) recorded once it has ended, however it ended. */
  #timed(
    stream: AsyncIterable<string>,
    started: number,
    dimensions: readonly Readonly<Record<string, string>>[],
  ): AsyncIterable<string> {
    const record = (): void => {
      const ms = this.#now() - started;
      for (const d of dimensions) this.#emf.add('latency', d, ms);
      this.#emf.flushIfDue();
    };
    return {
      [Symbol.asyncIterator]: () => {
        const inner = stream[Symbol.asyncIterator]();
        let ended = false;
        const end = (): void => {
          if (ended) return;
          ended = true;
          record();
        };
        return {
          async next() {
            try {
              const r = await inner.next();
              if (r.done) end();
              return r;
            } catch (err) {
              end();
              throw err;
            }
          },
          async return(value?: unknown) {
            try {
              return (await inner.return?.(value)) ?? { value: undefined, done: true };
            } finally {
              end();
            }
          },
        };
      },
    };
  }

  #perPolicy(answer: Answer, h: Record<string, string>, byPolicy: Record<string, string>): void {
    this.#emf.add('requests', byPolicy);
    const attempts = Number(h['x-switchyard-attempts']);
    if (Number.isInteger(attempts) && attempts > 0) {
      this.#emf.add('attempts', byPolicy, attempts);
      this.#emf.add('fallbacks', byPolicy, attempts - 1);
    }
    const cost = Number(h['x-switchyard-cost-usd']);
    if (h['x-switchyard-cost-usd'] !== undefined && Number.isFinite(cost)) {
      this.#emf.add('costUsd', byPolicy, cost);
      this.#emf.add('costUsd', {}, cost);
    }
    const usage = usageOf(answer.body);
    if (usage.prompt !== undefined) this.#emf.add('inputTokens', byPolicy, usage.prompt);
    if (usage.completion !== undefined) this.#emf.add('outputTokens', byPolicy, usage.completion);
  }

  #sampleInflight(): void {
    if (!this.#inflight) return;
    const counts = this.#inflight();
    for (const endpoint of Object.keys(counts)) this.#seen.add(endpoint);
    for (const endpoint of this.#seen)
      this.#emf.add('inFlight', { [DIMENSION.endpoint]: endpoint }, counts[endpoint] ?? 0);
  }
}
