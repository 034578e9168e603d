// Job workflow step `Invoke`: one attempt on the target at the cursor.
import { invokeTarget, type StepInput } from './job-steps.service.ts';
import { jobs, lazy } from './job-steps.wiring.ts';

export const handler = (input: StepInput & { cursor: number }): Promise<{ endpoint: string }> =>
  invokeTarget(
    {
      jobs,
      inference: lazy.inference(),
      recordOutcomes: async (outcomes) => {
        await lazy
          .healthStore()
          .recordOutcomes(outcomes)
          .catch(() => undefined);
      },
      now: Date.now,
    },
    input,
  );
