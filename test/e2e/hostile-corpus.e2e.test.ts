// The hostile corpus (fixtures/hostile-corpus.cases.ts) against one local stack: every row is
// sent as raw HTTP (targets, header lines and bodies byte for byte) with a bounded wait, and every
// answer must be the row's status; a 4xx in the OpenAI error shape whose message or param names
// the problem, or a 2xx whose body is right; never a 5xx, a stack trace or an internal name
// (source paths, error class names, table and queue names, ARNs), never a hang. The counts by
// class are printed and asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { DynamoDbApiKeyStore, DynamoDbHealthStore, issueApiKey } from '../../layers/adapters/src/index.ts';
import { adminClient, call, named } from '../support/local-stack.helpers.ts';
import { type RawResponse, rawRequest } from '../support/raw-http.ts';
import { CORPUS, type CorpusCase, type CorpusClass, chat } from './fixtures/hostile-corpus.cases.ts';
import { JobsClient } from './jobs-support.ts';

let stack: LocalStack;
/** The stack's tables through the real SDK clients. */
let tables: JobsClient;
const keys = { consumer: [] as string[], other: '', disabled: '', admin: '' };
const jobs = { own: '', other: '' };
/** Placeholders phase-2 rows saved (`saves`). */
const saved = new Map<string, string>();

beforeAll(async () => {
  stack = await startLocalStack({
    schedules: false,
    logLevel: 'SILENT',
    // Webhook URLs are checked as in AWS (no loopback allowance); registry writes show at once.
    // Outcomes and router circuits are written at once, so the health the test reads is complete.
    env: { JOB_WEBHOOK_ALLOW_LOCAL: 'false', REGISTRY_CACHE_TTL_MS: '0', OUTCOME_FLUSH_MS: '0' },
  });
  // Tenant `local` gets four keys, so no key comes near the usage plan's burst of 100.
  keys.consumer = [stack.apiKey, ...(await Promise.all([1, 2, 3].map(() => stack.addConsumerKey('local'))))];
  keys.other = await stack.addConsumerKey('acme', { allowed_models: ['llama-3-8b'] });
  keys.admin = stack.adminKey;
  tables = new JobsClient(stack);
  const disabled = issueApiKey({ tenant: 'local', name: 'disabled', now: Date.now() });
  await new DynamoDbApiKeyStore({
    client: tables.aws.doc,
    tableName: named(stack.resources.tables, 'keys'),
  }).put({ ...disabled.record, disabled: true });
  keys.disabled = disabled.key;
  // Tenant acme's own alias, which no other tenant may see or use.
  const gold = await adminClient(stack).put('/admin/policies/acme-gold', {
    name: 'acme-gold',
    match: { model: 'gold', tenant: 'acme' },
    models: ['llama-3-8b'],
  });
  expect(gold.status).toBe(201);
  const jobUrl = `${stack.url}/v1/jobs`;
  const own = await call<{ id: string }>(
    'POST',
    jobUrl,
    stack.apiKey,
    chat({ messages: [{ role: 'user', content: 'idempotent' }], priority: 'low' }),
    {
      'idempotency-key': 'corpus-idem',
    },
  );
  const other = await call<{ id: string }>('POST', jobUrl, keys.other, chat({ priority: 'low' }));
  expect([own.status, other.status]).toEqual([202, 202]);
  jobs.own = own.body.id;
  jobs.other = other.body.id;
});

afterAll(async () => {
  tables?.destroy();
  await stack?.stop();
});

/** The row's placeholders replaced by this stack's keys and jobs; `n` picks the consumer key. */
function fill(text: string, n: number): string {
  let out = text;
  for (const [name, value] of saved) out = out.replaceAll(name, value);
  return out
    .replaceAll('$KEY', keys.consumer[n % keys.consumer.length] as string)
    .replaceAll('$OTHERJOB', jobs.other)
    .replaceAll('$OTHER', keys.other)
    .replaceAll('$ADMIN', keys.admin)
    .replaceAll('$DISABLED', keys.disabled)
    .replaceAll('$JOB', jobs.own);
}

function send(c: CorpusCase, n: number): Promise<RawResponse> {
  const auth =
    c.auth ?? (c.path.startsWith('/v1') ? 'consumer' : c.path.startsWith('/admin') ? 'admin' : 'none');
  const key = { consumer: '$KEY', other: '$OTHER', admin: '$ADMIN', disabled: '$DISABLED', none: '' }[auth];
  const lines: Array<readonly [string, string]> = [];
  if (!c.raw && key) lines.push(['Authorization', `Bearer ${key}`]);
  if (!c.raw && c.body !== undefined) lines.push(['Content-Type', 'application/json']);
  for (const [k, v] of c.headers ?? []) lines.push([k, v]);
  const body =
    c.body === undefined
      ? undefined
      : Buffer.isBuffer(c.body)
        ? c.body
        : fill(typeof c.body === 'string' ? c.body : JSON.stringify(c.body), n);
  return rawRequest(Number(new URL(stack.url).port), {
    method: c.method,
    target: fill(c.path, n),
    headers: lines.map(([k, v]) => [k, fill(v, n)] as const),
    ...(body !== undefined ? { body } : {}),
    contentLength: !c.noLength,
  });
}

/** What no answer may contain: stack frames, source paths, error class names, AWS names. */
function leaks(text: string): string[] {
  const internal = [
    ...Object.values(stack.resources.tables),
    ...Object.values(stack.resources.queues).map((u) => u.split('/').pop() as string),
    ...Object.values(stack.resources.stateMachines),
  ];
  const patterns = [
    /\bat [\w$.<>]+ \(/,
    /\bat (file:|node:|\/)/,
    /\/work\/|node_modules|\.ts:\d|\.m?js:\d/,
    /\b(TypeError|ReferenceError|SyntaxError|RangeError|URIError|EvalError)\b/,
    /\b(ConditionalCheckFailed|ResourceNotFound|ValidationException|ProvisionedThroughput)\w*/,
    /arn:aws/,
    /\bSwitchyard(Stateful|Stateless)\b/,
  ];
  return [
    ...patterns.filter((p) => p.test(text)).map(String),
    ...internal.filter((name) => name && text.includes(name)),
  ];
}

interface HealthView {
  summary: Record<string, number>;
  endpoints: Array<{
    endpoint: string;
    routable: boolean;
    router_circuits: { open: number; half_open: number };
    window: { requests: number; failures: number } | null;
  }>;
}

interface Verdict {
  c: CorpusCase;
  status: number | 'no answer';
  problems: string[];
}

function judge(c: CorpusCase, res: RawResponse): string[] {
  const problems: string[] = [];
  if (res.status !== c.status)
    problems.push(`status ${res.status}, expected ${c.status}: ${res.body.slice(0, 300)}`);
  if (res.status >= 500) problems.push(`5xx: ${res.body.slice(0, 300)}`);
  const admin2xx = c.path.startsWith('/admin') && res.status < 300;
  if (!admin2xx) problems.push(...leaks(res.raw).map((l) => `leaks ${l}`));
  const noBody = c.method === 'HEAD';
  if (res.status >= 400 && !noBody) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      problems.push(`not JSON: ${res.body.slice(0, 120)}`);
    }
    const error = (parsed as { error?: Record<string, unknown> } | undefined)?.error;
    const shaped =
      parsed !== undefined &&
      Object.keys(parsed as object).join() === 'error' &&
      error !== undefined &&
      Object.keys(error).sort().join() === 'code,message,param,type' &&
      typeof error.message === 'string' &&
      typeof error.type === 'string' &&
      (error.param === null || typeof error.param === 'string') &&
      (error.code === null || typeof error.code === 'string');
    if (!shaped) problems.push(`not the OpenAI error shape: ${res.body.slice(0, 200)}`);
    if (!c.names) problems.push('a 4xx row must say what its answer names');
    else if (error) {
      const said = `${String(error.message)} ${String(error.param)}`.toLowerCase();
      if (!said.includes(fill(c.names, 0).toLowerCase()))
        problems.push(`does not name "${c.names}": ${res.body.slice(0, 300)}`);
    }
  }
  if (res.status < 300 && c.ok) {
    try {
      expect(JSON.parse(res.body)).toMatchObject(JSON.parse(fill(JSON.stringify(c.ok), 0)));
    } catch {
      problems.push(`2xx body does not match ${JSON.stringify(c.ok)}: ${res.body.slice(0, 200)}`);
    }
  }
  for (const word of c.hides ?? []) if (res.raw.includes(word)) problems.push(`shows "${word}"`);
  for (const [name, value] of Object.entries(c.okHeaders ?? {})) {
    if (res.headers[name]?.join() !== value)
      problems.push(`header ${name}: ${res.headers[name]?.join()}, expected ${value}`);
  }
  return problems;
}

async function run(c: CorpusCase, n: number): Promise<Verdict> {
  try {
    const res = await send(c, n);
    if (c.saves && res.status < 300)
      saved.set(c.saves, String((JSON.parse(res.body) as { id?: unknown }).id));
    return { c, status: res.status, problems: judge(c, res) };
  } catch (err) {
    return { c, status: 'no answer', problems: [String(err)] };
  }
}

/** Runs `items` with at most `width` in flight. */
async function pool<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}

type Counts = { rows: number; '2xx': number; '4xx': number; '5xx': number; failed: number };
const counts = (rows: number, ok2xx: number, ok4xx: number): Counts => ({
  rows,
  '2xx': ok2xx,
  '4xx': ok4xx,
  '5xx': 0,
  failed: 0,
});

describe('the hostile corpus', () => {
  it('has rows for every route the API defines, with and without the right credential', () => {
    const template = (resource: string) =>
      new RegExp(`^${resource.replace(/\{[^}]+\}/g, '[^/?]+')}(\\?.*)?$`);
    const missing = stack.api.routes
      .filter((r) => {
        const rows = CORPUS.filter((c) => c.method === r.method && template(r.resource).test(c.path));
        const wrongKey = r.auth === 'AWS_IAM' ? 'consumer' : 'none';
        return rows.length === 0 || !rows.some((c) => c.auth === wrongKey);
      })
      .map((r) => `${r.method} ${r.resource}`);
    expect(missing).toEqual([]);
    expect(stack.api.routes.length).toBeGreaterThanOrEqual(17);
  });

  it('gets the expected answer to every row: no 5xx, no leak, no hang', async () => {
    const verdicts = await pool(
      CORPUS.filter((c) => c.phase !== 2),
      12,
      run,
    );
    for (const [i, c] of CORPUS.entries()) if (c.phase === 2) verdicts.push(await run(c, i));

    const byClass: Partial<Record<CorpusClass, Counts>> = {};
    for (const v of verdicts) {
      const row = byClass[v.c.class] ?? { rows: 0, '2xx': 0, '4xx': 0, '5xx': 0, failed: 0 };
      byClass[v.c.class] = row;
      row.rows++;
      if (v.problems.length > 0) row.failed++;
      if (typeof v.status === 'number' && v.status >= 200) {
        row[`${Math.min(5, Math.floor(v.status / 100))}xx` as '2xx' | '4xx' | '5xx']++;
      }
    }
    console.log(`hostile corpus: ${verdicts.length} requests`);
    console.table(byClass);
    const failures = verdicts
      .filter((v) => v.problems.length > 0)
      .map((v) => `${v.c.class}: ${v.c.method} ${v.c.path.slice(0, 80)} -> ${v.problems.join('; ')}`);
    expect(failures).toEqual([]);
    expect(byClass).toEqual({
      'malformed-json': counts(23, 2, 21),
      'wrong-types': counts(39, 0, 39),
      depth: counts(16, 4, 12),
      size: counts(18, 4, 14),
      'prototype-keys': counts(33, 10, 23),
      paths: counts(40, 1, 39),
      hints: counts(32, 4, 28),
      'openai-fields': counts(40, 12, 28),
      models: counts(27, 8, 19),
      auth: counts(34, 4, 30),
      jobs: counts(26, 11, 15),
      'webhook-ssrf': counts(53, 0, 53),
      admin: counts(76, 13, 63),
      headers: counts(20, 12, 8),
      methods: counts(31, 0, 31),
      'unknown-routes': counts(28, 0, 28),
      'local-control': counts(18, 7, 11),
      embeddings: counts(44, 12, 32),
      tenants: counts(77, 12, 65),
      'personal-data': counts(8, 5, 3),
      feedback: counts(11, 0, 11),
    });
    expect(verdicts).toHaveLength(694);

    // Nothing stored on a 4xx: the jobs table holds the two set-up jobs and one per 202, no more.
    const accepted = verdicts.filter((v) => v.c.path === '/v1/jobs' && v.status === 202).length;
    expect(await tables.jobItems()).toBe(accepted + 2);

    // Nobody else's service changed: no circuit open anywhere, no failure counted against any
    // endpoint, every endpoint routable but the draining and the disabled one, and a clean
    // request of another tenant served.
    const { body: health } = await call<HealthView>('GET', `${stack.url}/admin/health`, stack.adminKey);
    // 17 endpoints: the example registry's 16 and phase 2's disabled corpus-e.
    expect(health.summary).toMatchObject({ endpoints: 17, routable: 15, circuits_open: 0 });
    expect(
      health.endpoints
        .filter((e) => !e.routable)
        .map((e) => e.endpoint)
        .sort(),
    ).toEqual(['corpus-e', 'gpu-old-llama-8b']);
    expect(health.endpoints.filter((e) => e.router_circuits.open + e.router_circuits.half_open > 0)).toEqual(
      [],
    );
    // The passive outcomes the routers recorded: the served requests, and not one failure.
    const records = await new DynamoDbHealthStore({
      client: tables.aws.doc,
      tableName: named(stack.resources.tables, 'health'),
    }).records();
    expect(records.reduce((n, r) => n + r.requests, 0)).toBeGreaterThan(50);
    expect(
      records.filter((r) => r.failures > 0 || r.consecutive_failures > 0).map((r) => r.health.endpoint),
    ).toEqual([]);
    const clean = await call('POST', `${stack.url}/v1/chat/completions`, keys.other, chat());
    expect(clean.status).toBe(200);
  });
});
