// Bad input at the edge, through the whole local stack: JSON nested exactly at the limit is
// served (so nothing downstream overflows on it) and one level deeper is a 400 naming the limit
// on every route that takes a body; names that are Object.prototype keys are just names; a bad
// path is a 404 "Invalid URL", never a 500, and unknown routes answer as OpenAI does even with a
// valid key; body limits hold at their exact boundary through the firewall emulation; every
// server the stack starts listens on loopback only.
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { startSqsServer } from '../../infra/local/sqs.server.ts';
import { adminClient, call } from '../support/local-stack.helpers.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ schedules: false, logLevel: 'ERROR' });
});
afterAll(async () => {
  await stack?.stop();
});

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

/** POSTs raw text (the body exactly as given) with the consumer key. */
async function post(path: string, text: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...headers },
    body: text,
  });
  const body = await res.text();
  return {
    status: res.status,
    json: (body ? JSON.parse(body) : undefined) as ErrorBody & Record<string, unknown>,
  };
}

const arrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
/** A chat body whose total nesting is `depth` (an extra field carries the nesting). */
const chat = (depth: number) =>
  `{"model":"auto","messages":[{"role":"user","content":"deep"}],"extra":${arrays(depth - 1)}}`;
const tooDeep = 'The request body is nested more than 64 levels deep (the limit is 64); flatten it.';

describe('JSON nesting', () => {
  it('serves a chat body nested exactly 64 deep, through to the upstream and back', async () => {
    const ok = await post('/v1/chat/completions', chat(64));
    expect(ok.status).toBe(200);
    expect(ok.json.object).toBe('chat.completion');
  });

  it.each([
    ['/v1/chat/completions', chat(65)],
    ['/v1/route', chat(65)],
    ['/v1/jobs', chat(65)],
    ['/v1/invocations', `{"model":"classify","task":"sentiment","payload":${arrays(64)}}`],
    ['/v1/chat/completions', `{"model":"auto","messages":[{"role":"user","content":${arrays(10_000)}}]}`],
    [
      '/v1/chat/completions',
      `{"model":"auto","messages":[{"role":"assistant","tool_calls":${arrays(10_000)}}]}`,
    ],
    ['/v1/invocations', `{"model":"classify","task":"sentiment","payload":${arrays(10_000)}}`],
    ['/v1/jobs', `{"model":"auto","messages":${arrays(10_000)}}`],
  ])('%s: one level over the limit (or 10,000) is a 400 naming it', async (path, text) => {
    const res = await post(path, text);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      message: tooDeep,
      type: 'invalid_request_error',
      code: 'json_too_deep',
    });
  });

  it('accepts an invocation payload and a job nested exactly 64 deep', async () => {
    const invocation = await post(
      '/v1/invocations',
      `{"model":"classify","task":"sentiment","payload":{"text":"good","x":${arrays(62)}}}`,
    );
    expect(invocation.status).toBe(200);
    const job = await post('/v1/jobs', chat(64));
    expect(job.status).toBe(202);
    const stored = await call<{ status: string }>(
      'GET',
      `${stack.url}/v1/jobs/${String(job.json.id)}`,
      stack.apiKey,
    );
    expect(stored.status).toBe(200);
  });
});

describe('names that are Object.prototype keys', () => {
  const proto = JSON.parse(
    '{"constructor":"a","__proto__":"b","tostring":"c","hasownproperty":"d"}',
  ) as Record<string, string>;

  it('in headers and the query string are ordinary names: 200, not a 500 or a hint error', async () => {
    const models = await fetch(
      `${stack.url}/v1/models?toString=1&__proto__=2&constructor=3&hasOwnProperty=4`,
      {
        headers: { ...proto, authorization: `Bearer ${stack.apiKey}` },
      },
    );
    expect(models.status).toBe(200);
    const completion = await post('/v1/chat/completions', chat(2), proto);
    expect(completion.status).toBe(200);
    const admin = await fetch(`${stack.url}/admin/health?constructor=1`, {
      headers: { ...proto, authorization: `Bearer ${stack.adminKey}` },
    });
    expect(admin.status).toBe(200);
  });
});

describe('paths', () => {
  const get = (path: string, key = stack.apiKey) => call<ErrorBody>('GET', `${stack.url}${path}`, key);

  it('answers an unknown route 404 Invalid URL in the OpenAI shape, even with a valid key', async () => {
    const res = await post('/v1/xyz', '{}');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/xyz)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    const wrongMethod = await get('/v1/chat/completions');
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.body.error.message).toBe('Invalid URL (GET /v1/chat/completions)');
  });

  it('does not route //host/... nor resolve dot segments', async () => {
    for (const path of ['//evil.example/v1/models', '/v1/../v1/models', '/v1//models']) {
      const res = await new Promise<number>((resolve, reject) => {
        const socket = connect(Number(new URL(stack.url).port), '127.0.0.1', () => {
          socket.write(
            `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${stack.apiKey}\r\nConnection: close\r\n\r\n`,
          );
        });
        let text = '';
        socket.on('data', (d) => {
          text += d.toString();
        });
        socket.on('end', () => resolve(Number(text.split(' ')[1])));
        socket.on('error', reject);
      });
      expect(res).toBe(404);
    }
  });

  it('answers malformed percent-escapes in path parameters 404, and decodes good ones once', async () => {
    const admin = adminClient(stack);
    for (const path of ['/admin/endpoints/%ZZ', '/admin/endpoints/%', '/admin/policies/%E2%82']) {
      const res = await admin.put<ErrorBody>(path, { state: 'disabled' });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe(`Invalid URL (PUT ${path})`);
    }
    const percent = await admin.get<ErrorBody>('/admin/rollouts/%25');
    expect(percent.status).toBe(404);
    expect(percent.body.error.message).toContain('"%"');
    expect((await get('/v1/jobs/%ZZ')).status).toBe(404);
    const job = await get('/v1/jobs/job%5F1');
    expect(job.status).toBe(404);
    expect(job.body.error).toMatchObject({ code: 'job_not_found', message: 'No job "job_1".' });
  });
});

describe('body limits, at the exact boundary', () => {
  /** A valid chat body padded with whitespace to exactly `bytes`. */
  const sized = (bytes: number, path = '/v1/chat/completions') => {
    const core = '{"model":"auto","messages":[{"role":"user","content":"pad"}]';
    return post(path, `${core}${' '.repeat(bytes - core.length - 1)}}`);
  };

  it('takes a 1 MiB chat body and refuses one byte more with a 413 naming the limit', async () => {
    expect((await sized(1_048_576)).status).toBe(200);
    const over = await sized(1_048_577);
    expect(over.status).toBe(413);
    expect(over.json.error).toEqual({
      message: 'The request body is larger than 1048576 bytes (1 MiB), the limit for this route.',
      type: 'invalid_request_error',
      param: null,
      code: 'payload_too_large',
    });
  });

  it('takes a 256 KiB job and refuses one byte more', async () => {
    expect((await sized(262_144, '/v1/jobs')).status).toBe(202);
    const over = await sized(262_145, '/v1/jobs');
    expect(over.status).toBe(413);
    expect(over.json.error.message).toBe(
      'The request body is larger than 262144 bytes (256 KiB), the limit for this route.',
    );
  });

  it('refuses a chunked body (no Content-Length) with a 411', async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"model":"auto","messages":[]}'));
        controller.close();
      },
    });
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(411);
    expect(((await res.json()) as ErrorBody).error.code).toBe('length_required');
  });
});

describe('local servers', () => {
  const ports = () => Object.entries(stack.endpoints).map(([name, url]) => [name, new URL(url)] as const);
  const external = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && a.family === 'IPv4')
    .map((a) => a?.address as string);

  it('listen on loopback only: DynamoDB, SQS, Step Functions and the simulators', async () => {
    for (const [, url] of ports()) expect(url.hostname).toBe('127.0.0.1');
    for (const address of external) {
      for (const [name, url] of ports()) {
        const outcome = await new Promise<string>((resolve) => {
          const socket = connect(Number(url.port), address);
          socket.once('connect', () => {
            socket.destroy();
            resolve('connected');
          });
          socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        });
        expect(`${name} on ${address}: ${outcome}`).toBe(`${name} on ${address}: ECONNREFUSED`);
      }
    }
  });

  it('the SQS server reports a loopback address, not 0.0.0.0', async () => {
    const sqs = await startSqsServer({ region: 'us-east-1' });
    try {
      expect(sqs.address).toBe('127.0.0.1');
    } finally {
      await sqs.stop();
    }
  });
});
