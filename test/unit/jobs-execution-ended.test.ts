// The workflow safety net with fakes: an execution that ended FAILED / TIMED_OUT / ABORTED
// without recording its job moves the job to failed with the reason, once, and calls its webhook;
// a job the workflow finished keeps its state; successful executions are ignored. Also the local
// EventBridge pattern matching that delivers those events.
import type { Job, JobFinal } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import {
  type ExecutionEndedDeps,
  type ExecutionStatusChange,
  handleExecutionEnded,
} from '../../functions/job-watch/execution-ended.service.ts';
import { matchesEventPattern } from '../../infra/local/event-sources.ts';

function world(jobs: Job[]) {
  const items = new Map(jobs.map((j) => [j.id, j]));
  const calls: unknown[] = [];
  const deps: ExecutionEndedDeps = {
    jobs: {
      get: async (id) => items.get(id),
      finish: async (id, final: JobFinal) => {
        const j = items.get(id);
        if (!j || ['succeeded', 'failed', 'dead-lettered'].includes(j.status)) return false;
        items.set(id, { ...j, status: final.status, ...('error' in final ? { error: final.error } : {}) });
        return true;
      },
    },
    webhooks: {
      notify: async ({ payload, id, tenant }) => {
        calls.push({ ...(payload as object), delivery: { id, tenant } });
      },
    },
    logger: { warn: () => undefined, info: () => undefined },
  };
  return { deps, items, calls };
}

const job = (id: string, status: Job['status']): Job => ({
  id,
  tenant: 't',
  status,
  priority: 'normal',
  created_at: 1,
  updated_at: 1,
  request: { kind: 'chat', body: { model: 'm' } },
  attempts: [],
  webhook_url: 'https://h.example.com',
});

const ended = (name: string, status: string, extra: Partial<ExecutionStatusChange['detail']> = {}) => ({
  detail: {
    executionArn: `arn:exec:${name}`,
    name,
    status,
    input: JSON.stringify({ job_id: name }),
    ...extra,
  },
});

describe('handleExecutionEnded', () => {
  it.each(['FAILED', 'TIMED_OUT', 'ABORTED'])(
    '%s: a running job becomes failed with why, once',
    async (status) => {
      const w = world([job('j', 'running')]);
      expect(
        await handleExecutionEnded(
          w.deps,
          ended('j', status, { error: 'States.Timeout', cause: 'too slow' }),
        ),
      ).toBe(true);
      expect(w.items.get('j')).toMatchObject({
        status: 'failed',
        error: {
          code: `workflow_${status.toLowerCase()}`,
          message: expect.stringContaining('States.Timeout: too slow'),
        },
      });
      expect(w.calls).toEqual([
        expect.objectContaining({ id: 'j', status: 'failed', delivery: { id: 'j.failed', tenant: 't' } }),
      ]);
      expect(await handleExecutionEnded(w.deps, ended('j', status))).toBe(false);
      expect(w.calls).toHaveLength(1);
    },
  );

  it('leaves a job the workflow finished, ignores successful executions and unknown jobs', async () => {
    const w = world([job('done', 'succeeded'), job('run', 'running')]);
    expect(await handleExecutionEnded(w.deps, ended('done', 'ABORTED'))).toBe(false);
    expect(await handleExecutionEnded(w.deps, ended('run', 'SUCCEEDED'))).toBe(false);
    expect(await handleExecutionEnded(w.deps, ended('ghost', 'FAILED'))).toBe(false);
    expect(w.items.get('done')?.status).toBe('succeeded');
    expect(w.items.get('run')?.status).toBe('running');
    expect(w.calls).toEqual([]);
  });

  it('finds the job from the execution input, else from its name', async () => {
    const w = world([job('by-name', 'queued')]);
    expect(await handleExecutionEnded(w.deps, ended('by-name', 'FAILED', { input: 'not json' }))).toBe(true);
  });
});

describe('matchesEventPattern (local EventBridge rules)', () => {
  const pattern = {
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    detail: { stateMachineArn: ['arn:sm'], status: ['FAILED', 'ABORTED'] },
  };
  const event = (status: string, sm = 'arn:sm') => ({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { stateMachineArn: sm, status },
  });

  it('matches exact values in arrays, nested objects, and nothing else', () => {
    expect(matchesEventPattern(pattern, event('ABORTED'))).toBe(true);
    expect(matchesEventPattern(pattern, event('SUCCEEDED'))).toBe(false);
    expect(matchesEventPattern(pattern, event('FAILED', 'arn:other'))).toBe(false);
    expect(matchesEventPattern(pattern, { source: 'aws.states' })).toBe(false);
    expect(matchesEventPattern({ resources: ['r2'] }, { resources: ['r1', 'r2'] })).toBe(true);
  });
});
