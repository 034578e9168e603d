// The up-front webhook URL rules (POST /v1/jobs: no DNS, literal forms and obviously internal
// names), and the public job view both GET /v1/jobs/{id} and webhooks send. The call-time checks
// (resolution, every address, the connection) are in test/integration/adapters/webhook.http.test.ts.
import { jobView, jobWebhook, webhookUrlProblem } from '@switchyard/adapters';
import type { Job } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

describe('webhookUrlProblem', () => {
  it.each([
    ['https://hooks.example.com/a?b=c', undefined],
    ['https://93.184.216.34/x', undefined],
    ['https://[2606:4700:4700::1111]/x', undefined],
    ['https://hooks.example.com./x', undefined],
    ['http://hooks.example.com/a', 'must be an https URL'],
    ['ftp://hooks.example.com/a', 'must be an https URL'],
    ['hooks.example.com/a', 'must be an absolute URL'],
    ['', 'must be a non-empty string'],
    ['https://user:pw@hooks.example.com', 'must not carry credentials'],
    ['https://localhost/x', 'must not point at a loopback, private or link-local address (localhost)'],
    ['https://localhost./x', 'must not point at a loopback, private or link-local address (localhost)'],
    ['https://LOCALHOST../x', 'must not point at a loopback, private or link-local address (localhost)'],
    ['https://api.localhost/x', 'must not point at a loopback, private or link-local address (localhost)'],
    [
      'https://metadata/computeMetadata',
      'must name a public host: "metadata" is a single-label (internal) name',
    ],
    ['https://db.internal/x', 'must name a public host: .internal names resolve only inside a network'],
    ['https://printer.local./x', 'must name a public host: .local names resolve only inside a network'],
    ['https://nas.home.arpa/x', 'must name a public host: .home.arpa names resolve only inside a network'],
    ['https://127.0.0.1/x', 'must not point at a non-public address: 127.0.0.1 is in 127.0.0.0/8 (loopback)'],
    [
      'https://2130706433/x',
      'must not point at a non-public address: 127.0.0.1 is in 127.0.0.0/8 (loopback)',
    ],
    ['https://0x7f.1/x', 'must not point at a non-public address: 127.0.0.1 is in 127.0.0.0/8 (loopback)'],
    [
      'https://0177.0.0.1/x',
      'must not point at a non-public address: 127.0.0.1 is in 127.0.0.0/8 (loopback)',
    ],
    ['https://[::1]/x', 'must not point at a non-public address: ::1 is in ::1/128 (loopback)'],
    [
      'https://[::127.0.0.1]/x',
      'must not point at a non-public address: ::7f00:1 is in ::/96 (IPv4-compatible (deprecated))',
    ],
    [
      'https://[::7f00:1]/x',
      'must not point at a non-public address: ::7f00:1 is in ::/96 (IPv4-compatible (deprecated))',
    ],
    [
      'https://[::ffff:127.0.0.1]/x',
      'must not point at a non-public address: ::ffff:7f00:1 is in ::ffff:0:0/96 (IPv4-mapped 127.0.0.1: 127.0.0.0/8 (loopback))',
    ],
    [
      'https://[::ffff:10.0.0.1]/x',
      'must not point at a non-public address: ::ffff:a00:1 is in ::ffff:0:0/96 (IPv4-mapped 10.0.0.1: 10.0.0.0/8 (private))',
    ],
    [
      'https://[64:ff9b::7f00:1]/x',
      'must not point at a non-public address: 64:ff9b::7f00:1 is in 64:ff9b::/96 (NAT64 127.0.0.1: 127.0.0.0/8 (loopback))',
    ],
    [
      'https://[64:ff9b:1::a00:1]/x',
      'must not point at a non-public address: 64:ff9b:1::a00:1 is in 64:ff9b:1::/48 (local-use IPv4/IPv6 translation)',
    ],
    [
      'https://[2002:7f00:1::1]/x',
      'must not point at a non-public address: 2002:7f00:1::1 is in 2002::/16 (6to4)',
    ],
    ['https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x', 'is in 2001::/32 (Teredo)'],
    ['https://169.254.169.254/latest/meta-data', 'is in 169.254.0.0/16 (link-local (cloud metadata))'],
    ['https://[fd00:ec2::254]/latest', 'is in fc00::/7 (unique local (ULA))'],
    ['https://192.168.1.1/x', 'is in 192.168.0.0/16 (private)'],
    ['https://172.20.0.1/x', 'is in 172.16.0.0/12 (private)'],
    ['https://100.64.0.1/x', 'is in 100.64.0.0/10 (shared address space (CGNAT))'],
    ['https://0.0.0.0/x', 'is in 0.0.0.0/8 (this network)'],
    ['https://198.18.0.1/x', 'is in 198.18.0.0/15 (benchmarking)'],
    ['https://240.0.0.1/x', 'is in 240.0.0.0/4 (reserved)'],
    ['https://255.255.255.255/x', 'is in 255.255.255.255/32 (limited broadcast)'],
    ['https://[ff02::1]/x', 'is in ff00::/8 (multicast)'],
  ])('%s (outside local mode)', (url, problem) => {
    const got = webhookUrlProblem(url, { allowLocal: false });
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });

  it.each([
    ['http://127.0.0.1:8080/x', undefined],
    ['https://127.0.0.1:8443/x', undefined],
    ['http://127.255.255.254/x', undefined],
    ['http://localhost/x', undefined],
    ['http://localhost./x', undefined],
    ['http://[::1]:1/x', undefined],
    ['http://[::ffff:127.0.0.1]/x', undefined],
    ['https://hooks.example.com/x', undefined],
    ['http://example.com/x', 'must be an https URL (or http to 127.0.0.1, ::1 or localhost in local mode)'],
    ['http://10.0.0.1/x', 'must be an https URL (or http to 127.0.0.1, ::1 or localhost in local mode)'],
    ['http://[::7f00:1]/x', 'must be an https URL (or http to 127.0.0.1, ::1 or localhost in local mode)'],
    ['https://10.0.0.1/x', 'is in 10.0.0.0/8 (private)'],
    ['https://[64:ff9b::7f00:1]/x', 'is in 64:ff9b::/96 (NAT64 127.0.0.1: 127.0.0.0/8 (loopback))'],
  ])('%s (local mode)', (url, problem) => {
    const got = webhookUrlProblem(url, { allowLocal: true });
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });

  it('refuses non-strings and URLs over 2048 characters', () => {
    expect(webhookUrlProblem(42, { allowLocal: true })).toBe('must be a non-empty string');
    const base = 'https://h.example.com/';
    expect(
      webhookUrlProblem(`${base}${'a'.repeat(2048 - base.length)}`, { allowLocal: false }),
    ).toBeUndefined();
    expect(webhookUrlProblem(`${base}${'a'.repeat(2049 - base.length)}`, { allowLocal: false })).toBe(
      'must be at most 2048 characters',
    );
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

describe('jobWebhook', () => {
  it('is the job view, for its tenant, named by job and state so retries share the id', () => {
    const job: Job & { webhook_url: string } = {
      id: 'job_9',
      tenant: 'acme',
      status: 'failed',
      priority: 'normal',
      created_at: 1_000,
      updated_at: 2_000,
      request: { kind: 'chat', body: { model: 'auto' } },
      attempts: [],
      error: { code: 'no_route', message: 'm' },
      webhook_url: 'https://hooks.example.com/h',
    };
    expect(jobWebhook(job)).toEqual({
      url: 'https://hooks.example.com/h',
      tenant: 'acme',
      job_id: 'job_9',
      id: 'job_9.failed',
      payload: jobView(job),
    });
  });
});
