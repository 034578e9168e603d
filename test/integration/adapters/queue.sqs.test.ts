// SqsJobQueue over SQS (fauxqs, real SDK client): each job goes to its priority's queue as JSON
// with priority and tenant attributes; SQS errors surface.
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SqsJobQueue } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSqs, startLocalSqs } from '../../support/local-aws.ts';

let sqs: LocalSqs;

beforeAll(async () => {
  sqs = await startLocalSqs('jobs');
});
afterAll(async () => {
  await sqs?.stop();
});

async function receiveAll(queueUrl: string) {
  const out = await sqs.client.send(
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
    const queue = new SqsJobQueue(sqs);
    await queue.send({ job_id: 'job-1', tenant: 'acme' }, 'high');
    await queue.send({ job_id: 'job-2', tenant: 'globex' }, 'low');

    const high = await receiveAll(sqs.queueUrls.high);
    expect(high.map((m) => JSON.parse(m.Body ?? ''))).toEqual([{ job_id: 'job-1', tenant: 'acme' }]);
    expect(high[0]?.MessageAttributes).toEqual({
      priority: { DataType: 'String', StringValue: 'high' },
      tenant: { DataType: 'String', StringValue: 'acme' },
    });
    const low = await receiveAll(sqs.queueUrls.low);
    expect(low.map((m) => JSON.parse(m.Body ?? ''))).toEqual([{ job_id: 'job-2', tenant: 'globex' }]);
    expect(await receiveAll(sqs.queueUrls.normal)).toEqual([]);
  });

  it('surfaces SQS errors (an unknown queue)', async () => {
    const queue = new SqsJobQueue({
      client: sqs.client,
      queueUrls: { ...sqs.queueUrls, normal: `${sqs.queueUrls.normal}-missing` },
    });
    await expect(queue.send({ job_id: 'job-3', tenant: 't' }, 'normal')).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });
});
