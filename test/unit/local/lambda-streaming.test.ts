// The local Lambda runtime's `awslambda` global, as Lambda's Node.js runtime provides it: handlers
// are marked as streaming, and HttpResponseStream.from writes the JSON prelude then 8 NUL bytes.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  HTTP_PRELUDE_DELIMITER,
  installAwsLambdaGlobal,
  STREAMING_HANDLER,
} from '../../../infra/local/lambda-runtime.ts';

interface AwsLambdaGlobal {
  streamifyResponse<F extends object>(fn: F): F;
  HttpResponseStream: { from(s: PassThrough, prelude: unknown): PassThrough };
  InvokeStore?: unknown;
}

describe('installAwsLambdaGlobal', () => {
  it('keeps what other libraries put on the global, and installs once', () => {
    const g = globalThis as { awslambda?: Record<string, unknown> };
    g.awslambda = { InvokeStore: 'kept' };
    installAwsLambdaGlobal();
    const first = (g.awslambda as unknown as AwsLambdaGlobal).streamifyResponse;
    installAwsLambdaGlobal();
    expect(g.awslambda.InvokeStore).toBe('kept');
    expect((g.awslambda as unknown as AwsLambdaGlobal).streamifyResponse).toBe(first);
  });

  it('marks streamified handlers and writes the HTTP prelude before the body', () => {
    installAwsLambdaGlobal();
    const awslambda = (globalThis as unknown as { awslambda: AwsLambdaGlobal }).awslambda;
    const handler = awslambda.streamifyResponse(async () => undefined);
    expect((handler as unknown as Record<symbol, unknown>)[STREAMING_HANDLER]).toBe('response');
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    awslambda.HttpResponseStream.from(out, { statusCode: 201, headers: { a: 'b' } }).write('body');
    expect(Buffer.concat(chunks).toString('latin1')).toBe(
      `{"statusCode":201,"headers":{"a":"b"}}${'\u0000'.repeat(8)}body`,
    );
    expect(HTTP_PRELUDE_DELIMITER).toEqual(Buffer.alloc(8));
  });
});
