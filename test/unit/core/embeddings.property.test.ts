// Properties of the embeddings core: base64 is exactly Node's Buffer encoding of the vector's
// little-endian float32 bytes (the reference OpenAI's SDK decodes with), decoding gives the
// vector back at float32 precision; every well-formed input of each kind parses to its inputs,
// and a route request's tokens are the sum and the longest of the per-input counts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkEmbeddingInput,
  decodeEmbeddingBase64,
  EmbeddingsRequestSchema,
  embeddingInputTokens,
  embeddingRouteRequest,
  encodeEmbeddingBase64,
} from '../../../layers/core/src/index.ts';

const float = fc.float({ noNaN: true });
const vector = fc.array(float, { maxLength: 64 });

/** The reference: Node's bytes of a Float32Array, written little-endian explicitly. */
const reference = (v: readonly number[]): string => {
  const b = Buffer.alloc(v.length * 4);
  for (const [i, x] of v.entries()) b.writeFloatLE(x, i * 4);
  return b.toString('base64');
};

describe('base64 float32', () => {
  it('equals Buffer`s little-endian float32 base64', () => {
    fc.assert(fc.property(vector, (v) => encodeEmbeddingBase64(v) === reference(v)));
  });

  it('decodes to the vector rounded to float32 (and -0 stays -0)', () => {
    fc.assert(
      fc.property(vector, (v) => {
        expect(decodeEmbeddingBase64(encodeEmbeddingBase64(v))).toEqual(v.map(Math.fround));
      }),
    );
  });

  it('doubles survive as their float32 rounding', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1, max: 1 }), { maxLength: 32 }), (v) => {
        expect(decodeEmbeddingBase64(encodeEmbeddingBase64(v))).toEqual(v.map(Math.fround));
      }),
    );
  });
});

describe('inputs', () => {
  const text = fc.string({ minLength: 1, maxLength: 12 });
  const token = fc.integer({ min: 0, max: 2_147_483_647 });
  const tokens = fc.array(token, { minLength: 1, maxLength: 16 });

  it('strings, token arrays and arrays of them parse to their inputs', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 40 }), (list) => {
        expect(checkEmbeddingInput(list)).toEqual({ kind: 'text', inputs: list });
      }),
    );
    fc.assert(
      fc.property(tokens, (t) => {
        expect(checkEmbeddingInput(t)).toEqual({ kind: 'tokens', inputs: [t] });
      }),
    );
    fc.assert(
      fc.property(fc.array(tokens, { minLength: 1, maxLength: 20 }), (list) => {
        expect(checkEmbeddingInput(list)).toEqual({ kind: 'tokens', inputs: list });
      }),
    );
  });

  it('an empty string anywhere in a list is refused at its index', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 20 }), fc.nat(), (list, at) => {
        const i = at % (list.length + 1);
        const withEmpty = [...list.slice(0, i), '', ...list.slice(i)];
        expect(checkEmbeddingInput(withEmpty)).toEqual({ path: [i], message: 'must not be an empty string' });
      }),
    );
  });

  it('the route request`s tokens are the sum and the longest of the inputs` counts', () => {
    fc.assert(
      fc.property(fc.array(tokens, { minLength: 1, maxLength: 20 }), (list) => {
        const body = EmbeddingsRequestSchema.parse({ model: 'm', input: list });
        const counts = embeddingInputTokens(body.input);
        expect(counts).toEqual(list.map((t) => t.length));
        const r = embeddingRouteRequest(body, {}, { id: 't' });
        expect(r.prompt_tokens).toBe(counts.reduce((a, b) => a + b, 0));
        expect(r.context_tokens).toBe(Math.max(...counts));
      }),
    );
  });
});
