// Job workflow step `Plan`: routes the job once and fixes its ordered target list.
import { planJob, type StepInput } from './job-steps.service.ts';
import { config, jobs, lazy } from './job-steps.wiring.ts';

export const handler = (input: StepInput): Promise<{ targets_count: number }> =>
  planJob(
    {
      jobs,
      registry: lazy.registry(),
      health: lazy.health(),
      context: () => ({
        now: Date.now(),
        random: Math.random,
        options: { health_fresh_ms: config.HEALTH_FRESH_MS },
      }),
    },
    input,
  );
