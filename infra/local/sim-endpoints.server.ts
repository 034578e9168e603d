// Simulated model endpoints on one node:http server, for the local stack and the tests: the
// SageMaker runtime protocol (InvokeEndpoint, with response streaming), the SageMaker control
// plane's DescribeEndpoint, and one OpenAI-compatible server per endpoint under `/{id}/v1`.
// Latency, jitter, error rate, capacity and faults are configurable per endpoint; answers are
// deterministic (see sim-responses.ts) and name the endpoint that served them.
// Faults: `down` resets OpenAI-compatible connections (a dead GPU server) and answers SageMaker
// calls 503 ServiceUnavailable at once (DescribeEndpoint then says Failed); `error` answers 500
// (SageMaker: ModelError with OriginalStatusCode 500) and fails the health routes; `slow`
// multiplies the latency by 20 (streams: the time to first token and every chunk's gap); `cut`
// drops the connection after SIM_CUT_AFTER_CHUNKS chunks of a stream (a buffered answer: before
// it is sent). `down` and `error` fail a stream before its first byte. Streams (`stream: true`,
// OpenAI SSE on both kinds, TGI's token stream for `chat_format: tgi` SageMaker endpoints) start
// after `ttft_ms` and send `tokens_per_s` chunks a second. Health routes and DescribeEndpoint have
// no latency or capacity.
// Prefix cache (`prefix_cache`, sim-prefix-cache.ts): a chat request whose opening messages the
// endpoint served recently waits `ttft_factor` of the time to first token (streams) or saves the
// rest of it from its latency (buffered answers), as a replica's reused prefill does.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { OPENAI_HTTP, SAGEMAKER } from '@switchyard/adapters';
import { conversationKey, jsonTextDepth, MAX_JSON_DEPTH } from '@switchyard/core';
import { PrefixCache, type PrefixCacheSettings, prefilledLatencyMs } from './sim-prefix-cache.ts';
import {
  chatAnswer,
  chatChunkFrames,
  completionAnswer,
  completionChunkFrames,
  embeddingsAnswer,
  openAiChatCompletion,
  openAiTextCompletion,
  parseChatBody,
  parseCompletionBody,
  SimBadRequest,
  taskAnswer,
  teiEmbedAnswer,
  tgiTokenFrames,
} from './sim-responses.ts';

export type SimFaultMode = 'ok' | 'down' | 'error' | 'slow' | 'cut';
export const SIM_FAULT_MODES: readonly SimFaultMode[] = ['ok', 'down', 'error', 'slow', 'cut'];
/** `slow` multiplies the latency by this. */
export const SIM_SLOW_FACTOR = 20;
/** `cut`: a stream's connection is dropped after this many chunks (the role chunk included). */
export const SIM_CUT_AFTER_CHUNKS = 3;
/** Chunks a second of a stream when the endpoint does not say. */
export const SIM_DEFAULT_TOKENS_PER_S = 500;
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

export interface SimEndpointConfig {
  id: string;
  kind: 'sagemaker' | 'openai-http';
  /** sagemaker: the endpoint name (InvokeEndpoint's EndpointName). */
  target: string;
  model: string;
  /** The model name the server serves: openai-http requests naming another model get 404. */
  upstream_model: string;
  latency_ms: number;
  jitter_ms: number;
  /** Share (0..1) of requests answered with a 500 after the latency. */
  error_rate: number;
  /** Concurrent requests beyond this are answered 429. */
  capacity?: number;
  /** sagemaker chat answers: an OpenAI chat.completion (default) or TGI's `[{generated_text}]`. */
  chat_format?: 'openai' | 'tgi';
  /** Share (0..1) of texts on which this endpoint deterministically picks another label. */
  disagree_rate?: number;
  /** Streams: time to the first chunk (jitter added as for latency). @default latency_ms */
  ttft_ms?: number;
  /** Streams: chunks (about a token each) a second after the first. @default SIM_DEFAULT_TOKENS_PER_S */
  tokens_per_s?: number;
  /** Chat `n > 1` answered with n choices (else a 400, as a server without `n` does). */
  supports_n?: boolean;
  /** The model's embedding length (default 16); `{"inputs"}` on SageMaker is TEI's /embed. */
  embedding_dimensions?: number;
  /** A prefix cache over chat requests' opening messages (absent: none). */
  prefix_cache?: PrefixCacheSettings;
}

export type SimEndpointProfile = Partial<
  Pick<
    SimEndpointConfig,
    | 'latency_ms'
    | 'jitter_ms'
    | 'error_rate'
    | 'capacity'
    | 'chat_format'
    | 'disagree_rate'
    | 'ttft_ms'
    | 'tokens_per_s'
    | 'prefix_cache'
  >
>;

/**
 * Counters of inference requests (probes counted apart). Every request ends as exactly one of
 * served, errors (5xx, 4xx, down, cut), throttled (429) or aborted (the client went away), or is
 * inflight. `streams` counts the requests among them that asked to stream.
 */
export interface SimEndpointStats {
  requests: number;
  served: number;
  errors: number;
  throttled: number;
  aborted: number;
  inflight: number;
  streams: number;
  /** Health routes and DescribeEndpoint calls. */
  probes: number;
  /** Chat requests served from / not from the prefix cache (0 without one). */
  prefix_hits: number;
  prefix_misses: number;
}

export interface SimEndpointInfo extends SimEndpointConfig {
  fault: SimFaultMode;
  /** openai-http: the base URL to use as target (`…/{id}/v1`); sagemaker: the invocation URL. */
  url: string;
}

export interface SimEndpointsOptions {
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  endpoints: readonly SimEndpointConfig[];
  /**
   * Uniform [0, 1) draws: one per request for jitter (when jitter_ms > 0), then one for the
   * error draw (when error_rate > 0). @default Math.random
   */
  random?: () => number;
  /** The prefix caches' clock (epoch ms). @default Date.now */
  now?: () => number;
}

export interface SimEndpoints {
  url: string;
  port: number;
  stop(): Promise<void>;
  setFault(id: string, mode: SimFaultMode): void;
  list(): SimEndpointInfo[];
  setProfile(id: string, profile: SimEndpointProfile): void;
  stats(id: string): SimEndpointStats;
  /**
   * Holds the endpoint's accepted requests in flight (after their latency) until the returned
   * function is called: tests make "while this request is in flight" a fact, not a race.
   */
  hold(id: string): () => void;
}

interface EndpointState {
  config: SimEndpointConfig;
  fault: SimFaultMode;
  stats: SimEndpointStats;
  seq: number;
  cache: PrefixCache | undefined;
  /** Set while held: accepted requests wait for it before answering. */
  held?: Promise<void>;
}

/** How a request ended once it was answered (or not). */
type Ending = 'served' | 'cut' | 'aborted';

/** How one protocol says each outcome. */
interface Responder {
  down(): void;
  rejected(status: number, message: string): void;
  throttled(): void;
  error(): void;
  ok(answer: unknown): Ending | Promise<Ending>;
}

/** A streamed answer: its frames (each one write), and how long before the first one. */
interface StreamPlan {
  frames: string[];
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SimBadRequest('body too large', 413));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  // As a model server would: a body nested deeper than any request may be is refused (and the
  // simulated answers' walks over it stay bounded).
  if (jsonTextDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new SimBadRequest('the body is nested too deep');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimBadRequest('the body is not valid JSON');
  }
}

const isStreamPlan = (v: unknown): v is StreamPlan =>
  typeof v === 'object' && v !== null && Array.isArray((v as { frames?: unknown }).frames);

/** The conversation key of a chat body (`messages`), for the prefix cache; undefined otherwise. */
function chatPrefixKey(body: Buffer): string | undefined {
  try {
    const peek = JSON.parse(body.toString('utf8')) as { messages?: unknown } | null;
    return Array.isArray(peek?.messages) ? conversationKey(peek.messages) : undefined;
  } catch {
    return undefined;
  }
}

const isIncludeUsage = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && (v as { include_usage?: unknown }).include_usage === true;

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Resolves true after `ms` (at once for 0: no timer), or false as soon as the client goes away. */
export function waitUnlessGone(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    // setTimeout(0) waits for the next timers phase: about 1.5 ms a request on this loaded machine.
    if (ms <= 0) return resolve(true);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

/** Resolves true once the endpoint is no longer held (at once when it is not), false if the client went away. */
async function releasedUnlessGone(ep: EndpointState, res: ServerResponse): Promise<boolean> {
  while (ep.held) {
    if (res.destroyed) return false;
    let onClose = (): void => {};
    const gone = new Promise<boolean>((resolve) => {
      onClose = () => resolve(false);
      res.once('close', onClose);
    });
    const released = await Promise.race([ep.held.then(() => true), gone]);
    res.off('close', onClose);
    if (!released) return false;
  }
  return true;
}

function validateProfile(id: string, p: SimEndpointProfile): void {
  const bad = (field: string, why: string) => new Error(`sim endpoint ${id}: ${field} ${why}`);
  for (const field of ['latency_ms', 'jitter_ms', 'ttft_ms'] as const) {
    const v = p[field];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw bad(field, 'must be a number ≥ 0');
  }
  for (const field of ['error_rate', 'disagree_rate'] as const) {
    const v = p[field];
    if (v !== undefined && !(v >= 0 && v <= 1)) throw bad(field, 'must be between 0 and 1');
  }
  if (p.tokens_per_s !== undefined && !(Number.isFinite(p.tokens_per_s) && p.tokens_per_s > 0)) {
    throw bad('tokens_per_s', 'must be a number > 0');
  }
  if (p.capacity !== undefined && !(Number.isInteger(p.capacity) && p.capacity > 0)) {
    throw bad('capacity', 'must be a positive integer');
  }
  const c = p.prefix_cache;
  if (c !== undefined) {
    if (!(c.ttft_factor >= 0 && c.ttft_factor <= 1))
      throw bad('prefix_cache.ttft_factor', 'must be between 0 and 1');
    if (!(Number.isFinite(c.ttl_ms) && c.ttl_ms > 0))
      throw bad('prefix_cache.ttl_ms', 'must be a number > 0');
    if (!(Number.isInteger(c.max_entries) && c.max_entries > 0))
      throw bad('prefix_cache.max_entries', 'must be a positive integer');
  }
}

export async function startSimEndpoints(options: SimEndpointsOptions): Promise<SimEndpoints> {
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const cacheFor = (c: SimEndpointConfig) =>
    c.prefix_cache ? new PrefixCache(c.prefix_cache, now) : undefined;
  const host = options.host ?? '127.0.0.1';
  const byId = new Map<string, EndpointState>();
  const bySageMakerName = new Map<string, EndpointState>();
  for (const config of options.endpoints) {
    if (byId.has(config.id)) throw new Error(`sim endpoint ${config.id}: duplicate id`);
    validateProfile(config.id, config);
    const state: EndpointState = {
      config: { ...config },
      fault: 'ok',
      stats: {
        requests: 0,
        served: 0,
        errors: 0,
        throttled: 0,
        aborted: 0,
        inflight: 0,
        streams: 0,
        probes: 0,
        prefix_hits: 0,
        prefix_misses: 0,
      },
      seq: 0,
      cache: cacheFor(config),
    };
    byId.set(config.id, state);
    if (config.kind === 'sagemaker') {
      if (bySageMakerName.has(config.target)) {
        throw new Error(`sim endpoint ${config.id}: SageMaker endpoint name ${config.target} is used twice`);
      }
      bySageMakerName.set(config.target, state);
    }
  }
  const get = (id: string): EndpointState => {
    const state = byId.get(id);
    if (!state) throw new Error(`no simulated endpoint "${id}"`);
    return state;
  };

  /**
   * The shared life of an inference request: fault, validation, capacity, prefix cache, latency,
   * error draw. `prefixKey`: the conversation key of a chat body.
   */
  async function serve(
    ep: EndpointState,
    res: ServerResponse,
    responder: Responder,
    compute: () => unknown,
    streaming = false,
    prefixKey?: string,
  ): Promise<void> {
    const { stats, config } = ep;
    stats.requests++;
    if (streaming) stats.streams++;
    if (ep.fault === 'down') {
      stats.errors++;
      return responder.down();
    }
    let answer: unknown;
    try {
      answer = compute();
    } catch (err) {
      if (!(err instanceof SimBadRequest)) throw err;
      stats.errors++;
      return responder.rejected(err.status, err.message);
    }
    if (config.capacity !== undefined && stats.inflight >= config.capacity) {
      stats.throttled++;
      return responder.throttled();
    }
    stats.inflight++;
    try {
      const jitter = config.jitter_ms > 0 ? (random() * 2 - 1) * config.jitter_ms : 0;
      const base = prefilled(ep, streaming, prefixKey);
      const delay = Math.max(0, base + jitter) * (ep.fault === 'slow' ? SIM_SLOW_FACTOR : 1);
      if (!(await waitUnlessGone(delay, res)) || !(await releasedUnlessGone(ep, res))) {
        stats.aborted++;
        return;
      }
      const failed = ep.fault === 'error' || (config.error_rate > 0 && random() < config.error_rate);
      if (failed) {
        stats.errors++;
        return responder.error();
      }
      if (ep.fault === 'cut' && !streaming) {
        // A buffered answer cut: the connection drops before it is sent.
        stats.errors++;
        res.socket?.destroy();
        return;
      }
      const ending = await responder.ok(answer);
      if (ending === 'served') stats.served++;
      else if (ending === 'cut') stats.errors++;
      else stats.aborted++;
    } finally {
      stats.inflight--;
    }
  }

  /** The latency before jitter: a prefix-cache hit cuts the time to first token to ttft_factor of it. */
  function prefilled(ep: EndpointState, streaming: boolean, prefixKey: string | undefined): number {
    const { config, cache, stats } = ep;
    const hit = cache !== undefined && prefixKey !== undefined && cache.use(prefixKey);
    if (cache && prefixKey !== undefined) {
      if (hit) stats.prefix_hits++;
      else stats.prefix_misses++;
    }
    return prefilledLatencyMs(config, streaming, hit, cache?.settings.ttft_factor ?? 1);
  }

  // ---- SageMaker runtime: POST /endpoints/{name}/invocations[-response-stream] ----

  const awsError = (res: ServerResponse, status: number, type: string, body: Record<string, unknown>) =>
    sendJson(res, status, body, { 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });

  function sageMakerResponder(ep: EndpointState, res: ServerResponse, stream: boolean): Responder {
    const modelError = (original: number, message: string) =>
      awsError(res, 424, 'ModelError', {
        OriginalStatusCode: original,
        OriginalMessage: message,
        LogStreamArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${ep.config.target}`,
        message: `Received ${original >= 500 ? 'server' : 'client'} error (${original}) from primary with message "${message}".`,
      });
    return {
      down: () =>
        awsError(res, 503, 'ServiceUnavailable', {
          message: `Endpoint ${ep.config.target} has no healthy instances.`,
        }),
      rejected: (status, message) => modelError(status, message),
      throttled: () =>
        awsError(res, 429, 'ThrottlingException', { message: 'Rate exceeded: endpoint at capacity' }),
      error: () => modelError(500, `[${ep.config.id}] simulated model server error`),
      ok: (answer) => {
        if (stream) {
          res.writeHead(200, {
            'content-type': 'application/vnd.amazon.eventstream',
            'x-amzn-sagemaker-content-type': 'text/event-stream',
            'x-amzn-invoked-production-variant': 'AllTraffic',
          });
          return writeFrames(ep, res, (answer as StreamPlan).frames, (frame) =>
            codec.encode({
              headers: {
                ':event-type': { type: 'string', value: 'PayloadPart' },
                ':message-type': { type: 'string', value: 'event' },
                ':content-type': { type: 'string', value: 'application/octet-stream' },
              },
              body: new TextEncoder().encode(frame),
            }),
          );
        }
        sendJson(res, 200, answer, { 'x-amzn-invoked-production-variant': 'AllTraffic' });
        return 'served';
      },
    };
  }

  /**
   * Writes a stream's frames paced at the endpoint's tokens_per_s (`slow`: SIM_SLOW_FACTOR times
   * slower), or drops the connection after SIM_CUT_AFTER_CHUNKS of them (`cut`).
   */
  async function writeFrames(
    ep: EndpointState,
    res: ServerResponse,
    frames: readonly string[],
    encode: (frame: string) => Uint8Array | string,
  ): Promise<Ending> {
    const gap =
      (1000 / (ep.config.tokens_per_s ?? SIM_DEFAULT_TOKENS_PER_S)) *
      (ep.fault === 'slow' ? SIM_SLOW_FACTOR : 1);
    for (let i = 0; i < frames.length; i++) {
      if (i > 0 && !(await waitUnlessGone(gap, res))) return 'aborted';
      if (ep.fault === 'cut' && i >= SIM_CUT_AFTER_CHUNKS) {
        res.socket?.destroy();
        return 'cut';
      }
      if (res.destroyed) return 'aborted';
      res.write(encode(frames[i] as string));
    }
    res.end();
    return 'served';
  }

  const codec = new EventStreamCodec(
    (bytes) => new TextDecoder().decode(bytes),
    (text) => new TextEncoder().encode(text),
  );

  async function sageMakerInvoke(name: string, stream: boolean, req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const ep = bySageMakerName.get(name);
    if (!ep) {
      return awsError(res, 400, 'ValidationError', {
        message: `Endpoint ${name} of account ${ACCOUNT} not found.`,
      });
    }
    await serve(
      ep,
      res,
      sageMakerResponder(ep, res, stream),
      () => {
        const parsed = parseJson(body) as Record<string, unknown> | null;
        if (parsed && typeof parsed === 'object' && 'messages' in parsed) {
          const answer = chatAnswer(ep.config, parseChatBody(parsed));
          const completion = openAiChatCompletion(ep.config, answer, ++ep.seq);
          if (stream) {
            const frames =
              ep.config.chat_format === 'tgi'
                ? tgiTokenFrames(answer)
                : chatChunkFrames(completion, answer, isIncludeUsage(parsed.stream_options));
            return { frames } satisfies StreamPlan;
          }
          return ep.config.chat_format === 'tgi' ? [{ generated_text: answer.content }] : completion;
        }
        if (parsed && typeof parsed === 'object' && 'prompt' in parsed) {
          const answer = completionAnswer(ep.config, parseCompletionBody(parsed));
          const completion = openAiTextCompletion(ep.config, answer, ++ep.seq);
          if (stream) {
            const frames =
              ep.config.chat_format === 'tgi'
                ? tgiTokenFrames(answer)
                : completionChunkFrames(completion, answer, isIncludeUsage(parsed.stream_options));
            return { frames } satisfies StreamPlan;
          }
          return ep.config.chat_format === 'tgi'
            ? [{ generated_text: answer[0]?.content ?? '' }]
            : completion;
        }
        // Text Embeddings Inference (TEI) on SageMaker: `{"inputs": [...]}` → an array of vectors.
        if (!stream && parsed && typeof parsed === 'object' && 'inputs' in parsed && !('task' in parsed)) {
          return teiEmbedAnswer(ep.config, parsed.inputs);
        }
        if (stream)
          throw new SimBadRequest('streaming needs a chat body (messages) or a completion body (prompt)');
        if (!parsed || typeof parsed !== 'object' || !('task' in parsed)) {
          throw new SimBadRequest('expected an OpenAI chat body (messages) or {task, inputs}');
        }
        return taskAnswer(ep.config, parsed.task, parsed.inputs);
      },
      stream,
      chatPrefixKey(body),
    );
  }

  // ---- SageMaker control plane: POST / with X-Amz-Target (JSON 1.1) ----

  async function sageMakerControl(target: string, req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const reply = (status: number, value: unknown) =>
      sendJson(res, status, value, { 'content-type': 'application/x-amz-json-1.1' });
    if (target !== SAGEMAKER.describeEndpointTarget) {
      return reply(400, { __type: 'UnknownOperationException', message: `${target} is not simulated` });
    }
    let name: unknown;
    try {
      name = (parseJson(body) as { EndpointName?: unknown } | null)?.EndpointName;
    } catch {
      name = undefined;
    }
    const ep = typeof name === 'string' ? bySageMakerName.get(name) : undefined;
    if (!ep) {
      return reply(400, {
        __type: 'ValidationException',
        message: `Could not find endpoint "${String(name)}".`,
      });
    }
    ep.stats.probes++;
    const down = ep.fault === 'down';
    reply(200, {
      EndpointName: ep.config.target,
      EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${ep.config.target.toLowerCase()}`,
      EndpointConfigName: `${ep.config.target}-config`,
      EndpointStatus: down ? 'Failed' : 'InService',
      ...(down ? { FailureReason: 'The primary container is not responding (simulated fault).' } : {}),
      CreationTime: 1_700_000_000,
      LastModifiedTime: 1_700_000_000,
    });
  }

  // ---- OpenAI-compatible servers: /{id}/v1/..., /{id}/health ----

  function openAiResponder(ep: EndpointState, res: ServerResponse): Responder {
    const error = (status: number, message: string, type: string, headers: Record<string, string> = {}) =>
      sendJson(res, status, { error: { message, type, param: null, code: status } }, headers);
    return {
      // A dead GPU server: the connection is reset without an answer.
      down: () => void res.socket?.destroy(),
      rejected: (status, message) =>
        error(status, message, status === 404 ? 'NotFoundError' : 'BadRequestError'),
      throttled: () =>
        error(429, 'Too many requests: server at capacity', 'RateLimitError', { 'retry-after': '1' }),
      error: () => error(500, `[${ep.config.id}] simulated model server error`, 'InternalServerError'),
      ok: (answer) => {
        if (isStreamPlan(answer)) {
          res.writeHead(200, {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache',
            connection: 'keep-alive',
          });
          res.flushHeaders();
          return writeFrames(ep, res, answer.frames, (frame) => frame);
        }
        sendJson(res, 200, answer);
        return 'served';
      },
    };
  }

  function requireModel(ep: EndpointState, body: Record<string, unknown>): void {
    if (body.model !== ep.config.upstream_model) {
      throw new SimBadRequest(`The model \`${String(body.model)}\` does not exist.`, 404);
    }
  }

  async function openAi(ep: EndpointState, route: string, req: IncomingMessage, res: ServerResponse) {
    const { paths } = OPENAI_HTTP;
    const method = req.method ?? 'GET';
    if (route === paths.models || route === OPENAI_HTTP.healthPath) {
      if (method !== 'GET') return sendJson(res, 405, { error: { message: 'method not allowed' } });
      ep.stats.probes++;
      if (ep.fault === 'down') return void res.socket?.destroy();
      if (ep.fault === 'error')
        return sendJson(res, route === paths.models ? 500 : 503, { error: { message: 'unhealthy' } });
      if (route === OPENAI_HTTP.healthPath) return sendJson(res, 200, { status: 'ok' });
      return sendJson(res, 200, {
        object: 'list',
        data: [
          {
            id: ep.config.upstream_model,
            object: 'model',
            created: 1_700_000_000,
            owned_by: 'switchyard-sim',
          },
        ],
      });
    }
    if (method !== 'POST') return sendJson(res, 405, { error: { message: 'method not allowed' } });
    if (ep.fault === 'down') {
      ep.stats.requests++;
      ep.stats.errors++;
      return void res.socket?.destroy();
    }
    const body = await readBody(req);
    let streaming = false;
    let prefixKey: string | undefined;
    try {
      const peek = JSON.parse(body.toString('utf8')) as { stream?: unknown; messages?: unknown } | null;
      streaming = (route === paths.chat || route === paths.completions) && peek?.stream === true;
      if (route === paths.chat && Array.isArray(peek?.messages)) prefixKey = conversationKey(peek.messages);
    } catch {
      // parseJson below answers the 400
    }
    await serve(
      ep,
      res,
      openAiResponder(ep, res),
      () => {
        const parsed = parseJson(body);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new SimBadRequest('the body must be a JSON object');
        }
        const record = parsed as Record<string, unknown>;
        requireModel(ep, record);
        const usage = isIncludeUsage(record.stream_options);
        if (route === paths.chat) {
          const answer = chatAnswer(ep.config, parseChatBody(record));
          const completion = openAiChatCompletion(ep.config, answer, ++ep.seq);
          return streaming
            ? ({ frames: chatChunkFrames(completion, answer, usage) } satisfies StreamPlan)
            : completion;
        }
        if (route === paths.completions) {
          const answer = completionAnswer(ep.config, parseCompletionBody(record));
          const completion = openAiTextCompletion(ep.config, answer, ++ep.seq);
          return streaming
            ? ({ frames: completionChunkFrames(completion, answer, usage) } satisfies StreamPlan)
            : completion;
        }
        if (route === paths.embeddings) return embeddingsAnswer(ep.config, record.input, record.dimensions);
        return taskAnswer(ep.config, record.task, record.inputs);
      },
      streaming,
      prefixKey,
    );
  }

  const OPENAI_ROUTES = [
    OPENAI_HTTP.paths.chat,
    OPENAI_HTTP.paths.completions,
    OPENAI_HTTP.paths.models,
    OPENAI_HTTP.paths.embeddings,
    OPENAI_HTTP.paths.invocations,
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    const sm = /^\/endpoints\/([^/]+)\/(invocations|invocations-response-stream)$/.exec(path);
    if (sm && req.method === 'POST') {
      return sageMakerInvoke(decodeURIComponent(sm[1] as string), sm[2] !== 'invocations', req, res);
    }
    const amzTarget = req.headers['x-amz-target'];
    if (path === '/' && req.method === 'POST' && typeof amzTarget === 'string') {
      return sageMakerControl(amzTarget, req, res);
    }
    for (const route of OPENAI_ROUTES) {
      const suffix = `${OPENAI_HTTP.apiPrefix}${route}`;
      if (path.endsWith(suffix) && path.length > suffix.length + 1) {
        const ep = byId.get(decodeURIComponent(path.slice(1, -suffix.length)));
        if (ep?.config.kind === 'openai-http') return openAi(ep, route, req, res);
      }
    }
    if (path.endsWith(OPENAI_HTTP.healthPath)) {
      const ep = byId.get(decodeURIComponent(path.slice(1, -OPENAI_HTTP.healthPath.length)));
      if (ep?.config.kind === 'openai-http') return openAi(ep, OPENAI_HTTP.healthPath, req, res);
    }
    sendJson(res, 404, {
      error: { message: `no simulated route ${req.method} ${path}`, type: 'NotFoundError' },
    });
  }

  const handling = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = handle(req, res)
      .catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        const status = err instanceof SimBadRequest ? err.status : 500;
        sendJson(res, status, { error: { message: err instanceof Error ? err.message : String(err) } });
      })
      .finally(() => handling.delete(done));
    handling.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;

  return {
    url,
    port,
    /** Closes the server and every connection, and resolves once in-flight requests have settled. */
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.allSettled([...handling]);
    },
    setFault(id, mode) {
      if (!SIM_FAULT_MODES.includes(mode)) throw new Error(`unknown fault mode "${String(mode)}"`);
      get(id).fault = mode;
    },
    hold(id) {
      const state = get(id);
      let resolve = (): void => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      state.held = promise;
      return () => {
        if (state.held === promise) delete state.held;
        resolve();
      };
    },
    setProfile(id, profile) {
      const state = get(id);
      validateProfile(id, profile);
      const next = { ...state.config, ...profile };
      if ('capacity' in profile && profile.capacity === undefined) delete next.capacity;
      if ('prefix_cache' in profile) {
        if (profile.prefix_cache === undefined) delete next.prefix_cache;
        state.cache = cacheFor(next);
      }
      state.config = next;
    },
    list: () =>
      [...byId.values()].map((s) => ({
        ...s.config,
        fault: s.fault,
        url:
          s.config.kind === 'openai-http'
            ? `${url}/${encodeURIComponent(s.config.id)}${OPENAI_HTTP.apiPrefix}`
            : `${url}${SAGEMAKER.paths.invocations(s.config.target)}`,
      })),
    stats: (id) => ({ ...get(id).stats }),
  };
}
