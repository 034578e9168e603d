// The rollout state machine as synthesized: the exact states, a Wait on `$.wait_seconds`, every
// Task retried with backoff and jitter and caught into Rollback, the gate loop (extend, next
// step, promote, roll back), scale-in held after Start and restored before every end state (each
// caught into the next state), the rule that resumes scale-in for executions that end otherwise,
// and a role that may invoke only the rollout step function; the step function's scaling grants.
import { describe, expect, it } from 'vitest';
import { ROLLOUT_WORKFLOW_STATES as S } from '../../layers/core/src/index.ts';
import {
  functionByEntry,
  functionEnv,
  props,
  render,
  resources,
  roleOf,
  roleStatements,
  stateMachine,
  statementsFor,
  synthApp,
  tableArn,
  token,
} from './template.helpers.ts';

const { statelessTemplate: template } = synthApp();
const { machine, asl, state } = stateMachine(template, 'RolloutWorkflow');
const machineId = resources(template, 'AWS::StepFunctions::StateMachine').find(([rid]) =>
  rid.startsWith('RolloutWorkflow'),
)?.[0];
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
      Next: S.suspendScaleIn,
    });
    expect(state(S.suspendScaleIn).Next).toBe(S.setWeight);
  });

  // A scale-in Task and the state its Catch (and its Next) go on to.
  const SCALE_IN_NEXT: Record<string, string> = {
    [S.suspendScaleIn]: S.setWeight,
    [S.resumeScaleInPromoted]: S.promoted,
    [S.resumeScaleInRolledBack]: S.rolledBack,
    [S.resumeScaleInRollbackFailed]: S.rollbackFailed,
    [S.resumeScaleInStopped]: S.stopped,
  };

  it('binds every Task to the step function with its action, a timeout, Retry with backoff and jitter, and Catch to Rollback', () => {
    const { id } = functionByEntry(template, STEPS);
    const tasks = Object.entries(asl.States).filter(
      ([n, s]) => s.Type === 'Task' && SCALE_IN_NEXT[n] === undefined,
    );
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
      expect(caughtBy?.Next).toBe(name === S.rollback ? S.resumeScaleInRollbackFailed : S.rollback);
    }
  });

  it('holds scale-in after Start and restores it before every end state; a scaling failure is caught into the next state', () => {
    const { id } = functionByEntry(template, STEPS);
    const tasks = Object.entries(asl.States).filter(([n]) => SCALE_IN_NEXT[n] !== undefined);
    expect(tasks.map(([n]) => n).sort()).toEqual(Object.keys(SCALE_IN_NEXT).sort());
    for (const [name, s] of tasks) {
      expect(render(s.Resource)).toBe(`\${${id}.Arn}`);
      expect(s.Parameters).toEqual({
        action: name === S.suspendScaleIn ? 'suspend-scale-in' : 'resume-scale-in',
        'rollout_id.$': '$.rollout_id',
      });
      expect(s.TimeoutSeconds).toBe(35);
      expect(s.ResultPath).toBeNull();
      const retry = s.Retry?.find((r) => r.ErrorEquals.includes('States.ALL'));
      expect(retry).toMatchObject({ BackoffRate: 2, MaxAttempts: 3, JitterStrategy: 'FULL' });
      expect(s.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.scale_in_error', Next: SCALE_IN_NEXT[name] },
      ]);
      expect(s.Next).toBe(SCALE_IN_NEXT[name]);
    }
    // Every way into an end state passes its ResumeScaleIn task.
    const into = (target: string) =>
      Object.entries(asl.States)
        .filter(
          ([, s]) =>
            s.Next === target ||
            s.Default === target ||
            (s.Choices ?? []).some((c) => c.Next === target) ||
            (s.Catch ?? []).some((c) => c.Next === target),
        )
        .map(([n]) => n);
    expect(into(S.promoted)).toEqual([S.resumeScaleInPromoted]);
    expect(into(S.rolledBack)).toEqual([S.resumeScaleInRolledBack]);
    expect(into(S.rollbackFailed)).toEqual([S.resumeScaleInRollbackFailed]);
    expect(into(S.stopped)).toEqual([S.resumeScaleInStopped]);
  });

  it('sends executions that end FAILED, TIMED_OUT or ABORTED to the step function (resume scale-in)', () => {
    const { id } = functionByEntry(template, STEPS);
    const rules = resources(template, 'AWS::Events::Rule').filter(([rid]) =>
      rid.startsWith('RolloutWorkflowExecutionEnded'),
    );
    expect(rules).toHaveLength(1);
    const rule = props(rules[0]?.[1]);
    expect(rule.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        stateMachineArn: [{ Ref: machineId }],
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
      },
    });
    const targets = rule.Targets as Array<Record<string, unknown>>;
    expect(targets.map((t) => render(t.Arn as never))).toEqual([`\${${id}.Arn}`]);
    // The whole event goes to the function (it reads the execution name, the rollout id).
    expect(targets[0]?.Input).toBeUndefined();
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
    expect(choices).toEqual([S.resumeScaleInStopped, S.rollback, S.extendWait, S.promote, S.nextStep]);
    expect(state(S.stepStarted).Choices?.[0]?.Next).toBe(S.resumeScaleInStopped);
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
    expect(state(S.promote).Next).toBe(S.resumeScaleInPromoted);
    expect(state(S.promoted).Type).toBe('Succeed');
    expect(state(S.rollback).Next).toBe(S.resumeScaleInRolledBack);
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

describe('rollout step function: scaling grants', () => {
  const scaled = synthApp('test/infra/fixtures/registry-autoscaling.yaml').statelessTemplate;
  const scaling = (t: typeof template) =>
    [...statementsFor(t, STEPS, 'application-autoscaling:'), ...statementsFor(t, STEPS, 'sagemaker:')].map(
      (s) => ({ Action: s.Action, Resource: s.Resource, Condition: s.Condition }),
    );

  it('with owned endpoints: describe targets (no resource-level permissions), register only scalable targets of this account and region, the owned endpoints by ARN', () => {
    const endpoint = (name: string) =>
      `arn:${token('AWS::Partition')}:sagemaker:${token('AWS::Region')}:${token('AWS::AccountId')}:endpoint/${name}`;
    expect(scaling(scaled)).toEqual([
      { Action: ['application-autoscaling:DescribeScalableTargets'], Resource: ['*'], Condition: undefined },
      {
        Action: ['application-autoscaling:RegisterScalableTarget'],
        Resource: [
          `arn:${token('AWS::Partition')}:application-autoscaling:${token('AWS::Region')}:${token('AWS::AccountId')}:scalable-target/*`,
        ],
        Condition: undefined,
      },
      {
        Action: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'],
        Resource: [endpoint('switchyard-model-a'), endpoint('switchyard-model-b')],
        Condition: undefined,
      },
    ]);
    // No role is passed: SageMaker targets act through AWS's service-linked role.
    expect(
      roleStatements(scaled, roleOf(functionByEntry(scaled, STEPS).fn)).flatMap((s) => s.Action),
    ).not.toContain('iam:PassRole');
  });

  it('without owned endpoints: no scaling grant at all', () => {
    expect(scaling(template)).toEqual([]);
  });
});
