// StepFunctionsWorkflowStarter against the local Step Functions server with the real SFNClient:
// one execution per name however often it is started, and names sanitised to what AWS accepts.

import { SFNClient } from '@aws-sdk/client-sfn';
import { executionArnOf, executionName, StepFunctionsWorkflowStarter } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  invalidNameReason,
  type StepFunctionsServer,
  startStepFunctionsServer,
} from '../../../infra/local/sfn.server.ts';
import { LOCAL_AWS } from '../../support/local-aws.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';

let server: StepFunctionsServer;
let client: SFNClient;
let starter: StepFunctionsWorkflowStarter;
let stateMachineArn: string;
const payloads: unknown[] = [];
/** Lets a test hold the job function until it has asserted what happens while it runs. */
let hold: { entered: () => void; released: Promise<void> } | undefined;

beforeAll(async () => {
  server = await startStepFunctionsServer({
    invokeFunction: async (_arn, payload) => {
      payloads.push(payload);
      if (hold) {
        hold.entered();
        await hold.released;
      }
      return { ok: true };
    },
  });
  stateMachineArn = server.registerStateMachine({
    name: 'jobs',
    definition: {
      StartAt: 'Run',
      States: {
        Run: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: `${FN}job`, 'Payload.$': '$' },
          End: true,
        },
      },
    },
  });
  client = new SFNClient({
    endpoint: server.url,
    ...LOCAL_AWS,
  });
  starter = new StepFunctionsWorkflowStarter({ client, stateMachineArn });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

describe('StepFunctionsWorkflowStarter', () => {
  it('starts a name once, however often it is started', async () => {
    let entered: () => void = () => undefined;
    let release: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      entered = resolve;
    });
    hold = {
      entered,
      released: new Promise<void>((resolve) => {
        release = resolve;
      }),
    };
    const first = await starter.start('job-1', { job_id: 'job-1' });
    const arn = executionArnOf(stateMachineArn, 'job-1');
    expect(first).toEqual({ execution_arn: arn, already_started: false });
    await running;

    // While it runs: the same input is AWS's idempotent start, another input is refused.
    expect((await starter.start('job-1', { job_id: 'job-1' })).execution_arn).toBe(arn);
    expect(await starter.start('job-1', { job_id: 'other' })).toEqual({
      execution_arn: arn,
      already_started: true,
    });

    hold = undefined;
    release();
    expect((await server.waitForExecution(arn)).status).toBe('SUCCEEDED');
    expect(await starter.start('job-1', { job_id: 'job-1' })).toEqual({
      execution_arn: arn,
      already_started: true,
    });

    expect(server.executions(stateMachineArn).filter((e) => e.name === 'job-1')).toHaveLength(1);
    expect(payloads.filter((p) => (p as { job_id: string }).job_id === 'job-1')).toHaveLength(1);
    expect(payloads.filter((p) => (p as { job_id: string }).job_id === 'other')).toHaveLength(0);
  });

  it('sends the input as JSON', async () => {
    const { execution_arn } = await starter.start('job-input', { job_id: 'job-input', nested: { n: 1 } });
    const record = await server.waitForExecution(execution_arn);
    expect(JSON.parse(record.input)).toEqual({ job_id: 'job-input', nested: { n: 1 } });
  });

  it('sanitises names deterministically and the service accepts them', async () => {
    const raw = 'tenant:acme/job #42 {retry}';
    const name = executionName(raw);
    expect(name).toBe(executionName(raw));
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(name.startsWith('tenant-acme-job--42--retry-')).toBe(true);
    expect(executionName('a:b')).not.toBe(executionName('a/b'));
    expect(executionName('job_ok-1')).toBe('job_ok-1');
    expect(executionName('')).toMatch(/^[a-f0-9]{16}$/);
    const long = 'x'.repeat(200);
    expect(executionName(long)).toHaveLength(80);
    expect(executionName(long)).not.toBe(executionName(`${long}y`));

    for (const original of [raw, long, '', 'ünïcødé name']) {
      expect(invalidNameReason(executionName(original))).toBeUndefined();
      const { execution_arn, already_started } = await starter.start(original, { original });
      expect(already_started).toBe(false);
      expect(execution_arn).toBe(executionArnOf(stateMachineArn, executionName(original)));
      expect((await server.waitForExecution(execution_arn)).status).toBe('SUCCEEDED');
    }
  });
});
