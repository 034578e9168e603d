// The worker service with fakes: a message is acknowledged only after its job's execution started
// and the job row says so; failures are per item; a lower-priority batch drains the higher queues
// (deleting only what it started), waits while they have messages in flight, and gives up waiting
// at its deadline.
import type {
  Job,
  JobMessageSource,
  JobPriority,
  JobStatus,
  ReceivedJobMessage,
  WorkflowStarter,
} from '@switchyard/core';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  handleBatch,
  jobIdOf,
  OWN_BATCH_RESERVE_MS,
  priorityByQueueName,
  type WorkerDeps,
} from '../../functions/worker/worker.service.ts';

const ARN = {
  high: 'arn:aws:sqs:us-east-1:1:q-high',
  normal: 'arn:aws:sqs:us-east-1:1:q-normal',
  low: 'arn:aws:sqs:us-east-1:1:q-low',
};
const URLS = { high: 'https://sqs/1/q-high', normal: 'https://sqs/1/q-normal', low: 'https://sqs/1/q-low' };

function job(id: string, status: JobStatus = 'queued'): Job {
  return {
    id,
    tenant: `tenant-of-${id}`,
    status,
    priority: 'normal',
    created_at: 1,
    updated_at: 1,
    request: { kind: 'chat', body: {} },
    attempts: [],
  };
}

class World {
  readonly log: string[] = [];
  readonly jobs = new Map<string, Job>();
  readonly visible: Record<JobPriority, ReceivedJobMessage[]> = { high: [], normal: [], low: [] };
  readonly inFlight: Record<JobPriority, number> = { high: 0, normal: 0, low: 0 };
  /** Messages other invocations hold, per queue, as a function of how often we looked. */
  othersInFlight: (p: JobPriority, looks: number) => number = () => 0;
  readonly failStart = new Set<string>();
  clock = 0;
  looks = 0;
  seq = 0;

  add(id: string, status: JobStatus = 'queued'): void {
    this.jobs.set(id, job(id, status));
  }

  enqueue(p: JobPriority, id: string): void {
    this.add(id);
    this.visible[p].push({ message_id: `m-${id}`, body: JSON.stringify({ job_id: id }), receipt: `r-${id}` });
  }

  deps(over: Partial<WorkerDeps> = {}): WorkerDeps {
    const queues: JobMessageSource = {
      receive: async (p, max) => {
        const batch = this.visible[p].splice(0, max);
        this.inFlight[p] += batch.length;
        if (batch.length > 0) this.log.push(`receive ${p} ${batch.length}`);
        return batch;
      },
      delete: async (p, receipts) => {
        this.inFlight[p] -= receipts.length;
        this.log.push(`delete ${p} ${receipts.map((r) => r.slice(2)).join(',')}`);
      },
      backlog: async (p) => {
        this.looks++;
        return {
          visible: this.visible[p].length,
          in_flight: this.inFlight[p] + this.othersInFlight(p, this.looks),
        };
      },
    };
    const starter: WorkflowStarter = {
      start: async (name) => {
        if (this.failStart.has(name)) throw new Error('StartExecution failed');
        this.log.push(`start ${name}`);
        return { execution_arn: `arn:exec:${name}`, already_started: name.startsWith('again') };
      },
    };
    return {
      starter,
      jobs: {
        get: async (id) => this.jobs.get(id),
        markStarted: async (id, arn) => {
          this.log.push(`mark ${id} ${arn}`);
          const j = this.jobs.get(id);
          if (j && (j.status === 'queued' || j.status === 'running')) {
            this.jobs.set(id, { ...j, status: 'running', execution_arn: arn });
            return true;
          }
          return false;
        },
      },
      queues,
      priorityOf: priorityByQueueName(URLS),
      logger: { warn: () => undefined, info: (msg: string) => void this.log.push(`info ${msg}`) },
      now: () => this.clock,
      sleep: async (ms) => {
        this.clock += ms;
        this.log.push(`sleep ${ms}`);
      },
      priorityWaitMs: 1_000,
      pollMs: 100,
      ...over,
    };
  }
}

function event(p: JobPriority, bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `own-${i}`,
      receiptHandle: `own-r-${i}`,
      body,
      attributes: {} as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: ARN[p],
      awsRegion: 'us-east-1',
    })),
  };
}

const msg = (id: string) => JSON.stringify({ job_id: id, tenant: 'ignored' });
const plenty = () => 30_000;

describe('starting jobs', () => {
  it('starts each job (named by its id, input from the job row), records it, then acknowledges', async () => {
    const w = new World();
    w.add('j1');
    w.add('again-j2');
    const out = await handleBatch(w.deps(), event('high', [msg('j1'), msg('again-j2')]), plenty);
    expect(out.batchItemFailures).toEqual([]);
    expect(w.log).toEqual(
      expect.arrayContaining([
        'start j1',
        'mark j1 arn:exec:j1',
        'start again-j2',
        'mark again-j2 arn:exec:again-j2',
      ]),
    );
    expect(w.jobs.get('j1')).toMatchObject({ status: 'running', execution_arn: 'arn:exec:j1' });
  });

  it('acknowledges a message for a job that is already final, starting nothing', async () => {
    const w = new World();
    w.add('done', 'succeeded');
    w.add('dead', 'dead-lettered');
    const out = await handleBatch(w.deps(), event('high', [msg('done'), msg('dead')]), plenty);
    expect(out.batchItemFailures).toEqual([]);
    expect(w.log).toEqual([]);
  });

  it('fails only the items it could not start: bad body, no job id, unknown job, start error, store error', async () => {
    const w = new World();
    w.add('ok');
    w.add('boom');
    w.add('store-down');
    w.failStart.add('boom');
    const deps = w.deps();
    const markStarted = deps.jobs.markStarted;
    deps.jobs.markStarted = async (id, arn) => {
      if (id === 'store-down') throw new Error('DynamoDB unavailable');
      return markStarted(id, arn);
    };
    const bodies = [
      'not json',
      JSON.stringify({ nope: 1 }),
      msg('ghost'),
      msg('boom'),
      msg('store-down'),
      msg('ok'),
    ];
    const out = await handleBatch(deps, event('high', bodies), plenty);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'own-0',
      'own-1',
      'own-2',
      'own-3',
      'own-4',
    ]);
    expect(w.log).toContain('mark ok arn:exec:ok');
  });

  it('jobIdOf reads only a JSON body with a string job_id', () => {
    expect(jobIdOf('{"job_id":"job_1","tenant":"t"}')).toBe('job_1');
    for (const bad of ['', 'x', 'null', '{"job_id":3}', '{"job_id":""}', `{"job_id":"${'x'.repeat(200)}"}`]) {
      expect(() => jobIdOf(bad)).toThrow();
    }
  });
});

describe('priority', () => {
  it('a high batch never looks at the other queues', async () => {
    const w = new World();
    w.enqueue('normal', 'n1');
    w.add('h1');
    await handleBatch(w.deps(), event('high', [msg('h1')]), plenty);
    expect(w.looks).toBe(0);
    expect(w.log).toEqual(['start h1', 'mark h1 arn:exec:h1']);
  });

  it('a low batch first drains high, then normal, deleting what it started, then starts its own', async () => {
    const w = new World();
    for (const id of ['h1', 'h2']) w.enqueue('high', id);
    for (let i = 0; i < 12; i++) w.enqueue('normal', `n${i}`);
    w.add('l1');
    const out = await handleBatch(w.deps(), event('low', [msg('l1')]), plenty);
    expect(out.batchItemFailures).toEqual([]);
    const starts = w.log.filter((l) => l.startsWith('start')).map((l) => l.slice(6));
    expect(starts.slice(0, 2).sort()).toEqual(['h1', 'h2']);
    expect(starts.slice(2, 14)).toHaveLength(12);
    expect(starts.slice(2, 14).every((id) => id.startsWith('n'))).toBe(true);
    expect(starts[14]).toBe('l1');
    expect(w.log.filter((l) => l.startsWith('receive'))).toEqual([
      'receive high 2',
      'receive normal 10',
      'receive normal 2',
    ]);
    expect(w.inFlight).toEqual({ high: 0, normal: 0, low: 0 });
  });

  it('leaves a drained message it could not start undeleted (it comes back later)', async () => {
    const w = new World();
    w.enqueue('high', 'h-ok');
    w.enqueue('high', 'h-bad');
    w.failStart.add('h-bad');
    w.add('n1');
    await handleBatch(w.deps(), event('normal', [msg('n1')]), plenty);
    expect(w.log).toContain('delete high h-ok');
    expect(w.log.some((l) => l.includes('delete') && l.includes('h-bad'))).toBe(false);
    // The failed one stays in flight, so the batch waited until its deadline, then went on.
    expect(w.log).toContain('info higher-priority queues still busy; starting this batch anyway');
    expect(w.log.at(-2)).toBe('start n1');
  });

  it('waits while higher messages are in flight elsewhere, and starts as soon as they are acknowledged', async () => {
    const w = new World();
    w.add('l1');
    w.othersInFlight = (p, looks) => (p === 'high' && looks < 7 ? 3 : 0);
    await handleBatch(w.deps(), event('low', [msg('l1')]), plenty);
    const sleeps = w.log.filter((l) => l.startsWith('sleep'));
    expect(sleeps.length).toBeGreaterThan(0);
    expect(w.log.at(-2)).toBe('start l1');
    expect(w.log.some((l) => l.startsWith('info'))).toBe(false);
  });

  it('gives up waiting at priorityWaitMs, and never eats into the time its own batch needs', async () => {
    const w = new World();
    w.add('l1');
    w.othersInFlight = () => 5;
    await handleBatch(w.deps({ priorityWaitMs: 500 }), event('low', [msg('l1')]), plenty);
    expect(w.clock).toBe(500);
    expect(w.log.at(-2)).toBe('start l1');

    const late = new World();
    late.add('l2');
    late.othersInFlight = () => 5;
    await handleBatch(late.deps(), event('low', [msg('l2')]), () => OWN_BATCH_RESERVE_MS + 300);
    expect(late.clock).toBe(300);

    const none = new World();
    none.add('l3');
    none.enqueue('high', 'h');
    await handleBatch(none.deps(), event('low', [msg('l3')]), () => OWN_BATCH_RESERVE_MS - 1);
    expect(none.looks).toBe(0);
    expect(none.log).toEqual(['start l3', 'mark l3 arn:exec:l3']);
  });

  it('maps a queue ARN to its priority by queue name', () => {
    const of = priorityByQueueName(URLS);
    expect(of(ARN.high)).toBe('high');
    expect(of(ARN.low)).toBe('low');
    expect(of('arn:aws:sqs:us-east-1:1:other')).toBeUndefined();
  });
});
