// Policy conditions on features (`match.when`) and the `infer` option through route(), with
// literal values: comparison parsing, every operator at its boundary (> vs >=, < vs <=, ==),
// schema errors that name the field and say what is expected, registry checks (unknown domain,
// infer without lexicons), hints winning over features, specificity, inference only when a
// model serves it, and the ensemble's complexity trigger at its threshold.
import { describe, expect, it } from 'vitest';
import type { FeatureConditions, RegistryInput, RequestFeatures } from '../../../../layers/core/src/index.ts';
import {
  compileConditions,
  ensembleSettings,
  formatIssues,
  PolicySchema,
  parseComparison,
  RegistrySchema,
  route,
} from '../../../../layers/core/src/index.ts';
import { compiled, ctx, endpoint, model, NO_HEALTH, policy, request } from '../fixtures.ts';

const feat = (over: Partial<RequestFeatures> = {}): RequestFeatures => ({
  tokens: 100,
  chars: 400,
  turns: 1,
  script: 'latin',
  code: 0,
  math: 0,
  questions: 0,
  steps: 0,
  tasks: {},
  domains: {},
  complexity: 0,
  ...over,
});

const holds = (when: FeatureConditions, f: RequestFeatures, hints: { task?: string; domain?: string } = {}) =>
  compileConditions(when).every((c) => c.test({ features: f, hints }));

const policyError = (over: Record<string, unknown>): string => {
  const r = PolicySchema.safeParse({ name: 'p', match: { model: 'p', ...over } });
  return r.success ? '' : formatIssues(r.error);
};

describe('comparisons', () => {
  it('parses an operator and a non-negative number, spaces optional', () => {
    expect(parseComparison('> 0.7')).toEqual({ op: '>', value: 0.7 });
    expect(parseComparison('>=0.7')).toEqual({ op: '>=', value: 0.7 });
    expect(parseComparison(' <= 3 ')).toEqual({ op: '<=', value: 3 });
    expect(parseComparison('< 1')).toEqual({ op: '<', value: 1 });
    expect(parseComparison('== 2')).toEqual({ op: '==', value: 2 });
    for (const bad of ['=> 1', '0.7', '> -1', '> 1e3', '>', '> .5', '!= 1', '> 0.7 x']) {
      expect(parseComparison(bad)).toBeUndefined();
    }
  });

  it('each operator at its boundary', () => {
    const at = (complexity: number) => feat({ complexity });
    expect(holds({ complexity: '> 0.7' }, at(0.7))).toBe(false);
    expect(holds({ complexity: '> 0.7' }, at(0.701))).toBe(true);
    expect(holds({ complexity: '>= 0.7' }, at(0.7))).toBe(true);
    expect(holds({ complexity: '>= 0.7' }, at(0.699))).toBe(false);
    expect(holds({ complexity: '< 0.3' }, at(0.3))).toBe(false);
    expect(holds({ complexity: '< 0.3' }, at(0.299))).toBe(true);
    expect(holds({ complexity: '<= 0.3' }, at(0.3))).toBe(true);
    expect(holds({ complexity: '<= 0.3' }, at(0.301))).toBe(false);
    expect(holds({ questions: '== 2' }, feat({ questions: 2 }))).toBe(true);
    expect(holds({ questions: '== 2' }, feat({ questions: 1 }))).toBe(false);
    expect(holds({ questions: '== 2' }, feat({ questions: 3 }))).toBe(false);
    expect(holds({ tokens: '>= 2000' }, feat({ tokens: 1999 }))).toBe(false);
    expect(holds({ tokens: '>= 2000' }, feat({ tokens: 2000 }))).toBe(true);
    expect(holds({ code: '> 0.5', math: '> 0.5' }, feat({ code: 0.9, math: 0.5 }))).toBe(false);
    expect(holds({ code: '> 0.5', math: '> 0.5' }, feat({ code: 0.9, math: 0.51 }))).toBe(true);
  });

  it('reads as text in schema order', () => {
    expect(
      compileConditions({ complexity: '>=0.70', domain: ['legal', 'finance'], task: 'summarize' }).map(
        (c) => c.text,
      ),
    ).toEqual(['domain in [legal, finance]', 'task = summarize', 'complexity >= 0.7']);
  });
});

describe('categorical conditions and hints', () => {
  it('domain, script, language: one value or any of a list', () => {
    expect(holds({ domain: 'legal' }, feat({ domain: 'legal' }))).toBe(true);
    expect(holds({ domain: 'legal' }, feat())).toBe(false);
    expect(holds({ domain: ['medical', 'legal'] }, feat({ domain: 'legal' }))).toBe(true);
    expect(holds({ script: 'cyrillic' }, feat({ script: 'cyrillic' }))).toBe(true);
    expect(holds({ script: ['cjk', 'arabic'] }, feat())).toBe(false);
    expect(holds({ language: 'de' }, feat({ language: 'de' }))).toBe(true);
    expect(holds({ language: 'de' }, feat())).toBe(false);
  });

  it("the caller's domain and task hints win over the features", () => {
    expect(holds({ domain: 'legal' }, feat({ domain: 'medical' }), { domain: 'legal' })).toBe(true);
    expect(holds({ domain: 'legal' }, feat({ domain: 'legal' }), { domain: 'medical' })).toBe(false);
    expect(holds({ task: 'summarize' }, feat(), { task: 'summarization' })).toBe(true);
    // A hinted task without a signal (chat) matches no task condition, whatever the prompt says.
    expect(holds({ task: 'summarize' }, feat({ task: 'summarize' }), { task: 'chat' })).toBe(false);
    expect(holds({ task: 'question' }, feat({ task: 'question' }))).toBe(true);
  });
});

describe('schema errors', () => {
  it('name the field and say what is expected', () => {
    expect(policyError({ when: { complexity: 'big' } })).toBe(
      'match.when.complexity: must be a comparison such as "> 0.7": one of >=, <=, >, <, == and a non-negative number (got "big")',
    );
    expect(policyError({ when: { complexity: '> 1.5' } })).toBe(
      'match.when.complexity: compares a score in [0, 1]: 1.5 is above 1',
    );
    expect(policyError({ when: { tokens: '> 1500' } })).toBe('');
    expect(policyError({ when: { complexity: '<= 1' } })).toBe('');
    expect(policyError({ when: {} })).toBe('match.when: names at least one feature condition');
    expect(policyError({ when: { domian: 'legal' } })).toMatch(/^match\.when: Unrecognized key: "domian"/);
    expect(policyError({ when: { task: 'summarise' } })).toMatch(/^match\.when\.task: /);
    expect(policyError({ when: { language: 'eng' } })).toBe(
      'match.when.language: must be an ISO 639-1 code such as en',
    );
    const infer = PolicySchema.safeParse({ name: 'p', infer: ['task', 'task'] });
    expect(infer.success ? '' : formatIssues(infer.error)).toBe(
      'infer: lists task and domain at most once each',
    );
    const ens = PolicySchema.safeParse({ name: 'p', ensemble: { min_complexity: 1.2 } });
    expect(ens.success ? '' : formatIssues(ens.error)).toMatch(/^ensemble\.min_complexity: /);
  });

  it('the registry: domains named by conditions exist, infer domain needs lexicons, terms are checked', () => {
    const reg = (over: Partial<RegistryInput>): string => {
      const r = RegistrySchema.safeParse({ models: [], ...over });
      return r.success ? '' : formatIssues(r.error);
    };
    const legal = { name: 'legal', terms: { contract: 1 } };
    expect(
      reg({ domains: [legal], policies: [policy('p', { match: { model: 'p', when: { domain: 'tax' } } })] }),
    ).toBe(`policies[0].match.when.domain: unknown domain "tax" (the registry's domains: legal)`);
    expect(reg({ policies: [policy('p', { infer: ['domain'] })] })).toBe(
      'policies[0].infer: infers the domain, but the registry defines no domains (add a domains: section)',
    );
    expect(reg({ policies: [policy('p', { infer: ['task'] })] })).toBe('');
    expect(reg({ domains: [legal, legal] })).toBe('domains[1].name: duplicate domain legal');
    expect(reg({ domains: [{ name: 'legal', terms: {} }] })).toBe(
      'domains[0].terms: a domain has at least one term',
    );
    expect(reg({ domains: [{ name: 'legal', terms: { contract: 0 } }] })).toMatch(
      /^domains\[0\]\.terms\.contract: /,
    );
    expect(reg({ domains: [{ name: 'legal', terms: { 'a b c d e': 1 } }] })).toMatch(
      /a term is a word or a phrase of at most 4 words/,
    );
    expect(reg({ domains: [{ name: 'legal', terms: { 'a b c d': 1 } }] })).toBe('');
    expect(reg({ domains: [{ name: 'Legal', terms: { x: 1 } }] })).toBe(
      'domains[0].name: must be a lower-case domain name',
    );
    expect(reg({ domains: [{ name: 'legal', terms: { x: 1 }, min_score: 0 }] })).toMatch(
      /^domains\[0\]\.min_score: /,
    );
  });
});

/** General and legal chat models, a summariser, and a medical model no policy lists. */
const WORLD: RegistryInput = {
  models: [
    model('general', { tasks: ['chat', 'summarization'], quality: { chat: 0.9 } }),
    model('legal', { tasks: ['chat'], domains: ['legal'], quality: { chat: 0.5 } }),
    model('medic', { tasks: ['chat'], domains: ['medical'] }),
  ],
  endpoints: [endpoint('e-general', 'general'), endpoint('e-legal', 'legal'), endpoint('e-medic', 'medic')],
  domains: [
    { name: 'legal', terms: { contract: 1 } },
    { name: 'medical', terms: { patient: 1 } },
  ],
  policies: [
    policy('smart', { models: ['general', 'legal'], infer: ['task', 'domain'], strategy: 'quality-first' }),
    policy('smart-hard', {
      match: { model: 'smart', when: { complexity: '> 0.7' } },
      models: ['general'],
      strategy: 'quality-first',
    }),
    policy('plain', { models: ['general', 'legal'], strategy: 'quality-first' }),
  ],
};
const world = compiled(WORLD);
const go = (over: Parameters<typeof request>[0]) =>
  route(request(over), { registry: world, health: NO_HEALTH }, ctx());

describe('route() with features', () => {
  it('infers the domain: a legal prompt with no hints goes to the legal model, and says why', () => {
    const d = go({
      model: 'smart',
      features: feat({ domain: 'legal', domains: { legal: 0.9, medical: 0 } }),
    });
    expect(d.plan.primary.endpoint).toBe('e-legal');
    expect(d.explanation.understanding?.inferred).toEqual({ domain: 'legal' });
    expect(d.explanation.understanding?.used).toEqual([
      { rule: 'infer', features: ['domain'], detail: 'domain "legal" (0.9)' },
    ]);
    expect(d.explanation.excluded).toContainEqual(
      expect.objectContaining({ endpoint: 'e-general', rule: 'domain' }),
    );
  });

  it('hints always win: a domain hint is kept, and no domain is inferred over it', () => {
    const d = go({
      model: 'smart',
      hints: { domain: 'legal' },
      features: feat({ domain: 'medical', domains: { legal: 0, medical: 0.9 } }),
    });
    expect(d.plan.primary.endpoint).toBe('e-legal');
    expect(d.explanation.understanding?.inferred).toBeUndefined();
    expect(d.explanation.understanding?.used).toEqual([]);
  });

  it('does not infer a domain no model of the policy serves', () => {
    const d = go({
      model: 'smart',
      features: feat({ domain: 'medical', domains: { legal: 0, medical: 0.8 } }),
    });
    expect(d.plan.primary.endpoint).toBe('e-general');
    expect(d.explanation.understanding?.inferred).toBeUndefined();
    expect(d.explanation.understanding?.used).toEqual([
      {
        rule: 'infer',
        features: ['domain'],
        detail: 'domain "medical" (0.8) is not used: no model of policy "smart" serves it for task "chat"',
      },
    ]);
  });

  it('infers the task: summarize becomes task summarization, scored and constrained as such', () => {
    const d = go({ model: 'smart', features: feat({ task: 'summarize', tasks: { summarize: 0.865 } }) });
    expect(d.plan.primary.endpoint).toBe('e-general');
    expect(d.explanation.understanding?.inferred).toEqual({ task: 'summarization' });
    expect(d.explanation.excluded).toContainEqual(
      expect.objectContaining({ endpoint: 'e-legal', rule: 'task' }),
    );
    // A hinted task stays.
    const hinted = go({
      model: 'smart',
      hints: { task: 'chat' },
      task: 'chat',
      features: feat({ task: 'summarize', tasks: { summarize: 0.865 } }),
    });
    expect(hinted.explanation.understanding?.inferred).toBeUndefined();
    // A question is chat: nothing to infer.
    const q = go({ model: 'smart', features: feat({ task: 'question', tasks: { question: 0.632 } }) });
    expect(q.explanation.understanding?.used).toEqual([]);
  });

  it('a task no model of the policy serves is not inferred', () => {
    const d = go({ model: 'smart', features: feat({ task: 'translate', tasks: { translate: 0.97 } }) });
    expect(d.explanation.understanding?.inferred).toBeUndefined();
    expect(d.explanation.understanding?.used[0]?.detail).toBe(
      'the translate signal (0.97) is not used: no model of policy "smart" serves task "translation"',
    );
  });

  it('without infer, the features change nothing; without features, no understanding', () => {
    const legal = feat({ domain: 'legal', domains: { legal: 0.9, medical: 0 } });
    expect(go({ model: 'plain', features: legal }).plan.primary.endpoint).toBe('e-general');
    expect(go({ model: 'plain', features: legal }).explanation.understanding?.used).toEqual([]);
    expect(go({ model: 'smart' }).explanation.understanding).toBeUndefined();
  });

  it('a condition policy is more specific than the plain alias; without features it never matches', () => {
    const hard = go({ model: 'smart', features: feat({ complexity: 0.71 }) });
    expect(hard.plan.policy).toBe('smart-hard');
    expect(hard.explanation.understanding?.used).toEqual([
      { rule: 'match', features: ['complexity'], detail: 'policy "smart-hard": complexity > 0.7' },
    ]);
    expect(go({ model: 'smart', features: feat({ complexity: 0.7 }) }).plan.policy).toBe('smart');
    expect(go({ model: 'smart' }).plan.policy).toBe('smart');
  });
});

describe('the ensemble on complexity', () => {
  const p = PolicySchema.parse({ name: 'p', ensemble: { size: 2, min_complexity: 0.6 } });
  it('fans out from exactly min_complexity; an unknown complexity does not reach it', () => {
    expect(ensembleSettings(p, undefined, 0, 0.6)).toEqual({ size: 2, combine: 'first-success' });
    expect(ensembleSettings(p, undefined, 0, 0.599)).toBeUndefined();
    expect(ensembleSettings(p, undefined, 0, undefined)).toBeUndefined();
    expect(ensembleSettings(p, true, 0, 0)).toEqual({ size: 2, combine: 'first-success' });
    expect(ensembleSettings(p, false, 0, 1)).toBeUndefined();
  });

  it('with min_prompt_tokens too, both must hold', () => {
    const both = PolicySchema.parse({ name: 'p', ensemble: { min_complexity: 0.5, min_prompt_tokens: 100 } });
    expect(ensembleSettings(both, undefined, 100, 0.5)).toEqual({ size: 3, combine: 'first-success' });
    expect(ensembleSettings(both, undefined, 99, 0.9)).toBeUndefined();
    expect(ensembleSettings(both, undefined, 1000, 0.49)).toBeUndefined();
  });

  it('route() fans out on complexity and explains it', () => {
    const reg = compiled({
      models: [model('a'), model('b')],
      endpoints: [endpoint('ea', 'a'), endpoint('eb', 'b')],
      policies: [policy('race', { ensemble: { size: 2, min_complexity: 0.6 } })],
    });
    const at = (complexity: number) =>
      route(
        request({ model: 'race', features: feat({ complexity }) }),
        { registry: reg, health: NO_HEALTH },
        ctx(),
      );
    expect(at(0.6).plan.ensemble?.targets).toHaveLength(2);
    expect(at(0.6).explanation.understanding?.used).toEqual([
      {
        rule: 'ensemble',
        features: ['complexity'],
        detail: 'complexity 0.6 >= min_complexity 0.6: fan out to 2',
      },
    ]);
    expect(at(0.59).plan.ensemble).toBeUndefined();
    expect(at(0.59).explanation.understanding?.used).toEqual([
      {
        rule: 'ensemble',
        features: ['complexity'],
        detail: 'complexity 0.59 < min_complexity 0.6: no fan-out',
      },
    ]);
  });
});
