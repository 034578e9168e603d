// Helpers for the e2e suites, each on its own local stack: a registry file written for one test,
// the `openai` client and real SDK clients pointed at the stack, a table or queue by name, a
// simulated endpoint's fault mode, one run of a schedule (health check, budget sweeper) now, and
// a small JSON client for the `/admin/*` routes (the admin key is the local stand-in for IAM).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDocumentClient, createSfnClient, createSqsClient } from '@switchyard/adapters';
import OpenAI from 'openai';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../infra/local/local-stack.ts';
import { LOCAL_AWS } from './local-aws.ts';

/** Writes `yaml` to a fresh temporary registry file; returns its path. */
export function registryFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const file = join(dir, 'registry.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * A local stack on `yaml` with no schedules (tests run them), no usage plan (bursts of test
 * traffic are not what its throttle is about), no logs, and no caching of the registry, health or
 * outcomes (each request sees the last write).
 */
export function startUncachedStack(
  yaml: string,
  /** Step Functions overrides: the workflows' Wait states and Retry intervals, in ms. */
  timing: Pick<LocalStackOptions, 'waitOverrideMs' | 'retryIntervalOverrideMs'> = {},
): Promise<LocalStack> {
  return startLocalStack({
    ...timing,
    registryFile: registryFile(yaml),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
    env: {
      REGISTRY_CACHE_TTL_MS: '0',
      HEALTH_CACHE_TTL_MS: '0',
      OUTCOME_FLUSH_MS: '0',
      REFIT_SETTLE_MS: '0',
      REFIT_LAG_MS: '0',
    },
  });
}

/**
 * Two chat models for the learned-routing suites: `cheap` (prior 0.38, 1/30 of the price) and
 * `dear` (prior 0.9), one endpoint each. Append `policies:` and `local:`.
 */
export const CHEAP_AND_DEAR = `
models:
  - { id: cheap, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1], quality: { chat: 0.38 }, cost: { input_per_1k: 0.0001, output_per_1k: 0.0002 } }
  - { id: dear, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1], quality: { chat: 0.9 }, cost: { input_per_1k: 0.003, output_per_1k: 0.006 } }
endpoints:
  - { id: cheap-1, model: cheap, version: v1, kind: openai-http, target: "http://cheap.internal/v1", region: us-east-1 }
  - { id: dear-1, model: dear, version: v1, kind: openai-http, target: "http://dear.internal/v1", region: us-east-1 }
`;

/** The official `openai` client on the stack's consumer API, with the stack's key and no retries. */
export function openAiClient(stack: LocalStack): OpenAI {
  return new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
}

/** Real SDK clients on the stack's DynamoDB, SQS and Step Functions servers. */
export function localClients(stack: LocalStack) {
  const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: stack.endpoints.dynamodb });
  const sqs = createSqsClient({ ...LOCAL_AWS, endpoint: stack.endpoints.sqs });
  const sfn = createSfnClient({ ...LOCAL_AWS, endpoint: stack.endpoints.sfn });
  return {
    doc,
    sqs,
    sfn,
    destroy(): void {
      doc.destroy();
      sqs.destroy();
      sfn.destroy();
    },
  };
}

/** The value whose logical id contains `word` (e.g. a table name from `stack.resources.tables`). */
export function named(map: Record<string, string>, word: string): string {
  const hit = Object.entries(map).find(([id]) => id.toLowerCase().includes(word));
  if (!hit) throw new Error(`no ${word}`);
  return hit[1];
}

/** Runs the schedule whose rule's logical id starts with `construct` once, now; resolves to its result. */
export function runSchedule(stack: LocalStack, construct: string): Promise<unknown> {
  const schedule = stack.scheduler.schedules.find((s) => s.ruleLogicalId.startsWith(construct));
  if (!schedule) throw new Error(`the local stack has no ${construct} schedule`);
  return stack.scheduler.trigger(schedule.ruleLogicalId);
}

/** Runs the scheduled health check once, now; resolves to its summary. */
export function runHealthCheck(stack: LocalStack): Promise<unknown> {
  return runSchedule(stack, 'HealthChecks');
}

/** Runs the scheduled budget sweeper once, now; resolves to its summary. */
export function runBudgetSweeper(stack: LocalStack): Promise<unknown> {
  return runSchedule(stack, 'BudgetSweeper');
}

/** Sets a simulated endpoint's fault mode through the stack's `/_local` control route. */
export async function setFault(
  stack: { url: string },
  endpoint: string,
  mode: 'ok' | 'down' | 'error' | 'slow' | 'cut',
): Promise<void> {
  const res = await fetch(`${stack.url}/_local/endpoints/${endpoint}/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode }),
  });
  if (res.status !== 200) throw new Error(`fault ${endpoint} ${mode}: HTTP ${res.status}`);
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls `method url` with an optional bearer key and JSON body; parses the JSON answer. */
export async function call<T = Record<string, unknown>>(
  method: string,
  url: string,
  key: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** The admin API of a local stack. */
export function adminClient(stack: { url: string; adminKey: string }) {
  const url = (path: string) => `${stack.url}${path}`;
  return {
    get: <T = Record<string, unknown>>(path: string) => call<T>('GET', url(path), stack.adminKey),
    put: <T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>) =>
      call<T>('PUT', url(path), stack.adminKey, body, headers),
    post: <T = Record<string, unknown>>(path: string, body?: unknown) =>
      call<T>('POST', url(path), stack.adminKey, body ?? {}),
  };
}
