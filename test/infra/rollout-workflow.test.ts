// The rollout state machine as synthesized: the exact states, a Wait on `$.wait_seconds`, every
// Task retried with backoff and jitter and caught into Rollback, the gate loop (extend, next
// step, promote, roll back), and a role that may invoke only the rollout step function.
import { describe, expect, it } from 'vitest';
import { ROLLOUT_WORKFLOW_STATES as S } from '../../layers/core/src/index.ts';
import {
  functionByEntry,
  functionEnv,
  render,
  roleStatements,
  stateMachine,
  statementsFor,
  synthApp,
  tableArn,
} from './template.helpers.ts';

const { statelessTemplate: template } = synthApp();
const { machine, asl, state } = stateMachine(template, 'RolloutWorkflow');
const STEPS = 'functions/rollout-steps/rollout-steps.handler.ts';

describe('rollout state machine', () => {
  it('is STANDARD, logs errors without execution data, and has exactly the named states', () => {
    expect(machine.Properties?.StateMachineType).toBe('STANDARD');
    expect(machine.Properties?.LoggingConfiguration).toMatchObject({
      Level: 'ERROR',
      IncludeExecutionData: false,
    });
    expect(Object.keys(asl.States).sort()).toEqual(Object.values(S).sort());
    expect(asl.StartAt).toBe(S.start);
    expect(asl.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('starts at step 0 with no extensions, then sets the weight', () => {
    expect(state(S.start)).toMatchObject({
      Type: 'Pass',
      Parameters: {
        'rollout_id.$': '$.rollout_id',
        'wait_seconds.$': '$.wait_seconds',
        step_index: 0,
        extensions: 0,
      },
      Next: S.setWeight,
    });
  });

  it('binds every Task to the step function with its action, a timeout, Retry with backoff and jitter, and Catch to Rollback', () => {
    const { id } = functionByEntry(template, STEPS);
    const tasks = Object.entries(asl.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual(
      [S.evaluateGates, S.promote, S.rollback, S.setWeight].sort(),
    );
    const actions: Record<string, string> = {
      [S.setWeight]: 'begin-step',
      [S.evaluateGates]: 'evaluate',
      [S.promote]: 'promote',
      [S.rollback]: 'rollback',
    };
    for (const [name, s] of tasks) {
      // payloadResponseOnly: the function ARN is the resource, Parameters the payload.
      expect(render(s.Resource)).toBe(`\${${id}.Arn}`);
      expect(s.Parameters?.action).toBe(actions[name]);
      expect(s.TimeoutSeconds).toBe(35);
      // (CDK puts its Lambda service-exception retry first.)
      const retry = s.Retry?.find((r) => r.ErrorEquals.includes('States.ALL'));
      expect(retry).toMatchObject({ ErrorEquals: ['States.ALL'], BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(retry?.MaxAttempts).toBe(name === S.rollback ? 6 : 3);
      const caughtBy = s.Catch?.[0];
      expect(caughtBy?.ErrorEquals).toEqual(['States.ALL']);
      expect(caughtBy?.Next).toBe(name === S.rollback ? S.rollbackFailed : S.rollback);
    }
  });

  it('waits $.wait_seconds per step, then evaluates the gates', () => {
    expect(state(S.stepStarted)).toMatchObject({ Type: 'Choice', Default: S.waitStep });
    expect(state(S.waitStep)).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.wait_seconds',
      Next: S.evaluateGates,
    });
    expect(state(S.evaluateGates)).toMatchObject({ ResultPath: '$.gate', Next: S.gateVerdict });
  });

  it('branches on the verdict: stopped, breach -> Rollback, wait -> ExtendWait, pass on the last step -> Promote, pass -> NextStep', () => {
    const choices = (state(S.gateVerdict).Choices ?? []).map((c) => c.Next);
    expect(choices).toEqual([S.stopped, S.rollback, S.extendWait, S.promote, S.nextStep]);
    expect(state(S.gateVerdict).Default).toBe(S.rollback);
    expect(state(S.extendWait)).toMatchObject({
      Type: 'Pass',
      Next: S.waitStep,
      Parameters: { 'extensions.$': 'States.MathAdd($.extensions, 1)' },
    });
    expect(state(S.nextStep)).toMatchObject({
      Type: 'Pass',
      Next: S.setWeight,
      Parameters: { 'step_index.$': 'States.MathAdd($.step_index, 1)', extensions: 0 },
    });
  });

  it('ends promoted (Succeed) or rolled back (Fail, so alarms see it)', () => {
    expect(state(S.promote).Next).toBe(S.promoted);
    expect(state(S.promoted).Type).toBe('Succeed');
    expect(state(S.rollback).Next).toBe(S.rolledBack);
    expect(state(S.rolledBack)).toMatchObject({ Type: 'Fail', Error: 'Switchyard.RolledBack' });
    expect(state(S.rollbackFailed).Type).toBe('Fail');
    expect(state(S.rollback).Parameters).toMatchObject({ action: 'rollback', 'state.$': '$' });
  });

  it('has a role that may invoke only the rollout step function', () => {
    const roleId = render(machine.Properties?.RoleArn).slice(2, -1).split('.')[0] as string;
    const lambda = roleStatements(template, roleId).filter((s) =>
      s.Action.some((a) => a.startsWith('lambda:')),
    );
    const targets = new Set(
      lambda.flatMap((s) => s.Resource).map((r) => r.replace(/^\$\{(\w+)\.Arn\}(:\*)?$/, '$1')),
    );
    expect(targets).toEqual(new Set([functionByEntry(template, STEPS).id]));
  });

  it('gives the step function the decision log as a Scan only, unconditioned (a policy step reads its window)', () => {
    expect(render(functionEnv(template, STEPS).DECISIONS_TABLE)).toMatch(
      /^\$\{import:SwitchyardStateful:ExportsOutputRefTablesDecisions[0-9A-F]{8}/,
    );
    const onDecisions = statementsFor(template, STEPS, 'dynamodb:').filter((s) =>
      s.Resource.some((r) => tableArn('Decisions').test(r)),
    );
    expect(onDecisions.map((s) => [s.Action, s.Condition])).toEqual([[['dynamodb:Scan'], undefined]]);
  });
});
