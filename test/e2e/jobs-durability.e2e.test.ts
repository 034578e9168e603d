// Nothing lost, nothing twice, under failure: the worker crashing mid-batch before acknowledging,
// a job message the worker keeps failing on (dead-lettered after the queue's maxReceiveCount,
// and the job says so), and unreadable or orphaned messages (dead-lettered and dropped, never
// looping). The local queues' visibility timeout is 1 s so redeliveries come quickly; failures
// are simulated with the local poller's `aroundInvoke` hook, with Lambda's semantics (a failed
// invocation acknowledges nothing).
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqsEventLike } from '../../infra/local/event-sources.ts';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import { chat, JOBS_REGISTRY, JobsClient, startWebhookReceiver } from './jobs-support.ts';

let stack: LocalStack;
let jobs: JobsClient;
let workerId: string;
let deadLetterId: string;

const tenantOf = (record: SqsEventLike['Records'][number]): string | undefined => {
  try {
    return (JSON.parse(record.body) as { tenant?: string }).tenant;
  } catch {
    return undefined;
  }
};

function functionId(entry: string): string {
  const f = stack.runtime.functions.find((fn) => fn.entry === entry);
  if (!f) throw new Error(`no function ${entry}`);
  return f.logicalId;
}

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: JOBS_REGISTRY,
    schedules: false,
    logLevel: 'SILENT',
    retryIntervalOverrideMs: 2,
    queueVisibilityTimeoutSeconds: 1,
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0' },
  });
  jobs = new JobsClient(stack);
  workerId = functionId('functions/worker/worker.handler.ts');
  deadLetterId = functionId('functions/dead-letter/dead-letter.handler.ts');
});

afterAll(async () => {
  jobs?.destroy();
  await stack?.stop();
});

afterEach(() => {
  stack.poller.setHooks({});
  stack.poller.resume();
});

describe('the worker crashes mid-batch, before acknowledging', () => {
  it('every job still ends in a final state exactly once', async () => {
    const hook = await startWebhookReceiver();
    try {
      await stack.poller.pause();
      const ids = await Promise.all(
        Array.from({ length: 30 }, (_, i) => jobs.accepted(chat(`crash ${i}`, { webhook_url: hook.url }))),
      );
      let crashes = 0;
      let redelivered = 0;
      stack.poller.setHooks({
        aroundInvoke: async (fn, event, invoke) => {
          if (fn !== workerId) return invoke(event);
          redelivered += event.Records.filter((r) => Number(r.attributes.ApproximateReceiveCount) > 1).length;
          if (crashes < 3 && event.Records.length > 1) {
            crashes++;
            // The worker handles the first half of its batch, then dies: nothing is acknowledged.
            await invoke({ Records: event.Records.slice(0, Math.ceil(event.Records.length / 2)) });
            throw new Error('simulated worker crash');
          }
          return invoke(event);
        },
      });
      stack.poller.resume();

      const finals = await Promise.all(ids.map((id) => jobs.final(id)));
      expect(crashes).toBe(3);
      expect(redelivered).toBeGreaterThan(0);
      for (const job of finals) {
        expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
        expect(job.attempts.filter((a) => a.outcome === 'success')).toHaveLength(1);
        expect(jobs.executionsOf(job.id)).toHaveLength(1);
      }
      // One completion per job: each execution notified its webhook once.
      await Promise.all(
        ids.map(async (id) => {
          const [execution] = jobs.executionsOf(id);
          await stack.sfn.waitForExecution(execution?.executionArn as string);
        }),
      );
      for (const id of ids) expect(hook.callsFor(id), id).toHaveLength(1);
      await eventually(async () => ((await jobs.queued()) === 0 ? true : undefined), {
        what: 'the queues to drain',
      });
    } finally {
      await hook.stop();
    }
  });
});

describe('poison messages', () => {
  it('a job whose message keeps failing is dead-lettered after maxReceiveCount, once, and says why', async () => {
    const hook = await startWebhookReceiver();
    try {
      // The worker will fail on every message of this tenant's job (the message names the tenant).
      const poisonKey = await stack.addConsumerKey('poison-tenant');
      let failures = 0;
      let deadLetterDeliveries = 0;
      stack.poller.setHooks({
        aroundInvoke: async (fn, event, invoke) => {
          if (fn === deadLetterId) deadLetterDeliveries += event.Records.length;
          if (fn !== workerId) return invoke(event);
          // The worker fails on this one message every time (a per-item failure); the rest go on.
          const bad = event.Records.filter((r) => tenantOf(r) === 'poison-tenant');
          failures += bad.length;
          const result = (await invoke({ Records: event.Records.filter((r) => !bad.includes(r)) })) as {
            batchItemFailures: Array<{ itemIdentifier: string }>;
          };
          return {
            batchItemFailures: [
              ...result.batchItemFailures,
              ...bad.map((r) => ({ itemIdentifier: r.messageId })),
            ],
          };
        },
      });
      // Submitted together, so they may share a batch; nothing is paused (a pause would count a receive).
      const [poisoned, healthy] = await Promise.all([
        jobs.accepted(chat('never starts', { webhook_url: hook.url }), { key: poisonKey }),
        jobs.accepted(chat('starts fine')),
      ]);

      expect((await jobs.final(healthy)).status).toBe('succeeded');
      const job = await eventually(
        async () => {
          const { body } = await jobs.get(poisoned, poisonKey);
          return body.status === 'queued' ? undefined : body;
        },
        { what: 'the poisoned job to end' },
      );
      expect(job.status).toBe('dead-lettered');
      expect(job.error?.code).toBe('dead_lettered');
      expect(job.error?.message).toContain('5 times');
      expect(job.attempts).toEqual([]);
      expect(failures).toBe(5);
      expect(deadLetterDeliveries).toBe(1);
      expect(jobs.executionsOf(poisoned)).toHaveLength(0);
      const [call] = await eventually(
        () => (hook.callsFor(poisoned).length > 0 ? hook.callsFor(poisoned) : undefined),
        {
          what: 'the dead-letter webhook',
        },
      );
      expect(call?.body).toMatchObject({
        id: poisoned,
        status: 'dead-lettered',
        error: { code: 'dead_lettered' },
      });
      await eventually(
        async () =>
          (await jobs.queued()) + (await jobs.depth('deadletter')).visible === 0 ? true : undefined,
        { what: 'the queues to drain' },
      );
      expect((await jobs.get(poisoned, poisonKey)).body.status).toBe('dead-lettered');
    } finally {
      await hook.stop();
    }
  });

  it('unreadable and orphaned messages end in the dead-letter queue and are dropped, not looping', async () => {
    const seen = { worker: 0, deadLetter: 0 };
    const strange = [
      'this is not json',
      JSON.stringify({ hello: 'no job id' }),
      JSON.stringify({ job_id: 'job_gone' }),
    ];
    stack.poller.setHooks({
      aroundInvoke: async (fn, event, invoke) => {
        const ours = event.Records.filter((r) => strange.includes(r.body)).length;
        if (fn === workerId) seen.worker += ours;
        if (fn === deadLetterId) seen.deadLetter += ours;
        return invoke(event);
      },
    });
    for (const body of strange) {
      await jobs.aws.sqs.send(new SendMessageCommand({ QueueUrl: jobs.queueUrl('low'), MessageBody: body }));
    }
    await eventually(() => (seen.deadLetter === strange.length ? true : undefined), {
      what: 'the dead-letter consumer to take all three',
    });
    await eventually(
      async () => {
        const [low, dlq] = await Promise.all([jobs.depth('low'), jobs.depth('deadletter')]);
        return low.visible + low.inFlight + dlq.visible + dlq.inFlight === 0 ? true : undefined;
      },
      { what: 'both queues to be empty' },
    );
    // Five failed deliveries each (maxReceiveCount), one dead-letter delivery each, then gone.
    expect(seen.worker).toBe(strange.length * 5);
    expect(seen.deadLetter).toBe(strange.length);
  });
});

describe('an execution that ends without recording its job', () => {
  it('(stopped by an operator) leaves the job failed with why, never running forever', async () => {
    const hook = await startWebhookReceiver();
    stack.sim.setProfile('ep-a', { latency_ms: 2_000 });
    try {
      const id = await jobs.accepted(chat('stopped midway', { webhook_url: hook.url }));
      const execution = await eventually(() => jobs.executionsOf(id)[0], { what: 'the execution' });
      await eventually(async () => ((await jobs.get(id)).body.status === 'running' ? true : undefined), {
        what: 'the job to run',
      });
      await jobs.aws.sfn.send(
        new StopExecutionCommand({
          executionArn: execution.executionArn,
          error: 'Operator.Stop',
          cause: 'stopped in a test',
        }),
      );
      const job = await jobs.final(id);
      expect(job.status).toBe('failed');
      expect(job.error?.code).toBe('workflow_aborted');
      expect(job.error?.message).toContain('stopped in a test');
      const [call] = await eventually(() => (hook.callsFor(id).length > 0 ? hook.callsFor(id) : undefined), {
        what: 'the webhook',
      });
      expect(call?.body).toMatchObject({ id, status: 'failed', error: { code: 'workflow_aborted' } });
      expect((await stack.sfn.waitForExecution(execution.executionArn)).status).toBe('ABORTED');
    } finally {
      stack.sim.setProfile('ep-a', { latency_ms: 3 });
      await hook.stop();
    }
  });
});
