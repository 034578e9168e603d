// The job workflow as synthesized: its ASL (Retry, Catch, the fallback loop, timeouts, JSONPath
// only) parsed from the template, then the same definition run by the local ASL interpreter
// with the Task states bound to fakes, to show the chain behaves as designed.
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  JOB_WORKFLOW_TASKS,
  NO_TARGETS_ERROR,
  RETRYABLE_ERROR,
  JOB_WORKFLOW_STATES as S,
} from '../../layers/core/src/index.ts';
import { functionByEntry, type Json, stateMachine, synthApp } from './template.helpers.ts';

const { statelessTemplate: template } = synthApp();
const { machine, asl, state } = stateMachine(template, 'JobWorkflow');

const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
];

describe('job workflow definition', () => {
  it('is a STANDARD state machine logging errors without execution data', () => {
    expect(machine.Properties?.StateMachineType).toBe('STANDARD');
    expect(machine.Properties?.LoggingConfiguration).toMatchObject({
      Level: 'ERROR',
      IncludeExecutionData: false,
    });
  });

  it('has exactly the named states, in JSONPath', () => {
    expect(Object.keys(asl.States).sort()).toEqual(Object.values(S).sort());
    expect(asl.StartAt).toBe(S.start);
    expect(JSON.stringify(asl)).not.toContain('JSONata');
  });

  it('binds each Task to its step function, with a timeout', () => {
    const fnId = {
      plan: functionByEntry(template, 'functions/job-steps/plan.handler.ts').id,
      invoke: functionByEntry(template, 'functions/job-steps/invoke.handler.ts').id,
      record: functionByEntry(template, 'functions/job-steps/record.handler.ts').id,
      notify: functionByEntry(template, 'functions/job-steps/notify.handler.ts').id,
    };
    const tasks = Object.entries(asl.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual(Object.keys(JOB_WORKFLOW_TASKS).sort());
    for (const [name, s] of tasks) {
      expect(s.Resource, name).toBe(
        `\${${fnId[JOB_WORKFLOW_TASKS[name as keyof typeof JOB_WORKFLOW_TASKS]]}.Arn}`,
      );
      expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
    }
  });

  it('starts with cursor 0 and a last_error that says "no targets"', () => {
    expect(state(S.start)).toMatchObject({
      Type: 'Pass',
      Next: S.plan,
      Parameters: { 'job_id.$': '$.job_id', 'tenant.$': '$.tenant', cursor: 0, last_error: NO_TARGETS_ERROR },
    });
  });

  it('plans with {job_id, tenant}, keeps targets_count at $.plan, and fails over to RecordFailure', () => {
    expect(state(S.plan)).toMatchObject({
      Parameters: { 'job_id.$': '$.job_id', 'tenant.$': '$.tenant' },
      ResultSelector: { 'targets_count.$': '$.targets_count' },
      ResultPath: '$.plan',
      Next: S.hasMoreTargets,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: S.recordFailure }],
    });
  });

  it('retries a plan whose budget hold may fit after a wait (about 5 minutes), then fails the job', () => {
    expect(state(S.plan).Retry).toContainEqual({
      ErrorEquals: ['Switchyard.BudgetHeld', 'Switchyard.RateLimited', 'Switchyard.BudgetUnavailable'],
      IntervalSeconds: 5,
      BackoffRate: 2,
      MaxAttempts: 6,
      MaxDelaySeconds: 60,
      JitterStrategy: 'FULL',
    });
    // An exhausted spend budget is not retried: waiting does not help before the period resets.
    expect(JSON.stringify(state(S.plan).Retry)).not.toContain('Switchyard.InsufficientQuota');
  });

  it('invokes with the cursor, retrying Switchyard.Retryable with backoff and full jitter', () => {
    const invoke = state(S.invoke);
    expect(invoke.Parameters).toEqual({
      'job_id.$': '$.job_id',
      'tenant.$': '$.tenant',
      'cursor.$': '$.cursor',
    });
    expect(invoke.Retry).toContainEqual({
      ErrorEquals: [RETRYABLE_ERROR],
      IntervalSeconds: 1,
      BackoffRate: 2,
      MaxAttempts: 10,
      MaxDelaySeconds: 20,
      JitterStrategy: 'FULL',
    });
    expect(invoke.Retry).toContainEqual(expect.objectContaining({ ErrorEquals: LAMBDA_SERVICE_ERRORS }));
    // A request that was never sent ends the job; every other error moves to the next target.
    expect(invoke.Catch).toEqual([
      {
        ErrorEquals: ['Switchyard.InvalidRequest', 'Switchyard.Internal'],
        ResultPath: '$.last_error',
        Next: S.recordFailure,
      },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: S.nextTarget },
    ]);
    expect(invoke.Next).toBe(S.recordSuccess);
  });

  it('moves the cursor on, keeping the rest of the state, and loops while targets remain', () => {
    expect(state(S.nextTarget)).toMatchObject({
      Type: 'Pass',
      Next: S.hasMoreTargets,
      Parameters: {
        'job_id.$': '$.job_id',
        'tenant.$': '$.tenant',
        'plan.$': '$.plan',
        'last_error.$': '$.last_error',
        'cursor.$': 'States.MathAdd($.cursor, 1)',
      },
    });
    expect(state(S.hasMoreTargets)).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.cursor', NumericLessThanPath: '$.plan.targets_count', Next: S.invoke }],
      Default: S.recordFailure,
    });
  });

  it('records the outcome, then notifies; webhook failures never fail the execution', () => {
    expect(state(S.recordSuccess)).toMatchObject({
      Parameters: { 'job_id.$': '$.job_id', outcome: 'succeeded' },
      Next: S.notifyWebhook,
    });
    expect(state(S.recordFailure)).toMatchObject({
      Parameters: { 'job_id.$': '$.job_id', outcome: 'failed', 'error.$': '$.last_error' },
      Next: S.notifyWebhook,
    });
    const notify = state(S.notifyWebhook);
    expect(notify.Parameters).toEqual({ 'job_id.$': '$.job_id', 'tenant.$': '$.tenant' });
    expect(notify.Retry?.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3 });
    expect(notify.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: S.done })]);
    expect(notify.Next).toBe(S.done);
    expect(state(S.done).Type).toBe('Succeed');
  });
});

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Calls {
  plan: Json[];
  invoke: number[];
  record: Json[];
  notify: Json[];
}

/** Runs the synthesized definition with fakes for the Task states; retries do not wait. */
async function run(fakes: {
  plan: () => Json;
  invoke: (cursor: number, attempt: number) => Json;
  webhook?: () => Json;
}): Promise<{ output: Json; calls: Calls }> {
  const calls: Calls = { plan: [], invoke: [], record: [], notify: [] };
  const attempts = new Map<number, number>();
  const record = async (input: Json): Promise<Json> => {
    calls.record.push(input);
    return { status: 'ok' };
  };
  const notify = async (input: Json): Promise<Json> => {
    calls.notify.push(input);
    return fakes.webhook ? fakes.webhook() : { status: 'notified' };
  };
  // As the local stack does: the template's function-ARN tokens become (local) Lambda ARNs.
  const definition = structuredClone(asl);
  for (const s of Object.values(definition.States)) {
    if (s.Resource)
      s.Resource = s.Resource.replace(
        /^\$\{(\w+)\.Arn\}$/,
        'arn:aws:lambda:us-east-1:000000000000:function:$1',
      );
  }
  const machine = new StateMachine(definition as never);
  const execution = machine.run(
    { job_id: 'job-1', tenant: 't-1', extra: 'dropped' },
    {
      overrides: {
        taskResourceLocalHandlers: {
          [S.plan]: async (input: Json): Promise<Json> => {
            calls.plan.push(input);
            return fakes.plan();
          },
          [S.invoke]: async (input: Json): Promise<Json> => {
            const cursor = (input as { cursor: number }).cursor;
            calls.invoke.push(cursor);
            const attempt = (attempts.get(cursor) ?? 0) + 1;
            attempts.set(cursor, attempt);
            return fakes.invoke(cursor, attempt);
          },
          [S.recordSuccess]: record,
          [S.recordFailure]: record,
          [S.notifyWebhook]: notify,
        },
        retryIntervalOverrides: {
          [S.invoke]: 0,
          [S.notifyWebhook]: 0,
          [S.recordSuccess]: 0,
          [S.recordFailure]: 0,
        },
      },
    },
  );
  return { output: (await execution.result) as Json, calls };
}

describe('job workflow run by the local ASL interpreter', () => {
  it('falls back past a failing target and a flaky one: succeeded, recorded once, notified', async () => {
    const { output, calls } = await run({
      plan: () => ({ targets_count: 3, ignored: 'kept out of the state' }),
      invoke: (cursor, attempt) => {
        if (cursor === 0) throw new NamedError('Switchyard.Rejected', 'primary rejects');
        if (attempt <= 2) throw new NamedError(RETRYABLE_ERROR, 'busy');
        return { endpoint: 'fallback' };
      },
    });
    expect(calls.plan).toEqual([{ job_id: 'job-1', tenant: 't-1' }]);
    expect(calls.invoke).toEqual([0, 1, 1, 1]);
    expect(calls.record).toEqual([{ job_id: 'job-1', tenant: 't-1', outcome: 'succeeded' }]);
    expect(calls.notify).toEqual([{ job_id: 'job-1', tenant: 't-1' }]);
    expect(output).toMatchObject({ job_id: 'job-1', tenant: 't-1', cursor: 1, plan: { targets_count: 3 } });
    expect(output).not.toHaveProperty('extra');
  });

  it("ends a target when the invoke step says its policy's attempts are used, then the next", async () => {
    // As the invoke step does with max_attempts_per_target 2: two real attempts, then refuse.
    const { calls } = await run({
      plan: () => ({ targets_count: 2 }),
      invoke: (cursor, attempt) => {
        if (attempt > 2)
          throw new NamedError('Switchyard.TargetExhausted', `target ${cursor}: 2 attempts used`);
        throw new NamedError(RETRYABLE_ERROR, `target ${cursor} down`);
      },
    });
    expect(calls.invoke).toEqual([0, 0, 0, 1, 1, 1]);
    expect(calls.record[0]).toMatchObject({
      outcome: 'failed',
      error: { Error: 'Switchyard.TargetExhausted', Cause: 'target 1: 2 attempts used' },
    });
  });

  it('exhausts every target (each retried up to the cap of 10) and records failed with the last error', async () => {
    const { calls } = await run({
      plan: () => ({ targets_count: 2 }),
      invoke: (cursor) => {
        throw new NamedError(RETRYABLE_ERROR, `target ${cursor} down`);
      },
    });
    expect(calls.invoke).toEqual([...Array(11).fill(0), ...Array(11).fill(1)]);
    expect(calls.record[0]).toEqual({
      job_id: 'job-1',
      tenant: 't-1',
      outcome: 'failed',
      error: { Error: RETRYABLE_ERROR, Cause: 'target 1 down' },
    });
    expect(calls.record).toHaveLength(1);
    expect(calls.notify).toEqual([{ job_id: 'job-1', tenant: 't-1' }]);
  });

  it('records failed when planning fails, without invoking anything', async () => {
    const { calls } = await run({
      plan: () => {
        throw new NamedError('Switchyard.NoRoute', 'unknown model');
      },
      invoke: () => ({}),
    });
    expect(calls.invoke).toEqual([]);
    expect(calls.record[0]).toMatchObject({
      outcome: 'failed',
      error: { Error: 'Switchyard.NoRoute', Cause: 'unknown model' },
    });
  });

  it.each(['Switchyard.InvalidRequest', 'Switchyard.Internal'])(
    'ends the job at the first target on %s (the request was never sent): no retry, no next target',
    async (name) => {
      const { calls } = await run({
        plan: () => ({ targets_count: 3 }),
        invoke: () => {
          throw new NamedError(name, 'not sent');
        },
      });
      expect(calls.invoke).toEqual([0]);
      expect(calls.record).toEqual([
        { job_id: 'job-1', tenant: 't-1', outcome: 'failed', error: { Error: name, Cause: 'not sent' } },
      ]);
      expect(calls.notify).toEqual([{ job_id: 'job-1', tenant: 't-1' }]);
    },
  );

  it('records failed with "no targets" when the plan is empty', async () => {
    const { calls } = await run({ plan: () => ({ targets_count: 0 }), invoke: () => ({}) });
    expect(calls.invoke).toEqual([]);
    expect(calls.record[0]).toMatchObject({ outcome: 'failed', error: NO_TARGETS_ERROR });
  });

  it('succeeds even when the webhook keeps failing (retried 3 times, then caught)', async () => {
    const { output, calls } = await run({
      plan: () => ({ targets_count: 1 }),
      invoke: () => ({ endpoint: 'a' }),
      webhook: () => {
        throw new NamedError('Switchyard.WebhookFailed', 'connection refused');
      },
    });
    expect(calls.notify).toHaveLength(4);
    expect(output).toMatchObject({ webhook_error: { Error: 'Switchyard.WebhookFailed' } });
  });
});
