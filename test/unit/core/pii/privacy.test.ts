// The privacy decision (core pii/privacy.ts) and the request walk under it: nothing found changes
// nothing; classify raises the classification (phi with medical words, pci/phi kept); refuse is
// a 400 naming types and counts; redact rewrites exactly the caller's text of each call kind and
// restores answers and streams; the strictest of policy and tenant wins; unscanned text counts.
import { describe, expect, it } from 'vitest';
import type { InferenceCall, StreamEvent } from '../../../../layers/core/src/index.ts';
import {
  applyPrivacy,
  effectivePiiAction,
  jobPrivacy,
  PersonalDataRefusedError,
  PII_SCAN_LIMITS,
  policyPiiAction,
  raiseClassification,
  redactCall,
  restoreStream,
  restoreValue,
  scanCall,
  scanValue,
} from '../../../../layers/core/src/index.ts';
import { compiled, endpoint, model, policy, request } from '../fixtures.ts';

const chat = (content: unknown): InferenceCall => ({
  kind: 'chat',
  body: { model: 'auto', messages: [{ role: 'user', content }] } as never,
});

describe('effectivePiiAction', () => {
  it('is classify by default and the stricter of policy and tenant otherwise', () => {
    expect(effectivePiiAction(undefined, undefined)).toEqual({ action: 'classify', source: 'default' });
    expect(effectivePiiAction('classify', undefined)).toEqual({ action: 'classify', source: 'policy' });
    expect(effectivePiiAction(undefined, 'classify')).toEqual({ action: 'classify', source: 'tenant' });
    expect(effectivePiiAction('classify', 'redact')).toEqual({ action: 'redact', source: 'tenant' });
    expect(effectivePiiAction('redact', 'classify')).toEqual({ action: 'redact', source: 'policy' });
    expect(effectivePiiAction('redact', 'redact')).toEqual({ action: 'redact', source: 'policy' });
    expect(effectivePiiAction('refuse', 'redact')).toEqual({ action: 'refuse', source: 'policy' });
    expect(effectivePiiAction('redact', 'refuse')).toEqual({ action: 'refuse', source: 'tenant' });
  });
});

describe('raiseClassification', () => {
  it('raises to pii, to phi with medical words, never lowers (... < pii < phi < pci)', () => {
    expect(raiseClassification(undefined, false)).toBe('pii');
    expect(raiseClassification('public', false)).toBe('pii');
    expect(raiseClassification('confidential', false)).toBe('pii');
    expect(raiseClassification('pii', false)).toBe('pii');
    expect(raiseClassification('pci', false)).toBe('pci');
    expect(raiseClassification('phi', false)).toBe('phi');
    expect(raiseClassification(undefined, true)).toBe('phi');
    expect(raiseClassification('public', true)).toBe('phi');
    expect(raiseClassification('phi', true)).toBe('phi');
    expect(raiseClassification('pci', true)).toBe('pci');
  });
});

describe('applyPrivacy', () => {
  const none = { policy: undefined, tenant: undefined };

  it('changes nothing when nothing is found', () => {
    const r = request();
    const call = chat('What is the capital of France? Version 1.2.3.4, order 4111 1111 1111 1112.');
    const out = applyPrivacy(r, call, none);
    expect(out.request).toBe(r);
    expect(out.call).toBe(call);
    expect(out.note).toBeUndefined();
    expect(out.vault).toBeUndefined();
  });

  it('classify (the default) raises the request to pii and says types and counts only', () => {
    const r = request({ hints: { data_classification: 'internal', priority: 'high' } });
    const call = chat('card 4111 1111 1111 1111, mail a@example.com and b@example.com');
    const out = applyPrivacy(r, call, none);
    expect(out.request.hints).toEqual({ data_classification: 'pii', priority: 'high' });
    expect(r.hints.data_classification).toBe('internal');
    expect(out.call).toBe(call);
    expect(out.note).toEqual({
      action: 'classify',
      source: 'default',
      detected: { payment_card: 1, email: 2 },
      classification: 'pii',
    });
    expect(JSON.stringify(out.note)).not.toContain('4111');
  });

  it('classify raises to phi when medical words are in the same request', () => {
    const call: InferenceCall = {
      kind: 'chat',
      body: {
        model: 'auto',
        messages: [
          { role: 'system', content: 'You summarise discharge notes.' },
          { role: 'user', content: 'The patient, SSN 219-45-6789, was prescribed insulin.' },
        ],
      } as never,
    };
    expect(applyPrivacy(request(), call, none).note?.classification).toBe('phi');
  });

  it('refuse is a 400 naming types and counts, never the values', () => {
    const call = chat('SSN 219-45-6789 and 536-22-1234, ip 203.0.113.45');
    let error: unknown;
    try {
      applyPrivacy(request(), call, { policy: 'refuse', tenant: undefined });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PersonalDataRefusedError);
    const e = error as PersonalDataRefusedError;
    expect(e.status).toBe(400);
    expect(e.type).toBe('invalid_request_error');
    expect(e.code).toBe('personal_data_refused');
    expect(e.message).toBe(
      'The request contains personal data (1 ipv4, 2 us_ssn) and the policy refuses it: remove it, or use a policy that classifies or redacts it.',
    );
    expect(() => applyPrivacy(request(), call, { policy: 'classify', tenant: 'refuse' })).toThrow(
      "and the tenant's setting refuses it",
    );
  });

  it('redact sends placeholders, keeps the classification and hands back the restoring vault', () => {
    const r = request({ hints: { data_classification: 'public' } });
    const call = chat([
      { type: 'text', text: 'Write to jane@example.com about card 5555555555554444' },
      { type: 'image_url', image_url: { url: 'https://example.com/a@b.com.png' } },
    ]);
    const out = applyPrivacy(r, call, { policy: 'redact', tenant: undefined });
    expect(out.request).toBe(r);
    expect(out.call).toEqual(
      chat([
        { type: 'text', text: 'Write to [EMAIL_1] about card [PAYMENT_CARD_1]' },
        { type: 'image_url', image_url: { url: 'https://example.com/a@b.com.png' } },
      ]),
    );
    expect(out.note).toEqual({
      action: 'redact',
      source: 'policy',
      detected: { email: 1, payment_card: 1 },
      redacted: 2,
    });
    expect(out.vault?.restore('Sent to [EMAIL_1].')).toBe('Sent to jane@example.com.');
  });

  it('counts text past the scan caps as personal data: classified, and under redact classified too', () => {
    const payload = Array.from({ length: PII_SCAN_LIMITS.strings + 1 }, () => 'x');
    const call: InferenceCall = { kind: 'invocation', task: 'classification', payload };
    const scan = scanCall(call);
    expect(scan.truncated).toBe(true);
    expect(scan.total).toBe(0);
    const out = applyPrivacy(request(), call, none, scan);
    expect(out.note).toEqual({
      action: 'classify',
      source: 'default',
      detected: {},
      classification: 'pii',
      truncated: true,
    });
    const redacted = applyPrivacy(request(), call, { policy: 'redact', tenant: undefined }, scan);
    expect(redacted.request.hints.data_classification).toBe('pii');
    expect(redacted.note?.redacted).toBe(0);
  });

  it('a payload exactly at the string and depth caps is scanned whole', () => {
    const payload = Array.from({ length: PII_SCAN_LIMITS.strings }, () => 'x');
    expect(scanValue(payload).truncated).toBe(false);
    const deep = JSON.parse(
      `${'['.repeat(PII_SCAN_LIMITS.depth + 1)}"a@example.com"${']'.repeat(PII_SCAN_LIMITS.depth + 1)}`,
    );
    expect(scanValue(deep)).toMatchObject({ truncated: true, total: 0 });
    const shallow = JSON.parse(
      `${'['.repeat(PII_SCAN_LIMITS.depth)}"a@example.com"${']'.repeat(PII_SCAN_LIMITS.depth)}`,
    );
    expect(scanValue(shallow)).toMatchObject({ truncated: false, total: 1 });
  });
});

describe('redactCall', () => {
  it('rewrites the caller text of each kind, not roles or ids', () => {
    const chatCall: InferenceCall = {
      kind: 'chat',
      body: {
        model: 'auto',
        temperature: 0.2,
        messages: [
          { role: 'user', content: 'me: a@example.com', name: 'b@example.com' },
          { role: 'tool', content: 'ip 203.0.113.45', tool_call_id: 'c@example.com' },
        ],
      } as never,
    };
    const scan = scanCall(chatCall);
    expect(redactCall(chatCall, scan).call).toEqual({
      kind: 'chat',
      body: {
        model: 'auto',
        temperature: 0.2,
        messages: [
          { role: 'user', content: 'me: [EMAIL_1]', name: '[EMAIL_2]' },
          { role: 'tool', content: 'ip [IPV4_1]', tool_call_id: 'c@example.com' },
        ],
      },
    });
    const completion: InferenceCall = {
      kind: 'completion',
      body: { model: 'auto', prompt: ['a@example.com', 'none'] } as never,
    };
    expect(redactCall(completion, scanCall(completion)).call).toEqual({
      kind: 'completion',
      body: { model: 'auto', prompt: ['[EMAIL_1]', 'none'] },
    });
    const embedding: InferenceCall = { kind: 'embedding', body: { input: ['x 219-45-6789', 'a'] } as never };
    expect(redactCall(embedding, scanCall(embedding)).call).toEqual({
      kind: 'embedding',
      body: { input: ['x [US_SSN_1]', 'a'] },
    });
    const invocation: InferenceCall = {
      kind: 'invocation',
      task: 'classification',
      payload: { text: 'a@example.com', meta: { n: 1, ok: true, more: ['b@example.com', null] } },
    };
    expect(redactCall(invocation, scanCall(invocation)).call).toEqual({
      kind: 'invocation',
      task: 'classification',
      payload: { text: '[EMAIL_1]', meta: { n: 1, ok: true, more: ['[EMAIL_2]', null] } },
    });
  });

  it('restores every string of an answer', () => {
    const call = chat('a@example.com');
    const { vault } = redactCall(call, scanCall(call));
    const answer = { id: 'x', choices: [{ message: { role: 'assistant', content: 'hi [EMAIL_1]' } }], n: 1 };
    expect(restoreValue(answer, vault)).toEqual({
      id: 'x',
      choices: [{ message: { role: 'assistant', content: 'hi a@example.com' } }],
      n: 1,
    });
  });
});

describe('policyPiiAction', () => {
  const registry = compiled({
    models: [model('m')],
    endpoints: [endpoint('e', 'm')],
    policies: [policy('private', { pii: { action: 'redact' } }), policy('open')],
  });

  it("reads the pii action of the request's policy", () => {
    expect(policyPiiAction(registry, request({ model: 'private' }))).toBe('redact');
    expect(policyPiiAction(registry, request({ model: 'open' }))).toBeUndefined();
    expect(policyPiiAction(registry, request({ model: 'm' }))).toBeUndefined();
  });
});

describe('restoreStream', () => {
  async function collect(events: StreamEvent[]): Promise<StreamEvent[]> {
    const call = chat('a@example.com and b@example.com');
    const { vault } = redactCall(call, scanCall(call));
    const out: StreamEvent[] = [];
    async function* source() {
      yield* events;
    }
    for await (const e of restoreStream(source(), vault)) out.push(e);
    return out;
  }

  it('restores placeholders split over chunks and flushes a held tail before the finish', async () => {
    const out = await collect([
      { type: 'chunk', chunk: { text: 'to [EMA' } },
      { type: 'chunk', chunk: { index: 1, text: '[EMAIL_2' } },
      { type: 'chunk', chunk: { text: 'IL_1], [' } },
      { type: 'chunk', chunk: { index: 1, text: ']' } },
      { type: 'finish', index: 0, finish_reason: 'stop' },
      { type: 'finish', index: 1, finish_reason: 'stop' },
      { type: 'usage', usage: { prompt_tokens: 1, completion_tokens: 2 } },
    ]);
    expect(out).toEqual([
      { type: 'chunk', chunk: { text: 'to ' } },
      { type: 'chunk', chunk: { text: 'a@example.com, ' } },
      { type: 'chunk', chunk: { index: 1, text: 'b@example.com' } },
      { type: 'chunk', chunk: { text: '[' } },
      { type: 'finish', index: 0, finish_reason: 'stop' },
      { type: 'finish', index: 1, finish_reason: 'stop' },
      { type: 'usage', usage: { prompt_tokens: 1, completion_tokens: 2 } },
    ]);
  });

  it('flushes held text before an error and at the end, and passes other chunk fields on', async () => {
    const out = await collect([
      { type: 'chunk', chunk: { text: 'x [EMAIL_', tool_calls: [{ index: 0 }] } },
      { type: 'error', error: { message: 'cut', type: 'server_error', code: 'upstream_cut' } },
    ]);
    expect(out).toEqual([
      { type: 'chunk', chunk: { tool_calls: [{ index: 0 }], text: 'x ' } },
      { type: 'chunk', chunk: { text: '[EMAIL_' } },
      { type: 'error', error: { message: 'cut', type: 'server_error', code: 'upstream_cut' } },
    ]);
    expect(await collect([{ type: 'chunk', chunk: { index: 2, text: '[EMAIL_1' } }])).toEqual([
      { type: 'chunk', chunk: { index: 2, text: '[EMAIL_1' } },
    ]);
  });
});

describe('jobPrivacy', () => {
  const registry = compiled({
    models: [model('m'), model('p', { data_classifications: ['public', 'internal', 'pii'] })],
    endpoints: [endpoint('e', 'm'), endpoint('ep', 'p')],
    policies: [policy('auto'), policy('private', { pii: { action: 'redact' } })],
  });
  const body = (content: string) => ({
    kind: 'chat' as const,
    parsed: { model: 'auto', messages: [{ role: 'user', content }] },
  });

  it('raises the classification of a job with personal data, and leaves a clean one alone', () => {
    const r = request();
    expect(jobPrivacy(r, body('hello'), registry, undefined)).toBe(r);
    expect(
      jobPrivacy(r, body(`card 4111 1111 1111 1111`), registry, undefined).hints.data_classification,
    ).toBe('pii');
    const invocation = {
      kind: 'invocation' as const,
      parsed: { task: 'chat', payload: { t: 'a@example.com' } },
    };
    expect(jobPrivacy(r, invocation, registry, undefined).hints.data_classification).toBe('pii');
  });

  it('refuses what the policy or the tenant would redact: a job answer cannot be restored', () => {
    expect(() =>
      jobPrivacy(request({ model: 'private' }), body('a@example.com'), registry, undefined),
    ).toThrow(
      'The request contains personal data (1 email) and the policy redacts it, which a job cannot (its answer is stored): remove it, or send the request to the synchronous API.',
    );
    expect(() => jobPrivacy(request(), body('a@example.com'), registry, 'redact')).toThrow(
      "and the tenant's setting redacts it",
    );
    expect(() => jobPrivacy(request(), body('a@example.com'), registry, 'refuse')).toThrow(
      PersonalDataRefusedError,
    );
  });
});
