// The edge's JSON bounds: the nesting depth read off the raw text (boundaries, strings and
// escapes, wide-but-shallow, stopping early), the parse that refuses too-deep bodies with a 400
// naming the limit, the size measure that replaces JSON.stringify in the token estimate (equal
// to it for every JSON value, iterative at any depth), and the 413 message.
import { InvalidRequestError, PayloadTooLargeError } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bodyTooLargeError,
  bodyTooLargeMessage,
  describeBytes,
  jsonLength,
  jsonTextDepth,
  MAX_BODY_BYTES,
  MAX_JOB_BODY_BYTES,
  MAX_JSON_DEPTH,
  parseRequestJson,
} from '../../../layers/core/src/json-limits.ts';

const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
/** Alternating objects and arrays, `depth` levels, with a string leaf. */
const mixed = (depth: number) => {
  let text = '"leaf"';
  for (let i = 0; i < depth; i++) text = i % 2 === 0 ? `[${text}]` : `{"k":${text}}`;
  return text;
};

describe('the limits', () => {
  it('are 64 levels, 1 MiB for the API and 256 KiB for a job', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(MAX_BODY_BYTES).toBe(1_048_576);
    expect(MAX_JOB_BODY_BYTES).toBe(262_144);
  });
});

describe('jsonTextDepth', () => {
  it.each([
    ['1', 0],
    ['"x"', 0],
    ['null', 0],
    ['{}', 1],
    ['[1,2,3]', 1],
    ['[[1],[2,[3]]]', 3],
    ['{"a":{"b":[{}]}}', 4],
  ])('%s is %i deep', (text, depth) => {
    expect(jsonTextDepth(text)).toBe(depth);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonTextDepth('["[[[{{{"]')).toBe(1);
    expect(jsonTextDepth('["\\"[[[", "]]]"]')).toBe(1);
    // An escaped backslash ends before the quote: the string closes and the bracket counts.
    expect(jsonTextDepth('["\\\\", [[]]]')).toBe(3);
  });

  it('measures deep arrays, deep objects and mixed nesting alike', () => {
    expect(jsonTextDepth(arrays(64))).toBe(64);
    expect(jsonTextDepth(objects(64))).toBe(64);
    expect(jsonTextDepth(mixed(64))).toBe(64);
  });

  it('is 1 for a wide but shallow body', () => {
    expect(jsonTextDepth(`[${'1,'.repeat(200_000)}1]`)).toBe(1);
    expect(jsonTextDepth(`{${Array.from({ length: 10_000 }, (_, i) => `"k${i}":[]`).join(',')}}`)).toBe(2);
  });

  it('stops at limit + 1 on a body nested far deeper', () => {
    expect(jsonTextDepth(arrays(100_000), 64)).toBe(65);
    expect(jsonTextDepth(arrays(65), 64)).toBe(65);
    expect(jsonTextDepth(arrays(64), 64)).toBe(64);
  });
});

describe('parseRequestJson', () => {
  it.each([
    ['arrays', arrays],
    ['objects', objects],
    ['mixed', mixed],
  ])('accepts %s exactly 64 deep and refuses 65 with a 400 naming the limit', (_, make) => {
    expect(jsonTextDepth(JSON.stringify(parseRequestJson(make(64))))).toBe(64);
    const err = (() => {
      try {
        parseRequestJson(make(65));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(err).toMatchObject({ status: 400, code: 'json_too_deep', param: null });
    expect((err as Error).message).toBe(
      'The request body is nested more than 64 levels deep (the limit is 64); flatten it.',
    );
  });

  it('refuses 10,000 levels with the same 400, not a stack overflow', () => {
    expect(() => parseRequestJson(`{"model":"m","messages":${arrays(10_000)}}`)).toThrow(/64 levels/);
  });

  it('takes another limit', () => {
    expect(() => parseRequestJson(arrays(3), 2)).toThrow(/more than 2 levels/);
    expect(parseRequestJson(arrays(2), 2)).toEqual([[]]);
  });

  it('is a 400 for text that is not JSON', () => {
    expect(() => parseRequestJson('{"model":')).toThrow(
      new InvalidRequestError('Request body is not valid JSON.'),
    );
  });
});

describe('jsonLength', () => {
  it('is JSON.stringify(value).length for every JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonLength(value)).toBe(JSON.stringify(value).length);
      }),
      { numRuns: 300 },
    );
  });

  it('counts escapes, lone surrogates and the values stringify drops or nulls', () => {
    const value = {
      quote: 'a"b\\c\n\t\u0001',
      pair: '😀',
      lone: '\ud800x\udc00',
      gone: undefined,
      list: [undefined, () => 1, null, Number.NaN, -0, 1e21],
    };
    expect(jsonLength(value)).toBe(JSON.stringify(value).length);
    expect(jsonLength(undefined)).toBe(0);
  });

  it('measures 10,000 levels without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(jsonLength(deep)).toBe(20_001);
  });
});

describe('the 413', () => {
  it('names the limit in bytes and binary units', () => {
    expect(describeBytes(1_048_576)).toBe('1048576 bytes (1 MiB)');
    expect(describeBytes(262_144)).toBe('262144 bytes (256 KiB)');
    expect(describeBytes(1000)).toBe('1000 bytes');
    expect(bodyTooLargeMessage(1_048_576)).toBe(
      'The request body is larger than 1048576 bytes (1 MiB), the limit for this route.',
    );
    const err = bodyTooLargeError(262_144);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toMatchObject({ status: 413, code: 'payload_too_large' });
  });
});
