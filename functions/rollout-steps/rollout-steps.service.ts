// The rollout state machine's steps over the rollout lifecycle (adapters rollouts.lifecycle.ts):
// one function, dispatched by `action`, so every step has the same small set of grants. The
// scale-in steps go to adapters rollouts.scale-in.ts; so does the EventBridge event of an execution
// that ended without reaching an end state (stopped by a manual rollback, timed out): resume.
import type {
  BeginStepResult,
  EvaluateResult,
  RolloutLifecycle,
  RolloutScaleIn,
  ScaleInStepResult,
} from '@switchyard/adapters';
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
  z.object({ action: z.literal('suspend-scale-in'), rollout_id: z.string().min(1) }),
  z.object({ action: z.literal('resume-scale-in'), rollout_id: z.string().min(1) }),
]);

/** EventBridge's event for a rollout execution that ended ABORTED or TIMED_OUT (named after the rollout). */
const ExecutionEndedSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({ name: z.string().min(1) }),
});

export type StepResult = BeginStepResult | EvaluateResult | ScaleInStepResult | { status: string };

/** A step input, or the execution-ended event as the `resume-scale-in` step it stands for. */
function stepInput(input: unknown) {
  const ended = ExecutionEndedSchema.safeParse(input);
  if (ended.success) return { action: 'resume-scale-in' as const, rollout_id: ended.data.detail.name };
  return StepInputSchema.parse(input);
}

/** Runs one step; an invalid input throws (the state machine's Catch rolls back). */
export async function runRolloutStep(
  lifecycle: RolloutLifecycle,
  input: unknown,
  scaleIn: Pick<RolloutScaleIn, 'suspend' | 'resume'>,
): Promise<StepResult> {
  const step = stepInput(input);
  switch (step.action) {
    case 'suspend-scale-in':
      return scaleIn.suspend(step.rollout_id);
    case 'resume-scale-in':
      return scaleIn.resume(step.rollout_id);
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
