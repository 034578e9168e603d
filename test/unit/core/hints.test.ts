// Routing hints from headers and the body object: parsing, validation errors naming the header
// or field, and the merge rule (body wins field by field).
import { describe, expect, it } from 'vitest';
import { hintsFromHeaders, InvalidRequestError, mergeHints } from '../../../layers/core/src/index.ts';

function invalid(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error('expected InvalidRequestError');
}

describe('hintsFromHeaders', () => {
  it('reads every hint header, in any case, and ignores other headers', () => {
    expect(
      hintsFromHeaders({
        'X-Switchyard-Task': 'summarization',
        'x-switchyard-domain': 'legal',
        'x-switchyard-priority': 'high',
        'x-switchyard-max-cost-usd': ' 0.02 ',
        'x-switchyard-max-latency-ms': '1500',
        'x-switchyard-data-classification': 'phi',
        'x-switchyard-region': 'eu-west-1',
        'x-switchyard-sticky-key': 'conv-9',
        'x-switchyard-ensemble': 'true',
        authorization: 'Bearer x',
        'x-other': undefined,
      }),
    ).toEqual({
      task: 'summarization',
      domain: 'legal',
      priority: 'high',
      max_cost_usd: 0.02,
      max_latency_ms: 1500,
      data_classification: 'phi',
      region: 'eu-west-1',
      sticky_key: 'conv-9',
      ensemble: true,
    });
  });

  it('rejects a non-positive or non-numeric cap, naming the header', () => {
    for (const value of ['abc', '-1', '0', '', 'Infinity']) {
      const err = invalid(() => hintsFromHeaders({ 'x-switchyard-max-cost-usd': value }));
      expect(err.message).toBe('x-switchyard-max-cost-usd: must be a positive number');
      expect(err.param).toBe('x-switchyard-max-cost-usd');
      expect(err.status).toBe(400);
    }
  });

  it('rejects bad enum values with the schema message, naming the header', () => {
    const err = invalid(() => hintsFromHeaders({ 'x-switchyard-priority': 'urgent' }));
    expect(err.param).toBe('x-switchyard-priority');
    expect(err.message.startsWith('x-switchyard-priority: ')).toBe(true);
    expect(invalid(() => hintsFromHeaders({ 'x-switchyard-data-classification': 'secret' })).param).toBe(
      'x-switchyard-data-classification',
    );
    expect(invalid(() => hintsFromHeaders({ 'x-switchyard-task': 'Not A Task' })).param).toBe(
      'x-switchyard-task',
    );
  });

  it('accepts the ensemble forms: booleans, a size, a combine mode, both, or JSON', () => {
    const e = (v: string) => hintsFromHeaders({ 'x-switchyard-ensemble': v }).ensemble;
    expect(e('off')).toBe(false);
    expect(e('1')).toBe(true);
    expect(e('3')).toEqual({ size: 3 });
    expect(e('majority-vote')).toEqual({ combine: 'majority-vote' });
    expect(e('4, best-score')).toEqual({ size: 4, combine: 'best-score' });
    expect(e('{"size":2,"combine":"first-success"}')).toEqual({ size: 2, combine: 'first-success' });
  });

  it('rejects bad ensemble values, naming the header', () => {
    for (const v of ['maybe', '9', '{oops', '{"size":2,"x":1}']) {
      expect(invalid(() => hintsFromHeaders({ 'x-switchyard-ensemble': v })).param).toBe(
        'x-switchyard-ensemble',
      );
    }
  });
});

describe('mergeHints', () => {
  it('lets the body object win field by field and keeps other header fields', () => {
    expect(
      mergeHints(
        { priority: 'low', max_cost_usd: 0.5 },
        { 'x-switchyard-priority': 'high', 'x-switchyard-region': 'eu-west-1' },
      ),
    ).toEqual({ priority: 'low', max_cost_usd: 0.5, region: 'eu-west-1' });
  });

  it('returns the header hints without a body object, and {} with neither', () => {
    expect(mergeHints(undefined, { 'x-switchyard-task': 'chat' })).toEqual({ task: 'chat' });
    expect(mergeHints(undefined)).toEqual({});
  });

  it('validates the body object, naming the field', () => {
    const err = invalid(() => mergeHints({ max_cost_usd: -2 }, {}));
    expect(err.param).toBe('x-switchyard.max_cost_usd');
    expect(err.message.startsWith('x-switchyard.max_cost_usd: ')).toBe(true);
    expect(invalid(() => mergeHints({ colour: 'blue' })).param).toBe('x-switchyard.colour');
    expect(invalid(() => mergeHints({ ensemble: { size: 9 } })).param).toBe('x-switchyard.ensemble.size');
    expect(invalid(() => mergeHints('fast')).param).toBe('x-switchyard');
  });
});

describe('header names that are Object.prototype keys', () => {
  // JSON.parse makes `__proto__` an own key, as the Lambda runtime does with event headers.
  const protoHeaders = JSON.parse(
    '{"constructor":"x","__proto__":"y","toString":"z","hasOwnProperty":"w","valueOf":"v"}',
  ) as Record<string, string>;

  it('are not hints: no error, no hint', () => {
    expect(hintsFromHeaders(protoHeaders)).toEqual({});
    expect(mergeHints(undefined, { ...protoHeaders, 'x-switchyard-priority': 'low' })).toEqual({
      priority: 'low',
    });
  });

  it('in the body object are named as unknown fields', () => {
    const err = invalid(() => mergeHints(JSON.parse('{"constructor":"x"}')));
    expect(err.param).toBe('x-switchyard.constructor');
  });
});
