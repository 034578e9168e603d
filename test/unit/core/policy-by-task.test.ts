// Requests without a model (task invocations) are routed by task: the most specific policy that
// matches the task without naming a model, else the default policy over every model serving the
// task. Also: the invocation body's model is optional (no `auto` default) and the plan carries the
// policy's sync retry settings.
import { describe, expect, it } from 'vitest';
import type { RouteRequest } from '../../../layers/core/src/index.ts';
import {
  formatIssues,
  InvocationRequestSchema,
  invocationRouteRequest,
  NoCandidateError,
  PolicySchema,
  RegistrySchema,
  resolvePolicy,
  route,
} from '../../../layers/core/src/index.ts';
import { compiled, ctx, endpoint, model, NO_HEALTH, policy, request } from './fixtures.ts';

const registry = compiled({
  models: [
    model('chatty', { tasks: ['chat'] }),
    model('bert', { tasks: ['sentiment', 'classification'], quality: { sentiment: 0.8 } }),
    model('roberta', { tasks: ['sentiment'], quality: { sentiment: 0.9 } }),
    model('labeller', { tasks: ['classification'] }),
  ],
  endpoints: [
    endpoint('chat-1', 'chatty'),
    endpoint('bert-1', 'bert'),
    endpoint('roberta-1', 'roberta'),
    endpoint('labeller-1', 'labeller'),
  ],
  policies: [
    policy('auto', { models: ['chatty'] }),
    // Names no task: for requests that name a model, never for task-only ones.
    { name: 'catch-all', strategy: 'cost-first' },
    { name: 'sentiment', match: { task: 'sentiment' }, models: ['roberta'], strategy: 'quality-first' },
    {
      name: 'sentiment-acme',
      match: { task: 'sentiment', tenant: 'acme' },
      models: ['bert'],
      strategy: 'quality-first',
    },
  ],
});

const noModel = (over: Partial<RouteRequest> = {}): RouteRequest => {
  const { model: _model, ...rest } = request({ task: 'sentiment', max_output_tokens: 0, ...over });
  return rest;
};

describe('routing without a model: by task', () => {
  it('uses the policy that matches the task without naming a model', () => {
    const resolved = resolvePolicy(registry, noModel());
    expect(resolved.compiled.policy.name).toBe('sentiment');
    expect(resolved.model).toBeUndefined();
    const d = route(noModel(), { registry, health: NO_HEALTH }, ctx());
    expect(d.plan.policy).toBe('sentiment');
    expect(d.plan.primary.endpoint).toBe('roberta-1');
    expect(d.explanation.excluded.find((x) => x.endpoint === 'bert-1')?.rule).toBe('policy-models');
  });

  it('prefers the more specific by-task policy (tenant)', () => {
    const d = route(noModel({ tenant: { id: 'acme' } }), { registry, health: NO_HEALTH }, ctx());
    expect(d.plan.policy).toBe('sentiment-acme');
    expect(d.plan.primary.endpoint).toBe('bert-1');
  });

  it('falls to the default policy over every model serving the task, never to a task-less policy', () => {
    const d = route(noModel({ task: 'classification' }), { registry, health: NO_HEALTH }, ctx());
    expect(d.plan.policy).toBe('default');
    expect(d.explanation.candidates.map((c) => c.endpoint).sort()).toEqual(['bert-1', 'labeller-1']);
    expect(d.explanation.excluded.find((x) => x.endpoint === 'chat-1')).toMatchObject({ rule: 'task' });
  });

  it('names the task when no model serves it', () => {
    const err = (() => {
      try {
        route(noModel({ task: 'translation' }), { registry, health: NO_HEALTH }, ctx());
      } catch (e) {
        return e;
      }
    })() as NoCandidateError;
    expect(err).toBeInstanceOf(NoCandidateError);
    expect(err.rule).toBe('task');
    expect(err.status).toBe(400);
    expect(err.message).toContain('no model serves task "translation"');
  });

  it('still routes a named model or alias as before', () => {
    expect(route(request({ model: 'auto' }), { registry, health: NO_HEALTH }, ctx()).plan.policy).toBe(
      'auto',
    );
    const named = route(request({ model: 'chatty' }), { registry, health: NO_HEALTH }, ctx());
    expect(named.plan.policy).toBe('catch-all');
  });
});

describe('the invocation body', () => {
  it('has no model unless the caller gives one', () => {
    const parsed = InvocationRequestSchema.parse({ task: 'sentiment', payload: { text: 'hi' } });
    expect(parsed.model).toBeUndefined();
    const r = invocationRouteRequest(parsed, {}, { id: 't' });
    expect('model' in r).toBe(false);
    expect(r.task).toBe('sentiment');
    const named = invocationRouteRequest(
      InvocationRequestSchema.parse({ model: 'classify', task: 'sentiment', payload: 'x' }),
      {},
      { id: 't' },
    );
    expect(named.model).toBe('classify');
  });
});

describe('policy retry.sync', () => {
  it('defaults to one attempt per target (no same-target retry) and shows in the plan', () => {
    expect(PolicySchema.parse({ name: 'p' }).retry).toEqual({
      max_attempts_per_target: 2,
      sync: { max_attempts_per_target: 1, base_delay_ms: 100, max_delay_ms: 2000 },
    });
    const d = route(request({ model: 'auto' }), { registry, health: NO_HEALTH }, ctx());
    expect(d.plan.sync_retry).toEqual({ max_attempts_per_target: 1, base_delay_ms: 100, max_delay_ms: 2000 });
    expect(d.plan.max_attempts_per_target).toBe(2);
  });

  it('takes a policy`s settings and refuses bad ones naming the field', () => {
    const reg = compiled({
      models: [model('m')],
      endpoints: [endpoint('e', 'm')],
      policies: [policy('r', { retry: { sync: { max_attempts_per_target: 3, base_delay_ms: 50 } } })],
    });
    const d = route(request({ model: 'r' }), { registry: reg, health: NO_HEALTH }, ctx());
    expect(d.plan.sync_retry).toEqual({ max_attempts_per_target: 3, base_delay_ms: 50, max_delay_ms: 2000 });
    const bad = RegistrySchema.safeParse({
      policies: [{ name: 'x', retry: { sync: { max_attempts_per_target: 0 } } }],
    });
    expect(bad.success).toBe(false);
    if (!bad.success)
      expect(formatIssues(bad.error)).toMatch(/^policies\[0\]\.retry\.sync\.max_attempts_per_target: /);
    const tooMany = RegistrySchema.safeParse({
      policies: [{ name: 'x', retry: { sync: { max_attempts_per_target: 6 } } }],
    });
    expect(tooMany.success).toBe(false);
    expect(
      RegistrySchema.safeParse({ policies: [{ name: 'x', retry: { sync: { max_attempts_per_target: 5 } } }] })
        .success,
    ).toBe(true);
  });
});
