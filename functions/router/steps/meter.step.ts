// Step 7 (usage part): exactly one usage record for a request that reached an upstream, served
// or not (core usageRecordOf), written through the usage writer (idempotent by request id,
// retried, backlogged rather than lost). A request that reached no upstream leaves none.
import type { AttemptRecord, InferenceResult, PlanTarget, UsageStatus } from '@switchyard/core';
import { usageRecordOf } from '@switchyard/core';
import type { MoneyDeps, RequestMeta } from './money.types.ts';

export interface MeterFacts {
  tenant: string;
  meta: RequestMeta;
  ended_at: number;
  target: Pick<PlanTarget, 'model' | 'version' | 'endpoint'>;
  usage: InferenceResult['usage'];
  cost_nanos: number;
  attempts: readonly AttemptRecord[];
  status: UsageStatus;
  /** Streamed answers: time to the first token, and `stream: true`. */
  ttft_ms?: number;
  stream?: boolean;
}

export async function meterStep(money: MoneyDeps, f: MeterFacts): Promise<void> {
  await money.usage.record(
    usageRecordOf({
      tenant: f.tenant,
      key_id: f.meta.key_id,
      request_id: f.meta.request_id,
      route: f.meta.route,
      at: f.meta.at,
      ended_at: f.ended_at,
      target: f.target,
      usage: f.usage,
      cost_nanos: f.cost_nanos,
      attempts: f.attempts.length,
      status: f.status,
      ...(f.ttft_ms === undefined ? {} : { ttft_ms: f.ttft_ms }),
      ...(f.stream === undefined ? {} : { stream: f.stream }),
    }),
  );
}
