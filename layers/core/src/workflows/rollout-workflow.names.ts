// Names in the rollout workflow's contract, shared by the CDK construct that defines the state
// machine (infra), the step handler, the local stack and tests: state names, the step actions,
// and the shape of each step's input.

/** State names in the synthesized definition. */
export const ROLLOUT_WORKFLOW_STATES = {
  start: 'Start',
  /** Scale-in held on the rollout's owned SageMaker endpoints (a failure is caught, never blocking). */
  suspendScaleIn: 'SuspendScaleIn',
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
  /** Scale-in restored before each end state (a failure is caught and the end state still reached). */
  resumeScaleInPromoted: 'ResumeScaleInPromoted',
  resumeScaleInRolledBack: 'ResumeScaleInRolledBack',
  resumeScaleInRollbackFailed: 'ResumeScaleInRollbackFailed',
  resumeScaleInStopped: 'ResumeScaleInStopped',
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
  /** Set by SuspendScaleIn's Catch: scaling was left as it was (the rollout goes on). */
  scale_in_error?: { Error?: string; Cause?: string };
  /** Set by a Catch: the error that sent the execution to Rollback. */
  error?: { Error?: string; Cause?: string };
}

/** Input of the one rollout step function, by action. */
export type RolloutStepInput =
  | { action: 'begin-step'; rollout_id: string; step_index: number }
  | { action: 'evaluate'; rollout_id: string; step_index: number; extensions: number }
  | { action: 'promote'; rollout_id: string }
  | { action: 'rollback'; rollout_id: string; state: RolloutWorkflowState }
  | { action: 'suspend-scale-in'; rollout_id: string }
  | { action: 'resume-scale-in'; rollout_id: string };
