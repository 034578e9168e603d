// Webhook URL rules, the webhook call (POST JSON, no redirects, non-2xx is a failure, timeout) and
// the public job view both GET /v1/jobs/{id} and webhooks send.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpWebhookNotifier, jobView, WebhookError, webhookUrlProblem } from '@switchyard/adapters';
import type { Job } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('webhookUrlProblem', () => {
  it.each([
    ['https://hooks.example.com/a?b=c', false, undefined],
    ['https://93.184.216.34/x', false, undefined],
    ['http://hooks.example.com/a', false, 'must be an https URL'],
    ['ftp://hooks.example.com/a', false, 'must be an https URL'],
    ['hooks.example.com/a', false, 'must be an absolute URL'],
    ['', false, 'must be a non-empty string'],
    ['https://user:pw@hooks.example.com', false, 'must not carry credentials'],
    ['https://localhost/x', false, 'loopback'],
    ['https://127.0.0.1/x', false, 'loopback'],
    ['https://[::1]/x', false, 'loopback'],
    ['https://192.168.1.1/x', false, 'private'],
    ['https://172.20.0.1/x', false, 'private'],
    ['https://169.254.169.254/latest', false, 'link-local'],
    ['https://[fd00::1]/x', false, 'private'],
    ['https://[::ffff:10.0.0.1]/x', false, 'private'],
    ['http://127.0.0.1:8080/x', true, undefined],
    ['http://localhost/x', true, undefined],
    ['http://[::1]:1/x', true, undefined],
    ['http://example.com/x', true, 'in local mode'],
    ['http://10.0.0.1/x', true, 'in local mode'],
  ])('%s (local mode %s)', (url, allowLocal, problem) => {
    const got = webhookUrlProblem(url, { allowLocal });
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });

  it('refuses non-strings and very long URLs', () => {
    expect(webhookUrlProblem(42, { allowLocal: true })).toBeDefined();
    expect(webhookUrlProblem(`https://h.example.com/${'a'.repeat(2100)}`, { allowLocal: false })).toContain(
      '2048',
    );
  });
});

describe('HttpWebhookNotifier', () => {
  const seen: Array<{ method?: string; type?: string; job?: string; body: string }> = [];
  let status = 200;
  let base = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method,
        type: req.headers['content-type'],
        job: req.headers['x-switchyard-job'] as string | undefined,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === '/slow') return void setTimeout(() => res.end(), 500);
      res.writeHead(status, status === 302 ? { location: '/elsewhere' } : {});
      res.end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs JSON with the given headers; 2xx is success', async () => {
    status = 204;
    await new HttpWebhookNotifier({ timeoutMs: 2000 }).notify(
      `${base}/ok`,
      { a: 1 },
      { 'x-switchyard-job': 'j' },
    );
    expect(seen.at(-1)).toEqual({ method: 'POST', type: 'application/json', job: 'j', body: '{"a":1}' });
  });

  it.each([500, 404, 302])('answer %s is a WebhookError (redirects are not followed)', async (code) => {
    status = code;
    const before = seen.length;
    const err = await new HttpWebhookNotifier({ timeoutMs: 2000 })
      .notify(`${base}/x`, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookError);
    expect((err as Error).name).toBe('Switchyard.WebhookFailed');
    expect(seen.length).toBe(before + 1);
  });

  it('a timeout or a refused connection is a WebhookError', async () => {
    const slow = await new HttpWebhookNotifier({ timeoutMs: 50 })
      .notify(`${base}/slow`, {})
      .catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(WebhookError);
    const refused = await new HttpWebhookNotifier({ timeoutMs: 1000 })
      .notify('http://127.0.0.1:1/x', {})
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WebhookError);
  });
});

describe('jobView', () => {
  const base: Job = {
    id: 'job_1',
    tenant: 'secret-tenant',
    status: 'succeeded',
    priority: 'high',
    created_at: 1_700_000_000_999,
    updated_at: 1_700_000_005_000,
    started_at: 1_700_000_001_000,
    request: {
      kind: 'chat',
      body: { model: 'auto', messages: [{ role: 'user', content: 'private prompt' }] },
    },
    attempts: [
      {
        endpoint: 'a',
        model: 'm',
        version: 'v1',
        outcome: 'server',
        duration_ms: 12,
        status: 500,
        error: 'boom',
      },
      { endpoint: 'b', model: 'n', version: 'v2', outcome: 'success', duration_ms: 30 },
    ],
    plan: { policy: 'p', targets: [], max_attempts_per_target: 2 },
    result: {
      body: { object: 'chat.completion', model: 'upstream-name', choices: [] },
      endpoint: 'b',
      model: 'n',
      version: 'v2',
    },
    execution_arn: 'arn:x',
  };

  it('shows status, times in seconds, attempts and the answer; never the tenant, prompt or plan', () => {
    const view = jobView(base);
    expect(view).toEqual({
      id: 'job_1',
      object: 'job',
      status: 'succeeded',
      priority: 'high',
      model: 'auto',
      created_at: 1_700_000_000,
      updated_at: 1_700_000_005,
      started_at: 1_700_000_001,
      attempts: [
        { endpoint: 'a', model: 'm@v1', outcome: 'server', duration_ms: 12, status: 500, error: 'boom' },
        { endpoint: 'b', model: 'n@v2', outcome: 'success', duration_ms: 30 },
      ],
      result: { object: 'chat.completion', model: 'n', choices: [] },
    });
    expect(JSON.stringify(view)).not.toMatch(/secret-tenant|private prompt|arn:x/);
  });

  it('shapes invocation results and failures', () => {
    const invocation = jobView({
      ...base,
      request: { kind: 'invocation', body: { model: 'clf', task: 'sentiment', payload: 'x' } },
      result: { body: { label: 'positive' }, endpoint: 'b', model: 'clf', version: 'v1' },
    });
    expect(invocation.result).toEqual({
      object: 'invocation',
      model: 'clf',
      task: 'sentiment',
      output: { label: 'positive' },
    });
    const failed = jobView({
      ...base,
      status: 'failed',
      result: undefined,
      error: { code: 'all_targets_failed', message: 'm' },
    });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'all_targets_failed' } });
    expect(failed).not.toHaveProperty('result');
  });
});
