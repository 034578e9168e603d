// The dead-letter consumer with fakes: a queued job becomes dead-lettered with the reason, once,
// and its webhook is called once; a job that started is left to its execution; unreadable and
// orphaned messages are acknowledged (dropped, logged), never retried; store errors are retried.
import type { Job, JobFinal, JobStatus } from '@switchyard/core';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type DeadLetterDeps, handleDeadLetters } from '../../functions/dead-letter/dead-letter.service.ts';

function job(id: string, status: JobStatus, webhook?: string): Job {
  return {
    id,
    tenant: 't',
    status,
    priority: 'low',
    created_at: 1_000,
    updated_at: 1_000,
    request: { kind: 'chat', body: { model: 'm' } },
    attempts: [],
    ...(webhook ? { webhook_url: webhook } : {}),
  };
}

function world(jobs: Job[]) {
  const items = new Map(jobs.map((j) => [j.id, j]));
  const calls: Array<{ url: string; tenant: string; id: string; payload: unknown }> = [];
  const logs: string[] = [];
  let storeDown = false;
  const deps: DeadLetterDeps = {
    jobs: {
      get: async (id) => {
        if (storeDown) throw new Error('store down');
        return items.get(id);
      },
      finish: async (id, final: JobFinal, onlyFrom?: JobStatus) => {
        const j = items.get(id);
        if (!j || (onlyFrom && j.status !== onlyFrom)) return false;
        items.set(id, { ...j, status: final.status, ...('error' in final ? { error: final.error } : {}) });
        return true;
      },
    },
    webhooks: {
      notify: async ({ url, tenant, id, payload }) => {
        calls.push({ url, tenant, id, payload });
        if (url.includes('broken')) throw new Error('webhook answered 500');
      },
    },
    logger: {
      warn: (m: string) => void logs.push(`warn ${m}`),
      error: (m: string) => void logs.push(`error ${m}`),
      info: (m: string) => void logs.push(`info ${m}`),
    },
    maxReceiveCount: 5,
  };
  return { deps, items, calls, logs, setStoreDown: (v: boolean) => (storeDown = v) };
}

const event = (...bodies: string[]): SQSEvent =>
  ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) }) as unknown as SQSEvent;
const msg = (id: string) => JSON.stringify({ job_id: id, tenant: 't' });

describe('dead-letter consumer', () => {
  it('marks a queued job dead-lettered with the reason and notifies its webhook once', async () => {
    const w = world([job('j1', 'queued', 'https://hooks.example.com/x')]);
    const out = await handleDeadLetters(w.deps, event(msg('j1')));
    expect(out.batchItemFailures).toEqual([]);
    expect(w.items.get('j1')).toMatchObject({
      status: 'dead-lettered',
      error: { code: 'dead_lettered', message: expect.stringContaining('5 times') },
    });
    expect(w.calls).toEqual([
      {
        url: 'https://hooks.example.com/x',
        tenant: 't',
        id: 'j1.dead-lettered',
        payload: expect.objectContaining({ id: 'j1', status: 'dead-lettered' }),
      },
    ]);
    // The same message again (a redelivery): nothing changes, no second webhook.
    await handleDeadLetters(w.deps, event(msg('j1')));
    expect(w.calls).toHaveLength(1);
  });

  it('leaves a job whose execution started (or ended) to that execution', async () => {
    const w = world([job('run', 'running', 'https://h.example.com'), job('ok', 'succeeded')]);
    const out = await handleDeadLetters(w.deps, event(msg('run'), msg('ok')));
    expect(out.batchItemFailures).toEqual([]);
    expect(w.items.get('run')?.status).toBe('running');
    expect(w.items.get('ok')?.status).toBe('succeeded');
    expect(w.calls).toEqual([]);
  });

  it('acknowledges unreadable and orphaned messages (logged, dropped) so nothing loops', async () => {
    const w = world([]);
    const out = await handleDeadLetters(w.deps, event('garbage', '{"job_id":7}', msg('gone')));
    expect(out.batchItemFailures).toEqual([]);
    expect(w.logs.filter((l) => l.startsWith('error'))).toHaveLength(3);
  });

  it("a webhook failure does not undo the job's state nor fail the message", async () => {
    const w = world([job('j', 'queued', 'https://broken.example.com')]);
    const out = await handleDeadLetters(w.deps, event(msg('j')));
    expect(out.batchItemFailures).toEqual([]);
    expect(w.items.get('j')?.status).toBe('dead-lettered');
    expect(w.logs).toContain('warn dead-letter webhook failed');
  });

  it('retries the message when the job store is unreachable', async () => {
    const w = world([job('j', 'queued')]);
    w.setStoreDown(true);
    const out = await handleDeadLetters(w.deps, event(msg('j')));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
  });
});
