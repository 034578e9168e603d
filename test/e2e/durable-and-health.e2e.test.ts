// The skeleton's background paths in the local stack: the scheduled health check marks a down
// endpoint so the router stops trying it, and the async worker turns a queued job message into
// an execution of the synthesized state machine that ends with the job's result recorded.
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDbHealthStore, DynamoDbJobStore } from '@switchyard/adapters';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import {
  localClients,
  named,
  openAiClient,
  runHealthCheck,
  setFault,
} from '../support/local-stack.helpers.ts';

let stack: LocalStack;
let client: OpenAI;
let aws: ReturnType<typeof localClients>;

beforeAll(async () => {
  stack = await startLocalStack({
    schedules: false,
    logLevel: 'ERROR',
    retryIntervalOverrideMs: 5,
    env: { REGISTRY_CACHE_TTL_MS: '0', HEALTH_CACHE_TTL_MS: '0' },
  });
  client = openAiClient(stack);
  aws = localClients(stack);
});

afterAll(async () => {
  aws?.destroy();
  await stack?.stop();
});

describe('health check on its schedule', () => {
  it('probes every endpoint, writes health, and the router skips the one that is down', async () => {
    const down = 'gpu-a-llama-8b';
    await setFault(stack, down, 'down');
    const summary = (await runHealthCheck(stack)) as {
      probed: number;
      down: number;
    };
    expect(summary.probed).toBe(stack.registry.endpoints.length);
    expect(summary.down).toBe(1);

    const health = await new DynamoDbHealthStore({
      client: aws.doc,
      tableName: named(stack.resources.tables, 'health'),
    }).snapshot();
    expect(health.endpoints[down]?.status).toBe('down');
    expect(health.endpoints['gpu-b-llama-8b']?.status).toBe('up');
    expect(health.endpoints[down]?.checked_at).toBeGreaterThan(Date.now() - 60_000);

    const before = stack.sim.stats(down).requests;
    for (let i = 0; i < 8; i++) {
      const { response } = await client.chat.completions
        .create({ model: 'llama-3-8b', messages: [{ role: 'user', content: `hi ${i}` }] })
        .withResponse();
      expect(response.headers.get('x-switchyard-endpoint')).not.toBe(down);
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    }
    expect(stack.sim.stats(down).requests).toBe(before);
    await setFault(stack, down, 'ok');
  });
});

describe('async worker and the job workflow', () => {
  it('starts the synthesized state machine from a queued message; the job ends succeeded', async () => {
    const jobs = new DynamoDbJobStore({ client: aws.doc, tableName: named(stack.resources.tables, 'jobs') });
    const now = Date.now();
    await jobs.create({
      id: 'job-skeleton-1',
      tenant: 'local',
      status: 'queued',
      priority: 'normal',
      created_at: now,
      updated_at: now,
      request: {
        kind: 'chat',
        body: { model: 'llama-3-8b', messages: [{ role: 'user', content: 'queued hello' }] },
      },
      attempts: [],
    });
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: named(stack.resources.queues, 'normal'),
        MessageBody: JSON.stringify({ job_id: 'job-skeleton-1', tenant: 'local' }),
      }),
    );
    const job = await eventually(
      async () => {
        const j = await jobs.get('job-skeleton-1');
        return j && j.status !== 'queued' && j.status !== 'running' ? j : undefined;
      },
      { what: 'the job to end' },
    );
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0]?.outcome).toBe('success');
    expect(JSON.stringify(job.result)).toContain('queued hello');
    const executions = stack.sfn.executions().filter((e) => e.name === 'job-skeleton-1');
    expect(executions).toHaveLength(1);
    const done = await stack.sfn.waitForExecution(executions[0]?.executionArn as string);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.history.map((h) => h.type)).toContain('TaskStateEntered');
  });
});
