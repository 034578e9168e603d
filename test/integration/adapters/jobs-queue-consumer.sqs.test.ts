// The worker's own view of the priority queues over SQS (fauxqs, real SDK client): receive,
// delete (more than ten at a time), and the backlog (visible and in flight) its priority wait reads.
import { SqsJobMessageSource, SqsJobQueue } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSqs, startLocalSqs } from '../../support/local-aws.ts';

let sqs: LocalSqs;

beforeAll(async () => {
  sqs = await startLocalSqs('c');
});
afterAll(async () => {
  await sqs?.stop();
});

describe('SqsJobMessageSource', () => {
  it('receives, reports the backlog, and deletes what it is told to', async () => {
    const queue = new SqsJobQueue(sqs);
    const source = new SqsJobMessageSource(sqs);
    for (let i = 0; i < 12; i++) await queue.send({ job_id: `job_${i}`, tenant: 't' }, 'normal');
    expect(await source.backlog('normal')).toEqual({ visible: 12, in_flight: 0 });
    expect(await source.receive('high', 10)).toEqual([]);

    const first = await source.receive('normal', 10);
    const second = await source.receive('normal', 10);
    expect(first).toHaveLength(10);
    expect(second).toHaveLength(2);
    expect(JSON.parse(first[0]?.body ?? '')).toMatchObject({ tenant: 't' });
    expect(await source.backlog('normal')).toEqual({ visible: 0, in_flight: 12 });

    await source.delete(
      'normal',
      [...first, ...second].slice(0, 11).map((m) => m.receipt),
    );
    expect(await source.backlog('normal')).toEqual({ visible: 0, in_flight: 1 });
    await source.delete('normal', []);
    expect(await source.backlog('low')).toEqual({ visible: 0, in_flight: 0 });
  });
});
