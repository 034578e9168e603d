import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsClient, SqsJobQueue } from '@switchyard/adapters';
import type { JobPriority } from '@switchyard/core';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from './local-aws.ts';

let server: FauxqsServer;
let client: ReturnType<typeof createSqsClient>;
let queueUrls: Record<JobPriority, string>;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  client = createSqsClient({ ...LOCAL_AWS, endpoint: `http://127.0.0.1:${server.port}` });
  queueUrls = {
    high: server.createQueue('jobs-high').queueUrl,
    normal: server.createQueue('jobs-normal').queueUrl,
    low: server.createQueue('jobs-low').queueUrl,
  };
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});

async function receiveAll(queueUrl: string) {
  const out = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 0,
    }),
  );
  return out.Messages ?? [];
}

describe('SqsJobQueue', () => {
  it('sends each job to its priority queue as JSON with priority and tenant attributes', async () => {
    const queue = new SqsJobQueue({ client, queueUrls });
    await queue.send({ job_id: 'job-1', tenant: 'acme' }, 'high');
    await queue.send({ job_id: 'job-2', tenant: 'globex' }, 'low');

    const high = await receiveAll(queueUrls.high);
    expect(high.map((m) => JSON.parse(m.Body ?? ''))).toEqual([{ job_id: 'job-1', tenant: 'acme' }]);
    expect(high[0]?.MessageAttributes).toEqual({
      priority: { DataType: 'String', StringValue: 'high' },
      tenant: { DataType: 'String', StringValue: 'acme' },
    });
    const low = await receiveAll(queueUrls.low);
    expect(low.map((m) => JSON.parse(m.Body ?? ''))).toEqual([{ job_id: 'job-2', tenant: 'globex' }]);
    expect(await receiveAll(queueUrls.normal)).toEqual([]);
  });

  it('surfaces SQS errors (an unknown queue)', async () => {
    const queue = new SqsJobQueue({
      client,
      queueUrls: { ...queueUrls, normal: `${queueUrls.normal}-missing` },
    });
    await expect(queue.send({ job_id: 'job-3', tenant: 't' }, 'normal')).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });
});
