// ApiKeyStore over a DynamoDB table keyed by `key_hash` (sha256 hex of the key; the key itself
// is never stored), with a keys-only index on the public `key_id`; plus the helpers that make a
// key: the secret, its hash, its public id and its usage identifier (what API Gateway holds).
import { createHash, randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyStore } from '@switchyard/core';
import { written } from './conditional-write.ts';
import { API_KEYS_TABLE } from './tables.ts';

export interface DynamoDbApiKeyStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** sha256 hex of an API key: the table's key and the only form in which a key is stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new API key: `prefix` + 32 random bytes (256 bits) in base64url. */
export function generateApiKey(prefix = 'sk-sy-'): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export const KEY_ID = /^key_[0-9a-f]{32}$/;
const USAGE_ID = /^usage_[0-9a-f]{40}$/;

export interface IssueApiKeyOptions {
  tenant: string;
  name: string;
  /** @default 'consumer' */
  role?: ApiKeyRecord['role'];
  allowed_models?: string[];
  now: number;
  /** The secret, when it is given (local keys from the environment). @default generateApiKey() */
  key?: string;
}

/**
 * A new key and the record to store for it. The key id and the usage identifier are random,
 * drawn separately from the secret: neither reveals anything about it.
 */
export function issueApiKey(options: IssueApiKeyOptions): { key: string; record: ApiKeyRecord } {
  const key = options.key ?? generateApiKey();
  return {
    key,
    record: {
      key_hash: hashApiKey(key),
      key_id: `key_${randomBytes(16).toString('hex')}`,
      usage_id: `usage_${randomBytes(20).toString('hex')}`,
      tenant: options.tenant,
      name: options.name,
      role: options.role ?? 'consumer',
      created_at: options.now,
      ...(options.allowed_models ? { allowed_models: options.allowed_models } : {}),
    },
  };
}

function isApiKeyRecord(item: Record<string, unknown>): item is Record<string, unknown> & ApiKeyRecord {
  return (
    typeof item.key_hash === 'string' &&
    typeof item.key_id === 'string' &&
    typeof item.usage_id === 'string' &&
    typeof item.tenant === 'string' &&
    typeof item.name === 'string' &&
    (item.role === 'consumer' || item.role === 'admin') &&
    typeof item.created_at === 'number'
  );
}

export class DynamoDbApiKeyStore implements ApiKeyStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoDbApiKeyStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: { [API_KEYS_TABLE.partitionKey]: keyHash } }),
    );
    const item = out.Item;
    if (!item) return undefined;
    if (!isApiKeyRecord(item)) {
      throw new Error(`table ${this.#tableName}: API key item ${keyHash.slice(0, 8)}… is malformed`);
    }
    const { key_hash, key_id, usage_id, tenant, name, role, allowed_models, created_at, disabled } = item;
    const { gateway_key_id } = item;
    return {
      key_hash,
      key_id,
      usage_id,
      tenant,
      name,
      role,
      created_at,
      ...(allowed_models !== undefined ? { allowed_models } : {}),
      ...(disabled !== undefined ? { disabled } : {}),
      ...(gateway_key_id !== undefined ? { gateway_key_id } : {}),
    };
  }

  async findById(keyId: string): Promise<ApiKeyRecord | undefined> {
    if (!KEY_ID.test(keyId)) return undefined;
    const { indexName, partitionKey } = API_KEYS_TABLE.byKeyId;
    const out = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: indexName,
        KeyConditionExpression: '#id = :id',
        ExpressionAttributeNames: { '#id': partitionKey },
        ExpressionAttributeValues: { ':id': keyId },
      }),
    );
    const hash = out.Items?.[0]?.[API_KEYS_TABLE.partitionKey];
    return typeof hash === 'string' ? this.findByHash(hash) : undefined;
  }

  async put(record: ApiKeyRecord): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(record.key_hash)) {
      throw new Error('key_hash must be the sha256 hex of the key (use hashApiKey), never the key itself');
    }
    if (!KEY_ID.test(record.key_id) || !USAGE_ID.test(record.usage_id)) {
      throw new Error('key_id and usage_id must be the random identifiers issueApiKey makes');
    }
    await this.#client.send(new PutCommand({ TableName: this.#tableName, Item: { ...record } }));
  }

  async listByTenant(tenant: string): Promise<ApiKeyRecord[]> {
    const { indexName, partitionKey } = API_KEYS_TABLE.byTenant;
    const hashes: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: indexName,
          KeyConditionExpression: '#t = :t',
          ExpressionAttributeNames: { '#t': partitionKey },
          ExpressionAttributeValues: { ':t': tenant },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const hash = item[API_KEYS_TABLE.partitionKey];
        if (typeof hash === 'string') hashes.push(hash);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    // The index is eventually consistent: a key it lists may be gone, or (rarely) re-homed.
    const records = await Promise.all(hashes.map((h) => this.findByHash(h)));
    return records
      .filter((r): r is ApiKeyRecord => r !== undefined && r.tenant === tenant)
      .sort((a, b) => a.created_at - b.created_at || (a.key_id < b.key_id ? -1 : 1));
  }

  disable(keyHash: string): Promise<boolean> {
    return written(
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { [API_KEYS_TABLE.partitionKey]: keyHash },
          UpdateExpression: 'SET disabled = :true',
          ConditionExpression: 'attribute_exists(#hash)',
          ExpressionAttributeNames: { '#hash': API_KEYS_TABLE.partitionKey },
          ExpressionAttributeValues: { ':true': true },
        }),
      ),
    );
  }
}
