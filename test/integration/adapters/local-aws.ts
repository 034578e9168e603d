// Test helpers: an in-process dynalite (DynamoDB API) server on an ephemeral port with the
// tables the adapters use, and the dummy credentials every real SDK client in tests gets.

import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableName } from '@switchyard/adapters';
import { createDocumentClient, createTableInput, TABLE_DEFINITIONS } from '@switchyard/adapters';

export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

// dynalite is CommonJS without types: load it through require with the one signature used here.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
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
