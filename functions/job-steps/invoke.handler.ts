// Job workflow step `Invoke`: one attempt on the target at the cursor. Its passive outcome goes
// to the health table through a buffer, so the job never waits on (or fails for) health writes;
// a served job's usage record is written before the job is finished.
import { modelKey } from '@switchyard/core';
import { invokeTarget, type StepInput } from './job-steps.service.ts';
import { jobs, lazy } from './job-steps.wiring.ts';

export const handler = (input: StepInput & { cursor: number }): Promise<{ endpoint: string }> =>
  invokeTarget(
    {
      jobs,
      inference: lazy.inference(),
      recordOutcomes: async (outcomes) => lazy.outcomes().add(outcomes),
      now: Date.now,
      metering: {
        usage: lazy.usage(),
        model: async (t) => (await lazy.registry().get()).modelsByKey.get(modelKey(t.model, t.version)),
      },
    },
    input,
  );
