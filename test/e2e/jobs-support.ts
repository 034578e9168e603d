// Helpers for the jobs e2e suites: a chat job body, the jobs API over HTTP, queue depths and the
// jobs table read with the real SDK clients, and a webhook receiver on 127.0.0.1 that records what
// it gets.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../infra/local/local-stack.ts';
import { eventually } from '../support/eventually.ts';
import { localClients, named } from '../support/local-stack.helpers.ts';

export const JOBS_REGISTRY = 'test/e2e/fixtures/jobs.registry.yaml';
export const FINAL_STATUSES = ['succeeded', 'failed', 'dead-lettered'];

/** A chat job body for the `chain` policy of JOBS_REGISTRY. */
export const chat = (text: string, extra: Record<string, unknown> = {}) => ({
  model: 'chain',
  messages: [{ role: 'user', content: text }],
  ...extra,
});

export interface JobBody {
  id: string;
  object: string;
  status: string;
  priority: string;
  model: string;
  created_at: number;
  attempts: Array<{ endpoint: string; model: string; outcome: string; duration_ms: number; error?: string }>;
  result?: Record<string, unknown>;
  error?: { message: string; code: string };
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class JobsClient {
  /** Real SDK clients on the stack (`doc`, `sqs`, `sfn`). */
  readonly aws: ReturnType<typeof localClients>;

  constructor(readonly stack: LocalStack) {
    this.aws = localClients(stack);
  }

  queueUrl(word: 'high' | 'normal' | 'low' | 'deadletter'): string {
    return named(this.stack.resources.queues, word);
  }

  get jobsTable(): string {
    return named(this.stack.resources.tables, 'jobs');
  }

  /** POST /v1/jobs with a raw body (string) or a JSON value. */
  async submit(
    body: unknown,
    options: { key?: string; headers?: Record<string, string>; raw?: boolean } = {},
  ): Promise<{ status: number; body: JobBody & ErrorBody; headers: Headers }> {
    const res = await fetch(`${this.stack.url}/v1/jobs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.key ?? this.stack.apiKey}`,
        'content-type': 'application/json',
        ...(options.headers ?? {}),
      },
      ...(body === undefined ? {} : { body: options.raw ? String(body) : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as JobBody & ErrorBody, headers: res.headers };
  }

  /** Submits and expects 202; returns the job id. */
  async accepted(body: unknown, options: { key?: string; headers?: Record<string, string> } = {}) {
    const res = await this.submit(body, options);
    if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  async get(id: string, key?: string): Promise<{ status: number; body: JobBody & ErrorBody }> {
    const res = await fetch(`${this.stack.url}/v1/jobs/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${key ?? this.stack.apiKey}` },
    });
    return { status: res.status, body: (await res.json()) as JobBody & ErrorBody };
  }

  /** Waits until the job is final (through the API) and returns it. */
  final(id: string, timeoutMs = 30_000): Promise<JobBody> {
    return eventually(
      async () => {
        const { body } = await this.get(id);
        return FINAL_STATUSES.includes(body.status) ? body : undefined;
      },
      { what: `job ${id} to end`, timeoutMs },
    );
  }

  /** Messages in a queue: visible and in flight. */
  async depth(
    word: 'high' | 'normal' | 'low' | 'deadletter',
  ): Promise<{ visible: number; inFlight: number }> {
    const out = await this.aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl(word),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
    };
  }

  /** Messages visible or in flight across the three job queues. */
  async queued(): Promise<number> {
    const all = await Promise.all((['high', 'normal', 'low'] as const).map((q) => this.depth(q)));
    return all.reduce((n, d) => n + d.visible + d.inFlight, 0);
  }

  /** Job items in the jobs table (idempotency claims not counted). */
  async jobItems(): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.aws.doc.send(
        new ScanCommand({
          TableName: this.jobsTable,
          FilterExpression: 'begins_with(pk, :job)',
          ExpressionAttributeValues: { ':job': 'job#' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** Executions of the job workflow named `id` (the worker names them by job id). */
  executionsOf(id: string) {
    return this.stack.sfn.executions().filter((e) => e.name === id);
  }

  destroy(): void {
    this.aws.destroy();
  }
}

export interface WebhookCall {
  body: JobBody;
  /** The body exactly as received (what the signature covers). */
  raw: string;
  headers: IncomingHttpHeaders;
}

/** An http server on 127.0.0.1 that records webhook calls and answers `status()`. */
export async function startWebhookReceiver(status: () => number = () => 200) {
  const calls: WebhookCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      calls.push({ body: JSON.parse(raw) as JobBody, raw, headers: req.headers });
      res.writeHead(status(), { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    calls,
    callsFor: (id: string) => calls.filter((c) => c.body.id === id),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
