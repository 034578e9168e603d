// The overhead bench's router over in-memory stores and its timing loop, shared by the bench
// (overhead.bench.ts) and its fresh-process child (overhead.child.ts). Kept apart from the bench so
// the child loads the router's modules and nothing of the local stack (as a Lambda execution
// environment loads only its function).
import { Writable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { EmfMetrics, MemoryBudgetStore, MemoryUsageStore } from '@switchyard/adapters';
import type { InferenceClient, Registry, RouterCircuitChange, TenantBudgetConfig } from '@switchyard/core';
import type { Context } from 'aws-lambda';
import { MemoryHealthStore } from '../support/memory-health.store.ts';

export const REGISTRY = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
endpoints:
  - { id: a, model: m1, version: v1, kind: openai-http, target: "http://a.internal/v1", region: us-east-1 }
policies:
  - { name: chat, match: { model: chat }, models: [m1] }
local:
  defaults: { latency_ms: 0, jitter_ms: 0 }
`;

/** The tenant's budgets in the in-memory routers: a spend budget and both rate limits, never reached. */
const TENANT_BUDGETS: TenantBudgetConfig = {
  budget: { limit_usd: 1_000_000, period: 'month' },
  rate_limits: { tokens_per_minute: 1_000_000_000, requests_per_minute: 1_000_000_000 },
};

/** The answer of the in-process upstream (parsed per call, as an HTTP client parses it), with no network. */
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_764_633_600,
  model: 'llama',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
});
export const zeroLatencyUpstream: InferenceClient = {
  invoke: async () => ({
    body: JSON.parse(COMPLETION) as unknown,
    usage: { prompt_tokens: 9, completion_tokens: 3 },
  }),
};

export type StreamingHandler = (event: unknown, stream: Writable, context: Context) => Promise<unknown>;

/** Lambda's context for one invocation of `name`. */
function context(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * One invocation as Lambda's runtime has it before it calls the handler: the event parsed from
 * its JSON, the context, and the response stream (collecting what the handler writes).
 */
export interface Invocation {
  event: unknown;
  context: Context;
  stream: Writable;
  bytes: Buffer[];
}

export function invocation(eventJson: string): Invocation {
  const bytes: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes.push(chunk);
      cb();
    },
  });
  return { event: JSON.parse(eventJson) as unknown, context: context('router'), stream, bytes };
}

/** Invokes a streamified handler as InvokeWithResponseStream does (the stream ends with it). */
export async function invokeStreamed(handler: StreamingHandler, call: Invocation): Promise<void> {
  await handler(call.event, call.stream, call.context);
  if (!call.stream.writableEnded) call.stream.end();
}

/** The answer's body (the text after the prelude's NUL separator); throws unless the status is 200. */
export function streamedBody(call: Invocation): string {
  const text = Buffer.concat(call.bytes).toString('utf8');
  const prelude = JSON.parse(text.slice(0, text.indexOf('\u0000'))) as { statusCode: number };
  if (prelude.statusCode !== 200) throw new Error(`router answered ${prelude.statusCode}: ${text}`);
  return text.slice(text.lastIndexOf('\u0000') + 1);
}

/**
 * Checks once, before timing, that `body` is the upstream's chat.completion as the router answers
 * it (served by m1): a timed loop that answered something else would measure the wrong work.
 */
export function checkAnswer(body: string): void {
  const answer = JSON.parse(body) as { object?: unknown; model?: unknown; choices?: unknown };
  if (answer.object !== 'chat.completion' || answer.model !== 'm1' || !Array.isArray(answer.choices)) {
    throw new Error(`unexpected answer: ${body.slice(0, 200)}`);
  }
}

/** A router over in-memory stores (router.factory.ts), with `inference` as its upstream client. */
export async function memoryRouter(registry: Registry, inference: InferenceClient) {
  const { createRouterHandler } = await import('../../functions/router/router.factory.ts');
  const health = Object.assign(new MemoryHealthStore(), {
    publishRouterCircuits: async (_container: string, _changes: readonly RouterCircuitChange[]) => {},
  });
  const registrySource = {
    load: async () => registry,
    replace: async () => {},
  };
  return createRouterHandler({
    stores: {
      registry: registrySource,
      health,
      budgets: new MemoryBudgetStore(),
      usage: new MemoryUsageStore(),
      tenants: { get: async () => TENANT_BUDGETS },
    },
    inference,
    settings: {
      REGISTRY_CACHE_TTL_MS: 5000,
      HEALTH_CACHE_TTL_MS: 2000,
      HEALTH_FRESH_MS: 30_000,
      MAX_BODY_BYTES: 6 * 1024 * 1024,
      OUTCOME_FLUSH_MS: 1000,
      INFLIGHT_FRESH_MS: 10_000,
      TENANT_CACHE_TTL_MS: 5000,
      BUDGET_LEASE_TTL_MS: 60_000,
    },
    // As in Lambda (INFO, JSON to stdout: nothing is logged for a served request), and the EMF
    // documents built and serialised as in Lambda, written nowhere.
    logger: new Logger({ serviceName: 'switchyard-router', logLevel: 'INFO' }),
    emf: new EmfMetrics({ serviceName: 'router', disabled: false, write: () => {} }),
  });
}

/**
 * Times `fn` over `requests` calls after `warmups`. Each call gets its own invocation, built before
 * the timed window (as Lambda's runtime builds them before calling the handler); `check` reads its
 * result after the clock has stopped.
 */
export async function time(
  eventJson: string,
  requests: number,
  warmups: number,
  fn: (call: Invocation) => Promise<unknown>,
  check: (call: Invocation) => void = () => {},
): Promise<number[]> {
  for (let i = 0; i < warmups; i++) {
    const call = invocation(eventJson);
    await fn(call);
    check(call);
  }
  const calls = Array.from({ length: requests }, () => invocation(eventJson));
  const out: number[] = [];
  for (const call of calls) {
    const t0 = process.hrtime.bigint();
    await fn(call);
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
    check(call);
  }
  return out;
}
