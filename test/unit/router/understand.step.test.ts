// The router's understand step: the request gets the features of the call's prompt, read with the
// registry's domain lexicons; nothing else of the request changes and the caller's object is not
// modified.
import { describe, expect, it } from 'vitest';
import { understandStep } from '../../../functions/router/steps/understand.step.ts';
import type { InferenceCall } from '../../../layers/core/src/index.ts';
import { compiled, request } from '../core/fixtures.ts';

const registry = compiled({ domains: [{ name: 'legal', terms: { plaintiff: 2 } }] });
const call = (content: string): InferenceCall =>
  ({ kind: 'chat', body: { model: 'smart', messages: [{ role: 'user', content }] } }) as InferenceCall;

describe('understandStep', () => {
  it("adds the prompt's features, domains from the registry's lexicons", () => {
    const asked = request({ prompt_tokens: 12 });
    const out = understandStep(asked, call('Who is the plaintiff?'), registry);
    expect(out.features).toMatchObject({
      tokens: 12,
      chars: 21,
      turns: 1,
      questions: 1,
      // plaintiff 2 over 4 words: 1 - exp(-2 / 1.02).
      domains: { legal: 0.859 },
      domain: 'legal',
    });
    const { features: _f, ...rest } = out;
    expect(rest).toEqual(asked);
    expect(asked.features).toBeUndefined();
  });

  it('a registry without domains scores none', () => {
    const out = understandStep(request(), call('Who is the plaintiff?'), compiled({}));
    expect(out.features?.domains).toEqual({});
    expect(out.features?.domain).toBeUndefined();
  });
});
