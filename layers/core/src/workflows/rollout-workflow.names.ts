// Names in the rollout workflow's contract, shared by the CDK construct that defines the state
// machine (infra), the step handler, the local stack and tests: state names, the step actions,
// and the shape of each step's input.

/** State names in the synthesized definition. */
export const ROLLOUT_WORKFLOW_STATES = {
  start: 'Start',
  setWeight: 'SetWeight',
  stepStarted: 'StepStarted',
  waitStep: 'WaitStep',
  evaluateGates: 'EvaluateGates',
  gateVerdict: 'GateVerdict',
  extendWait: 'ExtendWait',
  nextStep: 'NextStep',
  promote: 'Promote',
  promoted: 'Promoted',
  rollback: 'Rollback',
  rolledBack: 'RolledBack',
  rollbackFailed: 'RollbackFailed',
  stopped: 'Stopped',
} as const;

/** The error a rolled-back execution ends with (the execution fails, so alarms see it). */
export const ROLLED_BACK_ERROR = 'Switchyard.RolledBack';

/** Execution state: what the states carry between steps. */
export interface RolloutWorkflowState {
  rollout_id: string;
  wait_seconds: number;
  step_index: number;
  /** Extra waits the current step took for want of traffic. */
  extensions: number;
  step?: { weight: number; is_last: boolean; stopped: boolean };
  gate?: { verdict: 'pass' | 'wait' | 'breach' | 'stopped'; reason: string };
  /** Set by a Catch: the error that sent the execution to Rollback. */
  error?: { Error?: string; Cause?: string };
}

/** Input of the one rollout step function, by action. */
export type RolloutStepInput =
  | { action: 'begin-step'; rollout_id: string; step_index: number }
  | { action: 'evaluate'; rollout_id: string; step_index: number; extensions: number }
  | { action: 'promote'; rollout_id: string }
  | { action: 'rollback'; rollout_id: string; state: RolloutWorkflowState };
