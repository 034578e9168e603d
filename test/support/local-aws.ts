// Test helpers: the dummy credentials every real SDK client in tests gets, an in-process
// dynalite (DynamoDB API) server on an ephemeral port with the tables the adapters use, and a
// fauxqs (SQS API) server on an ephemeral loopback port with one queue per job priority.

import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableName } from '@switchyard/adapters';
import {
  createDocumentClient,
  createSqsClient,
  createTableInput,
  TABLE_DEFINITIONS,
} from '@switchyard/adapters';
import type { JobPriority } from '@switchyard/core';
import { startSqsServer } from '../../infra/local/sqs.server.ts';

export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

// dynalite is CommonJS without types: load it through require with the one signature used here
// (on first use, so suites that only need LOCAL_AWS do not load it).
type Dynalite = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBDocumentClient;
  /** Creates a table with the adapters' key schema for `kind`, under a unique name. */
  createTable(kind: TableName): Promise<string>;
  stop(): Promise<void>;
}

let tableSeq = 0;

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const client = createDocumentClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    async createTable(kind) {
      const name = `test-${kind}-${++tableSeq}`;
      await raw.send(new CreateTableCommand(createTableInput(name, TABLE_DEFINITIONS[kind])));
      return name;
    },
    async stop() {
      client.destroy();
      raw.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface LocalSqs {
  client: SQSClient;
  /** One queue per priority, named `<prefix>-<priority>`. */
  queueUrls: Record<JobPriority, string>;
  stop(): Promise<void>;
}

export async function startLocalSqs(prefix: string): Promise<LocalSqs> {
  const server = await startSqsServer({ region: LOCAL_AWS.region });
  const client = createSqsClient({ ...LOCAL_AWS, endpoint: server.url });
  const create = async (name: string) =>
    (await client.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
  const queueUrls = {
    high: await create(`${prefix}-high`),
    normal: await create(`${prefix}-normal`),
    low: await create(`${prefix}-low`),
  };
  return {
    client,
    queueUrls,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}
