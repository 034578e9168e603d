// Job workflow step `Plan`: routes the job once, holds its maximum cost on the tenant's budgets
// and fixes its ordered target list.
import { planJob, type StepInput } from './job-steps.service.ts';
import { config, jobs, lazy } from './job-steps.wiring.ts';

const holds = lazy.holds();
const budget = holds
  ? { tenants: lazy.tenants(), holds, holdTtlMs: config.JOB_BUDGET_HOLD_TTL_MS }
  : undefined;

export const handler = (input: StepInput): Promise<{ targets_count: number }> =>
  planJob(
    {
      ...(budget ? { budget } : {}),
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
