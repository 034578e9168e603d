// Job workflow steps `RecordSuccess` and `RecordFailure`.
import { type RecordInput, recordJob } from './job-steps.service.ts';
import { jobs, lazy } from './job-steps.wiring.ts';

export const handler = (input: RecordInput): Promise<{ status: string }> =>
  recordJob({ jobs, usage: lazy.usage(), now: Date.now }, input);
