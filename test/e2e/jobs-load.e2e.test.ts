// 200 jobs submitted concurrently through POST /v1/jobs while every endpoint fails at random:
// none lost, none run twice, each final. Per job: one execution, one completion (webhook call),
// at most one successful attempt, at most the policy's attempts per target. Fast Step Functions
// retries and small simulated latencies keep it quick.
import { seededRandom } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import { JOBS_REGISTRY, JobsClient, startWebhookReceiver } from './jobs-support.ts';

const JOBS = 200;

let stack: LocalStack;
let jobs: JobsClient;

beforeAll(async () => {
  stack = await startLocalStack({
    registryFile: JOBS_REGISTRY,
    schedules: false,
    logLevel: 'SILENT',
    retryIntervalOverrideMs: 1,
    usagePlan: false,
    simRandom: seededRandom(42),
  });
  jobs = new JobsClient(stack);
});

afterAll(async () => {
  jobs?.destroy();
  await stack?.stop();
});

describe('200 concurrent jobs under random endpoint faults', () => {
  it('0 lost, 0 duplicated, each final', async () => {
    stack.sim.setProfile('ep-a', { error_rate: 0.5 });
    stack.sim.setProfile('ep-b', { error_rate: 0.4 });
    stack.sim.setProfile('ep-c', { error_rate: 0.3 });
    stack.sim.setProfile('sm-sentiment', { error_rate: 0.3 });
    const hook = await startWebhookReceiver();
    const pick = seededRandom(7);
    const priorities = ['high', 'normal', 'low'] as const;
    try {
      const responses = await Promise.all(
        Array.from({ length: JOBS }, (_, i) => {
          const priority = priorities[Math.floor(pick() * 3)];
          const body =
            i % 5 === 4
              ? { model: 'sentiment-bert', task: 'sentiment', payload: { text: `great ${i}` } }
              : { model: 'chain', messages: [{ role: 'user', content: `load ${i}` }] };
          return jobs.submit({ ...body, priority, webhook_url: hook.url });
        }),
      );
      // Every submission accepted; a refusal shows its body.
      expect(responses.filter((r) => r.status !== 202).map((r) => [r.status, r.body])).toEqual([]);
      const ids = responses.map((r) => r.body.id);
      expect(new Set(ids).size).toBe(JOBS);

      // Every job gets its execution; wait for them to end (no polling of the API), then read each job.
      const executions = await eventually(
        () => {
          const byName = new Map(stack.sfn.executions().map((e) => [e.name, e]));
          return ids.every((id) => byName.has(id)) ? ids.map((id) => byName.get(id)) : undefined;
        },
        { what: 'an execution per job', timeoutMs: 120_000 },
      );
      for (const done of await Promise.all(
        executions.map((e) => stack.sfn.waitForExecution(e?.executionArn as string)),
      )) {
        expect(done.status).toBe('SUCCEEDED');
      }
      const finals = await Promise.all(ids.map(async (id) => (await jobs.get(id)).body));
      let succeeded = 0;
      for (const job of finals) {
        const successes = job.attempts.filter((a) => a.outcome === 'success');
        if (job.status === 'succeeded') {
          succeeded++;
          expect(successes).toHaveLength(1);
          expect(job.result).toBeDefined();
        } else {
          expect(job.status).toBe('failed');
          expect(successes).toHaveLength(0);
          expect(job.error?.code).toBe('all_targets_failed');
        }
        const perTarget = new Map<string, number>();
        for (const a of job.attempts) perTarget.set(a.endpoint, (perTarget.get(a.endpoint) ?? 0) + 1);
        for (const n of perTarget.values()) expect(n).toBeLessThanOrEqual(2);
        expect(jobs.executionsOf(job.id)).toHaveLength(1);
      }
      // The faults were real: some jobs needed a fallback, and the chain saved most of them.
      expect(finals.some((j) => j.attempts.length > 1)).toBe(true);
      expect(succeeded).toBeGreaterThan(JOBS / 2);

      // Exactly one completion per job.
      for (const id of ids) expect(hook.callsFor(id)).toHaveLength(1);
      expect(hook.calls).toHaveLength(JOBS);
      expect(await jobs.jobItems()).toBe(JOBS);
      await eventually(async () => ((await jobs.queued()) === 0 ? true : undefined), {
        what: 'the queues to drain',
      });
      expect((await jobs.depth('deadletter')).visible).toBe(0);
    } finally {
      await hook.stop();
    }
  }, 180_000);
});
