// The local stack's registry.example.yaml through the core: it validates, and each policy alias
// routes the way the file's comments say (PHI to the HIPAA model, legal to the legal model, the
// support canary sticky per user, sentiment to the per-call classifier).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RouteRequest } from '../../../layers/core/src/index.ts';
import {
  compileRegistry,
  estimateTextTokens,
  extractFeatures,
  formatIssues,
  lexiconOf,
  NoCandidateError,
  RegistrySchema,
  route,
} from '../../../layers/core/src/index.ts';
import { ctx, NO_HEALTH, NOW, request } from './fixtures.ts';

const file = parse(
  readFileSync(new URL('../../../registry.example.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const { local: _local, ...sections } = file;
const parsed = RegistrySchema.safeParse(sections);
const registry = parsed.success ? compileRegistry(parsed.data) : undefined;
const go = (over: Partial<RouteRequest>) => {
  if (!registry) throw new Error('registry did not validate');
  return route(request(over), { registry, health: NO_HEALTH }, ctx());
};

describe('registry.example.yaml', () => {
  it('validates', () => {
    expect(parsed.success ? '' : formatIssues(parsed.error)).toBe('');
  });

  it('routes every policy alias', () => {
    for (const model of ['auto', 'cheap', 'best', 'fast', 'support', 'medical', 'assistant']) {
      expect(go({ model }).plan.primary.endpoint).toBeTruthy();
    }
    expect(
      go({ model: 'classify', task: 'sentiment', prompt_tokens: 10, max_output_tokens: 0 }).plan.primary
        .endpoint,
    ).toBe('gpu-sentiment-roberta');
  });

  it('picks the most specific auto policy: by task, by header, by tenant', () => {
    expect(go({ model: 'auto' }).plan.policy).toBe('auto');
    expect(go({ model: 'auto', task: 'code' }).plan.policy).toBe('auto-code');
    expect(go({ model: 'auto', headers: { 'x-team': 'research' } }).plan.policy).toBe('auto-research');
    expect(go({ model: 'auto', tenant: { id: 'budget-co' } }).plan.policy).toBe('auto-budget');
  });

  it('assistant: one conversation stays on one llama-3-8b replica; another replica when it is down', () => {
    const turn = { model: 'assistant', conversation_key: 'c:00000000deadbeef' };
    const first = go(turn);
    expect(first.explanation.affinity).toMatchObject({ key: 'conversation', epsilon: 0.25, applied: true });
    const home = first.plan.primary.endpoint;
    expect(['sm-llama-8b', 'gpu-a-llama-8b', 'gpu-b-llama-8b']).toContain(home);
    for (let seed = 0; seed < 10; seed++) {
      if (!registry) throw new Error('registry did not validate');
      const d = route(request(turn), { registry, health: NO_HEALTH }, ctx(seed));
      expect(d.plan.primary.endpoint).toBe(home);
    }
    if (!registry) throw new Error('registry did not validate');
    const down = {
      endpoints: {
        [home]: { endpoint: home, status: 'down' as const, checked_at: NOW, circuit: 'closed' as const },
      },
    };
    const moved = route(request(turn), { registry, health: down }, ctx());
    expect(moved.plan.primary.endpoint).not.toBe(home);
    expect(moved.plan.primary.model).toBe('llama-3-8b');
    expect(moved.explanation.affinity?.skipped).toContainEqual({ endpoint: home, reason: 'not-a-candidate' });
  });

  it('never routes to the draining endpoint, and says so', () => {
    const d = go({ model: 'llama-3-8b' });
    const all = [d.plan.primary, ...d.plan.fallbacks].map((t) => t.endpoint);
    expect(all).not.toContain('gpu-old-llama-8b');
    expect(d.explanation.excluded).toContainEqual(
      expect.objectContaining({ endpoint: 'gpu-old-llama-8b', rule: 'endpoint-state' }),
    );
  });

  it('fans longer texts out to three classifiers for a majority vote', () => {
    const d = go({ model: 'classify', task: 'sentiment', prompt_tokens: 40, max_output_tokens: 0 });
    expect(d.plan.ensemble?.combine).toBe('majority-vote');
    expect(new Set(d.plan.ensemble?.targets.map((t) => t.model))).toEqual(
      new Set(['sentiment-bert', 'sentiment-distil', 'sentiment-roberta']),
    );
  });

  it('sends phi only to the HIPAA model, and says why auto cannot take it', () => {
    expect(go({ model: 'best', hints: { data_classification: 'phi' } }).plan.primary.model).toBe('med-llm');
    expect(() => go({ model: 'auto', hints: { data_classification: 'phi' } })).toThrow(NoCandidateError);
    expect(go({ model: 'medical', hints: { data_classification: 'phi' } }).plan.primary.endpoint).toBe(
      'sm-med-llm',
    );
  });

  it('sends the legal domain to the legal model, in its region', () => {
    const d = go({ model: 'best', hints: { domain: 'legal' } });
    expect(d.plan.primary.endpoint).toBe('gpu-legal');
    expect(d.plan.primary.region).toBe('eu-west-1');
  });

  it('keeps a support conversation on one version of support-llm', () => {
    const versions = new Set(
      Array.from({ length: 5 }, () => go({ model: 'support', user: 'conv-42' }).plan.primary.version),
    );
    expect(versions.size).toBe(1);
  });

  it('model smart reads the prompt: legal and medical by inferred domain, finance and hard prompts by condition', () => {
    const smart = (text: string) => {
      if (!registry) throw new Error('registry did not validate');
      const base = request({ model: 'smart', prompt_tokens: estimateTextTokens(text) + 10 });
      const features = extractFeatures({ texts: [text], turns: 1 }, base.prompt_tokens, lexiconOf(registry));
      return go({ ...base, features });
    };
    const legal = smart('Can my landlord keep the deposit? Is that a breach of contract under the statute?');
    expect([legal.plan.policy, legal.plan.primary.model]).toEqual(['smart', 'legal-13b']);
    expect(legal.explanation.understanding?.inferred).toEqual({ domain: 'legal' });
    const medical = smart(
      'The patient reports chronic symptoms after the new medication; what dosage is safe?',
    );
    expect([medical.plan.policy, medical.plan.primary.model]).toEqual(['smart', 'med-llm']);
    const finance = smart('How did EBITDA and the dividend change this year?');
    expect([finance.plan.policy, finance.plan.primary.model]).toEqual(['smart-finance', 'llama-3-70b']);
    const summary = smart('Summarize this meeting for me.');
    expect(summary.explanation.understanding?.inferred).toEqual({ task: 'summarization' });
    expect(summary.plan.primary.model).toMatch(/^llama-3-/);
    const hard = smart(
      `1. Prove the theorem. 2. Then solve x^2 + 3 = 7. 3. Then compute 2*3. Why? How? What is the integral? ${'word '.repeat(3000)}`,
    );
    expect(hard.plan.policy).toBe('smart-complex');
    expect(smart('Hello there').plan.policy).toBe('smart');
  });
});
