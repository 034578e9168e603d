// Metering (pure): whether a request reached an upstream (only those are metered), what a served
// answer is charged (the served model's prices x the upstream's token usage, rounded up to the
// nano-dollar; the plan's estimate when the upstream reported no usage), and the usage record
// of a request from what the router knows at its end.
import { actualCostNanos, usdToNanosCeil } from '../budget/money.ts';
import type { AttemptRecord } from '../errors.ts';
import type { InferenceResult } from '../ports.ts';
import type { Model } from '../registry.schema.ts';
import type { PlanTarget } from '../route.types.ts';
import { type UsageRecord, type UsageRoute, type UsageStatus, usageCostUsd } from './usage-record.ts';

/**
 * Whether any attempt reached an upstream: every outcome but `not-sent` (never sent: the
 * caller's input or our defect) and `skipped-deadline` (never started). `local(a)`: attempts
 * the caller's side refused before sending (e.g. a local circuit breaker's short circuit).
 */
export function reachedUpstream(
  attempts: readonly AttemptRecord[],
  local: (a: AttemptRecord) => boolean = () => false,
): boolean {
  return attempts.some((a) => a.outcome !== 'not-sent' && a.outcome !== 'skipped-deadline' && !local(a));
}

/** What an answer from `target` is charged, nano-USD. */
export function chargedCostNanos(
  model: Pick<Model, 'cost'> | undefined,
  usage: InferenceResult['usage'],
  target: Pick<PlanTarget, 'estimated_cost_usd'>,
): number {
  if (usage && model) return actualCostNanos(model, usage);
  return usdToNanosCeil(target.estimated_cost_usd);
}

export interface MeterInput {
  tenant: string;
  key_id: string | undefined;
  request_id: string;
  route: UsageRoute;
  /** Epoch ms the request started, and when it ended. */
  at: number;
  ended_at: number;
  /** The target that served, or (failures) the last one tried. */
  target: Pick<PlanTarget, 'model' | 'version' | 'endpoint'>;
  usage: InferenceResult['usage'];
  cost_nanos: number;
  attempts: number;
  status: UsageStatus;
  ttft_ms?: number;
  stream?: boolean;
}

/** The usage record of one request. */
export function usageRecordOf(m: MeterInput): UsageRecord {
  return {
    tenant: m.tenant,
    key_id: m.key_id ?? '-',
    request_id: m.request_id,
    route: m.route,
    model: m.target.model,
    model_version: m.target.version,
    endpoint: m.target.endpoint,
    prompt_tokens: m.usage?.prompt_tokens ?? 0,
    completion_tokens: m.usage?.completion_tokens ?? 0,
    cost_nanos: m.cost_nanos,
    cost_usd: usageCostUsd(m.cost_nanos),
    latency_ms: Math.max(0, m.ended_at - m.at),
    ...(m.ttft_ms === undefined ? {} : { ttft_ms: m.ttft_ms }),
    attempts: Math.max(1, m.attempts),
    status: m.status,
    ...(m.stream === undefined ? {} : { stream: m.stream }),
    at: m.at,
  };
}

/** The attempt a failed request is recorded under: the last one that reached an upstream. */
export function lastReached(
  attempts: readonly AttemptRecord[],
  local: (a: AttemptRecord) => boolean = () => false,
): AttemptRecord | undefined {
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i] as AttemptRecord;
    if (a.outcome !== 'not-sent' && a.outcome !== 'skipped-deadline' && !local(a)) return a;
  }
  return undefined;
}
