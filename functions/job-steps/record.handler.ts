// Job workflow steps `RecordSuccess` and `RecordFailure` (the final state, and the job's budget
// hold settled to what it was charged); each ending counts in `JobsEnded`.
import { EmfMetrics } from '@switchyard/adapters';
import { DIMENSION, METRIC_SERVICE } from '@switchyard/core';
import { type RecordInput, recordJob } from './job-steps.service.ts';
import { jobs, lazy } from './job-steps.wiring.ts';

const metrics = new EmfMetrics({ serviceName: METRIC_SERVICE.jobs });
const holds = lazy.holds();

export const handler = async (input: RecordInput): Promise<{ status: string }> => {
  const result = await recordJob(
    { jobs, usage: lazy.usage(), now: Date.now, ...(holds ? { holds } : {}) },
    input,
  );
  metrics.add('jobsEnded', { [DIMENSION.outcome]: result.status });
  metrics.flush();
  return result;
};
