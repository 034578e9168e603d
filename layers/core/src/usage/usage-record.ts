// One usage record per request that reached an upstream (chat, completions, embeddings,
// invocations, jobs): who (tenant, key), what (route, model, endpoint), how much (tokens and the
// cost charged, integer nano-USD), how it went (latency, time to first token, attempts, status)
// and when (`at`, the request's start). The record is the billing truth: x-switchyard-cost-usd
// shows its cost, budgets settle to it, the usage API and the S3 export sum it.
//
// Identity: (tenant, request_id, at). A writer builds the record once and retries the same
// record, so a retried write lands on the same key and never counts twice; writers of one
// request derive `at` from stable state (the request's start, a job's acceptance time).
import * as z from 'zod';

export const USAGE_ROUTES = ['chat', 'completion', 'embedding', 'invocation', 'job'] as const;
export type UsageRoute = (typeof USAGE_ROUTES)[number];

/**
 * `ok`: answered; `error`: an upstream was reached but no answer could be given (the cost of
 * what was consumed is still charged, 0 when the upstream reported nothing); `cancelled`: the
 * caller went away mid-answer (streams), charged for what was produced.
 */
export const USAGE_STATUSES = ['ok', 'error', 'cancelled'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

/** Largest `at` a record may carry: epoch ms with 13 digits (year 2286). */
export const MAX_USAGE_AT = 9_999_999_999_999;

const count = z.lazy(() => z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

export const UsageRecordSchema = z.lazy(() =>
  z.object({
    tenant: z.string().min(1).max(64),
    /** The API key's public id (`key_...`); `-` when the caller used no key (the local admin key). */
    key_id: z.string().min(1).max(128),
    /** Unique per request (API Gateway's request id; a job's id for jobs). */
    request_id: z.string().min(1).max(128),
    route: z.enum(USAGE_ROUTES),
    /** The model id that served (or last tried) the request. */
    model: z.string().min(1).max(256),
    model_version: z.string().min(1).max(128).optional(),
    /** The endpoint id that served (or last tried) it. */
    endpoint: z.string().min(1).max(256),
    prompt_tokens: count,
    completion_tokens: count,
    /** What the request costs, integer nano-USD (the model's prices x the upstream's usage, rounded up). */
    cost_nanos: count,
    /** `cost_nanos / 1e9`: the same amount in USD (what x-switchyard-cost-usd shows). */
    cost_usd: z.number().nonnegative(),
    /** From the request's start to its answer (or failure). */
    latency_ms: count,
    /** Time to the first token, streamed answers only. */
    ttft_ms: count.optional(),
    /** Upstream attempts made (retries, fallbacks, hedges; an ensemble's members). */
    attempts: z.number().int().min(1).max(1000),
    status: z.enum(USAGE_STATUSES),
    /** Whether the answer was streamed. */
    stream: z.boolean().optional(),
    /** Epoch ms of the request's start. */
    at: z.number().int().nonnegative().max(MAX_USAGE_AT),
  }),
);

export type UsageRecord = z.infer<typeof UsageRecordSchema>;

/** `cost_nanos` in USD, exactly as records and the x-switchyard-cost-usd header carry it. */
export function usageCostUsd(costNanos: number): number {
  return costNanos / 1_000_000_000;
}

/**
 * The x-switchyard-cost-usd header value of a record's cost: every nano-dollar, 9 decimals, from
 * the integer (no float rounding): 40 is `0.000000040`.
 */
export function costHeader(costNanos: number): string {
  const dollars = Math.floor(costNanos / 1_000_000_000);
  return `${dollars}.${String(costNanos % 1_000_000_000).padStart(9, '0')}`;
}

/**
 * Where usage records live. `put` is idempotent: a second put of a record with the same
 * (tenant, request_id, at) changes nothing (the first one wins). `query` returns the tenant's
 * records with `fromMs <= at < toMs`, ordered by `at`, then `request_id`.
 */
export interface UsageStore {
  put(record: UsageRecord): Promise<void>;
  query(tenant: string, fromMs: number, toMs: number): Promise<UsageRecord[]>;
}
