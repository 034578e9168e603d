// ApiKeyStore over a DynamoDB table keyed by `key_hash` (sha256 hex of the key; the key itself
// is never stored), plus helpers to hash and generate keys.
import { createHash, randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyStore } from '@switchyard/core';
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

function isApiKeyRecord(item: Record<string, unknown>): item is Record<string, unknown> & ApiKeyRecord {
  return (
    typeof item.key_hash === 'string' &&
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
    const { key_hash, tenant, name, role, allowed_models, created_at, disabled } = item;
    return {
      key_hash,
      tenant,
      name,
      role,
      created_at,
      ...(allowed_models !== undefined ? { allowed_models } : {}),
      ...(disabled !== undefined ? { disabled } : {}),
    };
  }

  async put(record: ApiKeyRecord): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(record.key_hash)) {
      throw new Error('key_hash must be the sha256 hex of the key (use hashApiKey), never the key itself');
    }
    await this.#client.send(new PutCommand({ TableName: this.#tableName, Item: { ...record } }));
  }
}
