// Personal data end to end on a local stack (issue 12), with the official `openai` client:
// - secure default: a prompt with a card number is served only by the model allowed for `pii`
//   (every time), and is a 400 under a policy with no such model; the dry run says why, in types
//   and counts;
// - a redacting policy: the upstream (a recording server here, `simulate: false`) is sent typed
//   placeholders, and the client reads its own values, buffered and streamed (the upstream streams
//   in 3-character pieces, so placeholders arrive split);
// - a tenant whose record says `pii_action: redact` (PATCHed through the admin API) gets every
//   request redacted, and one saying `refuse` a 400 naming types and counts;
// - a durable job is classified like a request, and refused where its policy would redact;
// - no usage record holds a value.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDbUsageStore } from '@switchyard/adapters';
import type OpenAI from 'openai';
import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT, type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import {
  adminClient,
  call,
  localClients,
  named,
  openAiClient,
  registryFile,
} from '../support/local-stack.helpers.ts';

const CARD = '4111 1111 1111 1111';
const EMAIL = 'jane.doe@example.com';

/** What the recording upstream was sent: the last user message of each chat request. */
const received: string[] = [];
let upstream: Server;

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((ok) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => ok(JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>));
  });
}

/** An OpenAI-compatible chat server that echoes the last user message and records it. */
function startUpstream(): Promise<string> {
  upstream = createServer(async (req, res) => {
    const body = await readBody(req);
    const messages = body.messages as Array<{ role: string; content: string }>;
    const said = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
    received.push(said);
    const text = `echo: ${said}`;
    const frame = (delta: unknown, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'rec', object: 'chat.completion.chunk', created: 0, model: 'rec', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame({ role: 'assistant', content: '' }, null));
      for (let i = 0; i < text.length; i += 3) res.write(frame({ content: text.slice(i, i + 3) }, null));
      res.write(frame({}, 'stop'));
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'rec',
        object: 'chat.completion',
        created: 0,
        model: 'rec',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      }),
    );
  });
  return new Promise((ok) =>
    upstream.listen(0, '127.0.0.1', () =>
      ok(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`),
    ),
  );
}

const registry = (recorder: string) => `
models:
  - { id: open-llm, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1], quality: { chat: 0.9 } }
  - { id: private-llm, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1], quality: { chat: 0.5 }, data_classifications: [public, internal, pii] }
  - { id: echo-llm, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1] }
endpoints:
  - { id: sim-open, model: open-llm, version: v1, kind: openai-http, target: "http://open.internal/v1", region: us-east-1 }
  - { id: sim-private, model: private-llm, version: v1, kind: openai-http, target: "http://private.internal/v1", region: us-east-1 }
  - { id: recorder, model: echo-llm, version: v1, kind: openai-http, target: "${recorder}", region: us-east-1 }
policies:
  - { name: auto, match: { model: auto }, models: [open-llm, private-llm], strategy: quality-first, fallback: { count: 1, mode: cross-model } }
  - { name: public-only, match: { model: public-only }, models: [open-llm] }
  - { name: redacted, match: { model: redacted }, models: [echo-llm], fallback: { count: 0 }, pii: { action: redact } }
local:
  defaults: { latency_ms: 1, jitter_ms: 0 }
  endpoints:
    recorder: { simulate: false }
`;

let stack: LocalStack;
let client: OpenAI;
let admin: ReturnType<typeof adminClient>;

beforeAll(async () => {
  const recorder = await startUpstream();
  stack = await startLocalStack({
    registryFile: registryFile(registry(recorder)),
    schedules: false,
    usagePlan: false,
    logLevel: 'SILENT',
    env: { TENANT_CACHE_TTL_MS: '0', API_KEY_CACHE_TTL_MS: '0' },
  });
  client = openAiClient(stack);
  admin = adminClient(stack);
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((ok) => upstream?.close(ok));
});

const ask = (model: string, content: string, key?: string) => {
  const c = key ? openAiClient({ ...stack, apiKey: key } as LocalStack) : client;
  return c.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();
};

async function streamed(model: string, content: string): Promise<{ text: string; pii: string | null }> {
  const { data, response } = await client.chat.completions
    .create({ model, messages: [{ role: 'user', content }], stream: true })
    .withResponse();
  let text = '';
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  return { text, pii: response.headers.get('x-switchyard-pii') };
}

describe('personal data, secure by default', () => {
  it('serves a prompt with a card number only by the model allowed for pii, every time', async () => {
    const served = new Set<string | null>();
    for (let i = 0; i < 8; i++) {
      const { data, response } = await ask('auto', `Refund order ${i} to card ${CARD}`);
      served.add(response.headers.get('x-switchyard-model'));
      expect(response.headers.get('x-switchyard-pii')).toBe('classify; 1 payment_card; classification pii');
      expect(data.choices[0]?.message.content).toBe(`[sim-private] echo: Refund order ${i} to card ${CARD}`);
    }
    expect([...served]).toEqual(['private-llm@v1']);
    // The same request without the card goes to the better model.
    const { response } = await ask('auto', 'Refund order 1 to my card');
    expect(response.headers.get('x-switchyard-model')).toBe('open-llm@v1');
    expect(response.headers.get('x-switchyard-pii')).toBeNull();
  });

  it('is a 400 under a policy with no model allowed for pii, naming no value', async () => {
    const error = await ask('public-only', `card ${CARD}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    const e = error as APIError;
    expect(e.status).toBe(400);
    expect(e.code).toBe('no_candidate');
    expect(JSON.stringify(e.error)).not.toContain('4111');
  });

  it('the dry run explains the classification in types and counts', async () => {
    const out = await call<{ plan: { primary: { endpoint: string } }; explanation: { privacy: unknown } }>(
      'POST',
      `${stack.url}/v1/route`,
      stack.apiKey,
      { model: 'auto', messages: [{ role: 'user', content: `mail ${EMAIL}, card ${CARD}` }] },
    );
    expect(out.status).toBe(200);
    expect(out.body.plan.primary.endpoint).toBe('sim-private');
    expect(out.body.explanation.privacy).toEqual({
      action: 'classify',
      source: 'default',
      detected: { email: 1, payment_card: 1 },
      classification: 'pii',
    });
    expect(JSON.stringify(out.body)).not.toContain(EMAIL);
  });
});

describe('personal data under a redacting policy', () => {
  it('sends the upstream placeholders and gives the client its own values, buffered', async () => {
    received.length = 0;
    const { data, response } = await ask('redacted', `Email ${EMAIL} the receipt for card ${CARD}`);
    expect(received).toEqual(['Email [EMAIL_1] the receipt for card [PAYMENT_CARD_1]']);
    expect(data.choices[0]?.message.content).toBe(`echo: Email ${EMAIL} the receipt for card ${CARD}`);
    expect(response.headers.get('x-switchyard-pii')).toBe('redact; 1 email, 1 payment_card');
  });

  it('restores a stream whose placeholders arrive split over chunks', async () => {
    received.length = 0;
    const out = await streamed('redacted', `Email ${EMAIL} the receipt for card ${CARD}`);
    expect(received).toEqual(['Email [EMAIL_1] the receipt for card [PAYMENT_CARD_1]']);
    expect(out.text).toBe(`echo: Email ${EMAIL} the receipt for card ${CARD}`);
    expect(out.pii).toBe('redact; 1 email, 1 payment_card');
  });

  it('leaves text that only looks like a placeholder alone', async () => {
    received.length = 0;
    const { data } = await ask('redacted', `Template [EMAIL_1] goes to ${EMAIL}`);
    expect(received).toEqual(['Template [EMAIL_1] goes to [EMAIL_2]']);
    expect(data.choices[0]?.message.content).toBe(`echo: Template [EMAIL_1] goes to ${EMAIL}`);
  });
});

describe('personal data in durable jobs', () => {
  it('refuses a job no pii model could serve, and one its policy would redact (no vault outlives a request)', async () => {
    const job = (model: string) =>
      call<{ error: { code: string; message: string } }>('POST', `${stack.url}/v1/jobs`, stack.apiKey, {
        model,
        messages: [{ role: 'user', content: `card ${CARD}` }],
      });
    const unroutable = await job('public-only');
    expect(unroutable.status).toBe(400);
    expect(unroutable.body.error.code).toBe('no_candidate');
    const redacting = await job('redacted');
    expect(redacting.status).toBe(400);
    expect(redacting.body.error.code).toBe('personal_data_refused');
    expect(redacting.body.error.message).toContain('which a job cannot');
    expect(JSON.stringify([unroutable.body, redacting.body])).not.toContain('4111');
    expect((await job('auto')).status).toBe(202);
  });
});

describe("a tenant's pii_action", () => {
  it('redacts every request of a tenant that requires it, and refuses for one that says refuse', async () => {
    expect((await admin.post('/admin/tenants', { id: 'private-co', name: 'Private Co' })).status).toBe(201);
    const key = (await admin.post<{ key: string }>('/admin/tenants/private-co/keys', {})).body.key;
    const patch = (body: unknown) =>
      call('PATCH', `${stack.url}/admin/tenants/private-co`, stack.adminKey, body);
    expect((await patch({ pii_action: 'redact' })).body).toMatchObject({ pii_action: 'redact' });
    // Redacted, the request is no longer pii: the better model serves it, and the simulator's
    // echo of the placeholder comes back restored.
    const { data, response } = await ask('auto', `card ${CARD}`, key);
    expect(response.headers.get('x-switchyard-model')).toBe('open-llm@v1');
    expect(response.headers.get('x-switchyard-pii')).toBe('redact; 1 payment_card');
    expect(data.choices[0]?.message.content).toBe(`[sim-open] echo: card ${CARD}`);

    expect((await patch({ pii_action: 'refuse' })).status).toBe(200);
    const error = (await ask('auto', `card ${CARD}`, key).catch((e: unknown) => e)) as APIError;
    expect(error.status).toBe(400);
    expect(error.code).toBe('personal_data_refused');
    expect(error.message).toContain('1 payment_card');
    expect(error.message).not.toContain('4111');
    // Without personal data the tenant is served as ever.
    expect((await ask('auto', 'hello', key)).response.headers.get('x-switchyard-model')).toBe('open-llm@v1');
  });

  it('writes no value into any usage record', async () => {
    const clients = localClients(stack);
    try {
      const store = new DynamoDbUsageStore({
        client: clients.doc,
        tableName: named(stack.resources.tables, 'usage'),
      });
      const now = Date.now();
      const records = [
        ...(await store.query(LOCAL_TENANT.id, now - 3_600_000, now + 60_000)),
        ...(await store.query('private-co', now - 3_600_000, now + 60_000)),
      ];
      expect(records.length).toBeGreaterThan(10);
      const text = JSON.stringify(records);
      expect(text).not.toContain('4111');
      expect(text).not.toContain(EMAIL);
    } finally {
      clients.destroy();
    }
  });
});
