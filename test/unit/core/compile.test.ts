// compileRegistry: the indexes a decision relies on, and the policy order (specificity, then
// priority, then registry order).
import { describe, expect, it } from 'vitest';
import { compiled, endpoint, model, policy } from './fixtures.ts';

describe('compileRegistry', () => {
  const reg = compiled({
    models: [model('a', { version: 'v1' }), model('a', { version: 'v2' }), model('b')],
    endpoints: [endpoint('a1', 'a'), endpoint('a2', 'a', { version: 'v2' }), endpoint('b1', 'b')],
    policies: [
      policy('plain', { match: { model: 'auto' } }),
      policy('tenant', { match: { model: 'auto', tenant: 't' } }),
      policy('tenant-task', { match: { model: 'auto', tenant: 't', task: 'chat' } }),
      policy('prio', { match: { model: 'auto' }, priority: 10 }),
      policy('general', { match: { headers: { 'X-Team': 'red' } }, models: ['a'] }),
    ],
  });

  it('indexes model versions with their endpoints', () => {
    expect(reg.models.map((m) => [m.key, m.endpoints.map((e) => e.id)])).toEqual([
      ['a@v1', ['a1']],
      ['a@v2', ['a2']],
      ['b@v1', ['b1']],
    ]);
    expect(reg.compiledById.get('a')?.map((m) => m.key)).toEqual(['a@v1', 'a@v2']);
    expect(reg.endpointsByModel.get('a')?.map((e) => e.id)).toEqual(['a1', 'a2']);
    expect(reg.endpointCount).toBe(3);
  });

  it('orders alias policies by specificity, then priority, then registry order', () => {
    expect(reg.aliasPolicies.get('auto')?.map((p) => p.policy.name)).toEqual([
      'tenant-task',
      'tenant',
      'prio',
      'plain',
    ]);
  });

  it('keeps general policies apart, with lower-cased header matches and model sets', () => {
    const [general] = reg.generalPolicies;
    expect(general?.policy.name).toBe('general');
    expect(general?.headers).toEqual([['x-team', 'red']]);
    expect([...(general?.modelSet ?? [])]).toEqual(['a']);
  });
});
