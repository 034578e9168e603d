// requestJson (endpoint-kinds.ts): the request body's JSON, built before anything is sent; a body
// the serialiser cannot handle because of its size or depth is the caller's 400, a cycle or a
// BigInt (only our own code can put those there) stays the defect it is.
import { requestJson } from '@switchyard/adapters';
import { InvalidRequestError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

describe('requestJson', () => {
  it('serialises a body as JSON.stringify does', () => {
    expect(requestJson({ model: 'm', messages: [{ role: 'user', content: 'é "q"' }] })).toBe(
      '{"model":"m","messages":[{"role":"user","content":"é \\"q\\""}]}',
    );
  });

  it('turns a body nested too deep to serialise into the caller`s InvalidRequestError', () => {
    const deep = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) as unknown;
    let err: unknown;
    try {
      requestJson({ extra: deep });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(err).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'request_not_serialisable',
      param: null,
      message:
        'The request cannot be sent upstream: its JSON is nested too deeply or is too large to serialise.',
    });
    expect((err as Error).cause).toBeInstanceOf(RangeError);
  });

  it('lets a cycle or a BigInt through as the TypeError it is (our defect, not the caller`s)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => requestJson(cyclic)).toThrow(TypeError);
    expect(() => requestJson({ n: 1n })).toThrow(TypeError);
  });
});
