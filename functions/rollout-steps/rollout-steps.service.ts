// The rollout state machine's steps over the rollout lifecycle (adapters rollouts.lifecycle.ts):
// one function, dispatched by `action`, so every step has the same small set of grants.
import type { BeginStepResult, EvaluateResult, RolloutLifecycle } from '@switchyard/adapters';
import { z } from '@switchyard/core';

const StepInputSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('begin-step'),
    rollout_id: z.string().min(1),
    step_index: z.number().int().min(0),
  }),
  z.object({
    action: z.literal('evaluate'),
    rollout_id: z.string().min(1),
    step_index: z.number().int().min(0),
    extensions: z.number().int().min(0),
  }),
  z.object({ action: z.literal('promote'), rollout_id: z.string().min(1) }),
  z.object({
    action: z.literal('rollback'),
    rollout_id: z.string().min(1),
    state: z
      .object({
        gate: z.object({ verdict: z.string().optional(), reason: z.string().optional() }).optional(),
        error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
      })
      .passthrough(),
  }),
]);

export type StepResult = BeginStepResult | EvaluateResult | { status: string };

/** Runs one step; an invalid input throws (the state machine's Catch rolls back). */
export async function runRolloutStep(lifecycle: RolloutLifecycle, input: unknown): Promise<StepResult> {
  const step = StepInputSchema.parse(input);
  switch (step.action) {
    case 'begin-step':
      return lifecycle.beginStep(step.rollout_id, step.step_index);
    case 'evaluate':
      return lifecycle.evaluate(step.rollout_id, step.step_index, step.extensions);
    case 'promote':
      return { status: (await lifecycle.promote(step.rollout_id)).status };
    case 'rollback': {
      const { gate, error } = step.state;
      return {
        status: (
          await lifecycle.rollbackFromWorkflow(step.rollout_id, {
            ...(gate ? { gate } : {}),
            ...(error ? { error } : {}),
          })
        ).status,
      };
    }
  }
}
