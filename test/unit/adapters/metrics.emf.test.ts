// EMF in the document shape Powertools Metrics writes: one document per dimension set with the
// contract's names and units, values of a metric gathered into one array (at most 100 a
// document), the `service` dimension on every set, the flush interval (>=), nothing recorded
// when disabled; and the core's error classes.
import { EmfMetrics } from '@switchyard/adapters';
import {
  AuthenticationError,
  BudgetUnavailableError,
  errorClassOf,
  InsufficientQuotaError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  SwitchyardError,
} from '@switchyard/core';
import { describe, expect, it } from 'vitest';

type Doc = Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } };

function sink(options: { minFlushIntervalMs?: number; now?: () => number; disabled?: boolean } = {}) {
  const lines: string[] = [];
  const emf = new EmfMetrics({
    serviceName: 'router',
    write: (l) => lines.push(l),
    disabled: false,
    ...options,
  });
  const docs = (): Doc[] =>
    lines.map((l) => {
      const doc = JSON.parse(l) as Doc & { _aws: { Timestamp?: number } };
      delete doc._aws.Timestamp;
      return doc;
    });
  return { emf, lines, docs };
}

describe('EmfMetrics', () => {
  it('writes one EMF document per dimension set, in the Switchyard namespace, with the service dimension', () => {
    const { emf, docs, lines } = sink();
    emf.add('requests', { Route: 'POST /v1/chat/completions' });
    emf.add('latency', { Route: 'POST /v1/chat/completions' }, 12);
    emf.add('latency', { Route: 'POST /v1/chat/completions' }, 30);
    emf.add('upstreamThrottles', { Endpoint: 'gpu-a' });
    expect(emf.pending).toBe(4);
    emf.flush();
    expect(lines.every((l) => l.endsWith('}\n'))).toBe(true);
    expect(docs()).toEqual([
      {
        _aws: {
          CloudWatchMetrics: [
            {
              Namespace: 'Switchyard',
              Dimensions: [['service', 'Route']],
              Metrics: [
                { Name: 'Requests', Unit: 'Count' },
                { Name: 'Latency', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        service: 'router',
        Route: 'POST /v1/chat/completions',
        Requests: 1,
        Latency: [12, 30],
      },
      {
        _aws: {
          CloudWatchMetrics: [
            {
              Namespace: 'Switchyard',
              Dimensions: [['service', 'Endpoint']],
              Metrics: [{ Name: 'UpstreamThrottles', Unit: 'Count' }],
            },
          ],
        },
        service: 'router',
        Endpoint: 'gpu-a',
        UpstreamThrottles: 1,
      },
    ]);
    expect(emf.pending).toBe(0);
  });

  it('the same dimensions in another order are one set', () => {
    const { emf, docs } = sink();
    emf.add('attempts', { Policy: 'p', Model: 'm@v1' }, 1);
    emf.add('attempts', { Model: 'm@v1', Policy: 'p' }, 2);
    emf.flush();
    expect(docs()).toHaveLength(1);
    expect(docs()[0]?.Attempts).toEqual([1, 2]);
  });

  it('one dimensions object reused across a flush and between other sets: nothing lost or misfiled', () => {
    const { emf, docs } = sink();
    const byPolicy = { Policy: 'p', Model: 'm@v1' };
    emf.add('requests', byPolicy);
    emf.add('attempts', byPolicy, 2);
    emf.add('requests', { Route: 'POST /v1/embeddings' });
    emf.add('fallbacks', byPolicy, 1);
    emf.flush();
    emf.add('attempts', byPolicy, 3);
    emf.flush();
    expect(docs().map((d) => [d.Policy ?? d.Route, d.Requests, d.Attempts, d.Fallbacks])).toEqual([
      ['p', 1, 2, 1],
      ['POST /v1/embeddings', 1, undefined, undefined],
      ['p', undefined, 3, undefined],
    ]);
  });

  it('99 values fit one document; the 100th goes into a second (all through the given writer)', () => {
    const { emf, docs } = sink();
    for (let i = 0; i < 100; i++) emf.add('latency', { Route: 'r' }, i);
    emf.flush();
    const [first, second] = docs();
    const values = (first?.Latency ?? []) as number[];
    expect(values.length).toBe(99);
    expect(values[98]).toBe(98);
    expect(second?.Latency).toBe(99);
    expect(docs()).toHaveLength(2);
  });

  it('skips values that are not finite numbers', () => {
    const { emf } = sink();
    emf.add('costUsd', { Policy: 'p', Model: 'm' }, Number.NaN);
    emf.add('costUsd', { Policy: 'p', Model: 'm' }, Number.POSITIVE_INFINITY);
    expect(emf.pending).toBe(0);
  });

  it('writes nothing for an empty flush', () => {
    const { emf, lines } = sink();
    emf.flush();
    expect(lines).toEqual([]);
  });

  it('flushIfDue waits for the interval (due at exactly the interval)', () => {
    let now = 1000;
    const { emf, lines } = sink({ minFlushIntervalMs: 500, now: () => now });
    emf.add('requests', { Route: 'r' });
    emf.flushIfDue(); // the first flush is always due
    expect(lines).toHaveLength(1);
    emf.add('requests', { Route: 'r' });
    now = 1499;
    emf.flushIfDue();
    expect(lines).toHaveLength(1);
    now = 1500;
    emf.flushIfDue();
    expect(lines).toHaveLength(2);
  });

  it('records nothing when disabled', () => {
    const { emf, lines } = sink({ disabled: true });
    emf.add('requests', { Route: 'r' });
    emf.flush();
    expect(emf.pending).toBe(0);
    expect(lines).toEqual([]);
  });
});

describe('errorClassOf', () => {
  it.each([
    [new InvalidRequestError('x'), 'client'],
    [new NotFoundError('x'), 'client'],
    [new AuthenticationError(), 'auth'],
    [new PermissionDeniedError('x'), 'auth'],
    [new RateLimitError('x', 1), 'throttled'],
    [new SwitchyardError('x', 429, 'rate_limit_error'), 'throttled'],
    [new BudgetUnavailableError(), 'budget'],
    [new InsufficientQuotaError('x', {} as never, null), 'budget'],
    [new SwitchyardError('x', 502, 'upstream_error'), 'upstream'],
    [new SwitchyardError('x', 503, 'service_unavailable'), 'upstream'],
    [new SwitchyardError('x', 504, 'timeout'), 'upstream'],
    [new SwitchyardError('x', 500, 'server_error'), 'internal'],
    [new SwitchyardError('x', 499, 'client_closed'), 'client'],
    [new SwitchyardError('x', 400, 'invalid_request_error'), 'client'],
    [new SwitchyardError('x', 505, 'server_error'), 'internal'],
    [new SwitchyardError('x', 501, 'server_error'), 'internal'],
    [new TypeError('boom'), 'internal'],
  ])('%s -> %s', (err, expected) => {
    expect(errorClassOf(err)).toBe(expected);
  });
});
