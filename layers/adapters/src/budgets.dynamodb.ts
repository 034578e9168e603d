// BudgetStore over DynamoDB: one item per (tenant, budget period), every write one conditional
// UpdateItem or PutItem on that item (dynalite and DynamoDB agree on these; no transactions).
//   lease:   available -= a, leases.id = {amount, expires_at, holder}   if available >= a, id new
//   top up:  spent += used, available -= more, leases.id.amount = a - used + more, new expiry
//                                                   if leases.id.amount = a, not expired, available >= more
//   return:  spent += used, available += a - used, REMOVE leases.id     if leases.id.amount = a
//   sweep:   spent += a, REMOVE leases.id                               if amount = a, expires_at <= now
// `lease_count` counts the leases (so a lease write says how many share the item).
// A failed condition costs one consistent read to say why (missing, insufficient, taken).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  BudgetKey,
  BudgetLease,
  BudgetPeriodInit,
  BudgetPeriodRecord,
  BudgetStore,
  BudgetUnit,
  LeaseOutcome,
  LeaseTopUp,
  TopUpOutcome,
} from '@switchyard/core';
import { assertBudgetAmount, budgetSortKey, parseBudgetSortKey, periodExpiresAt } from './budgets.shared.ts';
import { isConditionFailure, written } from './conditional-write.ts';
import { BUDGETS_TABLE as T } from './tables.ts';

export interface DynamoDbBudgetStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** Every attribute the expressions name, aliased (several are DynamoDB reserved words). */
const NAMES = {
  '#limit': 'limit',
  '#spent': 'spent',
  '#available': 'available',
  '#leases': 'leases',
  '#rev': 'revision',
  '#ends': 'ends_at',
  '#sweep': T.openAttribute,
  '#amount': 'amount',
  '#expires': 'expires_at',
  '#pk': T.partitionKey,
  '#count': 'lease_count',
} as const;

/** The aliases an expression uses (DynamoDB rejects unused ones). */
function names(expression: string, extra: Record<string, string> = {}): Record<string, string> {
  const used = Object.entries(NAMES).filter(([alias]) => new RegExp(`${alias}\\b`).test(expression));
  return { ...Object.fromEntries(used), ...extra };
}

export class DynamoDbBudgetStore implements BudgetStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoDbBudgetStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  #key(key: BudgetKey) {
    return { [T.partitionKey]: key.tenant, [T.sortKey]: budgetSortKey(key) };
  }

  /**
   * One conditional update of the period item: the attributes it updated (UPDATED_NEW), or
   * undefined when its condition failed (nothing written).
   */
  async #update(
    key: BudgetKey,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    leaseId?: string,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: this.#key(key),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names(
            `${update} ${condition}`,
            leaseId === undefined ? {} : { '#id': leaseId },
          ),
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return out.Attributes ?? {};
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  async openPeriod(init: BudgetPeriodInit): Promise<BudgetPeriodRecord> {
    assertBudgetAmount('limit', init.limit);
    const expiresAt = periodExpiresAt(init.budget, init.ends_at);
    await written(
      this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...this.#key(init),
            unit: init.unit,
            limit: init.limit,
            revision: init.revision,
            starts_at: init.starts_at,
            ends_at: init.ends_at,
            spent: 0,
            available: init.limit,
            leases: {},
            lease_count: 0,
            [T.openAttribute]: T.openValue,
            ...(expiresAt === undefined ? {} : { [T.ttlAttribute]: expiresAt }),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: names('#pk'),
        }),
      ),
    );
    const record = await this.getPeriod(init);
    if (!record) throw new Error(`budget period ${budgetSortKey(init)} vanished after it was created`);
    return record;
  }

  async getPeriod(key: BudgetKey): Promise<BudgetPeriodRecord | undefined> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: this.#key(key), ConsistentRead: true }),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async listPeriods(tenant: string): Promise<BudgetPeriodRecord[]> {
    const items = await this.#query({
      KeyConditionExpression: '#pk = :tenant',
      ExpressionAttributeNames: names('#pk'),
      ExpressionAttributeValues: { ':tenant': tenant },
      ConsistentRead: true,
    });
    return items.map(toRecord);
  }

  async lease(key: BudgetKey, leaseId: string, lease: BudgetLease): Promise<LeaseOutcome> {
    assertBudgetAmount('lease amount', lease.amount, 1);
    const taken = await this.#update(
      key,
      'SET #available = #available - :amount, #leases.#id = :lease ADD #count :one',
      '#available >= :amount AND attribute_not_exists(#leases.#id)',
      {
        ':amount': lease.amount,
        ':lease': { amount: lease.amount, expires_at: lease.expires_at, holder: lease.holder },
        ':one': 1,
      },
      leaseId,
    );
    if (taken) return { ok: true, available: Number(taken.available), leases: Number(taken.lease_count) };
    const record = await this.getPeriod(key);
    if (!record) return { ok: false, reason: 'missing' };
    return { ok: false, reason: leaseId in record.leases ? 'exists' : 'insufficient', record };
  }

  async topUpLease(key: BudgetKey, leaseId: string, change: LeaseTopUp): Promise<TopUpOutcome> {
    assertBudgetAmount('used', change.used);
    assertBudgetAmount('more', change.more);
    // `ADD #count :zero` changes nothing; it makes UPDATED_NEW return the number of leases.
    const done = await this.#update(
      key,
      'SET #spent = #spent + :used, #available = #available - :more, #leases.#id.#amount = :new, ' +
        '#leases.#id.#expires = :expires ADD #count :zero',
      '#leases.#id.#amount = :amount AND #leases.#id.#expires > :now' +
        (change.more > 0 ? ' AND #available >= :more' : ''),
      {
        ':used': change.used,
        ':more': change.more,
        ':new': change.amount - change.used + change.more,
        ':expires': change.expires_at,
        ':amount': change.amount,
        ':now': change.now,
        ':zero': 0,
      },
      leaseId,
    );
    if (done) return { ok: true, available: Number(done.available), leases: Number(done.lease_count) };
    const record = await this.getPeriod(key);
    const lease = record?.leases[leaseId];
    const gone = !lease || lease.amount !== change.amount || !(lease.expires_at > change.now);
    return { ok: false, reason: gone ? 'gone' : 'insufficient', ...(record ? { record } : {}) };
  }

  async returnLease(key: BudgetKey, leaseId: string, amount: number, used: number): Promise<boolean> {
    assertBudgetAmount('used', used);
    return wrote(
      this.#update(
        key,
        'SET #spent = #spent + :used, #available = #available + :unused REMOVE #leases.#id ADD #count :minus',
        '#leases.#id.#amount = :amount',
        { ':used': used, ':unused': amount - used, ':amount': amount, ':minus': -1 },
        leaseId,
      ),
    );
  }

  async settleExpired(key: BudgetKey, leaseId: string, amount: number, now: number): Promise<boolean> {
    return wrote(
      this.#update(
        key,
        'SET #spent = #spent + :amount REMOVE #leases.#id ADD #count :minus',
        '#leases.#id.#amount = :amount AND #leases.#id.#expires <= :now',
        { ':amount': amount, ':now': now, ':minus': -1 },
        leaseId,
      ),
    );
  }

  async setLimit(key: BudgetKey, limit: number, revision: number): Promise<boolean> {
    assertBudgetAmount('limit', limit);
    // available moves by the difference, and an update can subtract only one operand: read the
    // old limit, write conditionally on it, and read again if another writer changed it meanwhile.
    for (;;) {
      const record = await this.getPeriod(key);
      if (!record || !(record.revision < revision)) return false;
      const changed = await wrote(
        this.#update(
          key,
          'SET #limit = :limit, #available = #available + :delta, #rev = :rev',
          '#limit = :old AND #rev < :rev',
          { ':limit': limit, ':delta': limit - record.limit, ':old': record.limit, ':rev': revision },
        ),
      );
      if (changed) return true;
    }
  }

  async closePeriod(key: BudgetKey, now: number): Promise<boolean> {
    return wrote(
      this.#update(
        key,
        'REMOVE #sweep',
        'attribute_exists(#sweep) AND #ends <= :now AND size(#leases) = :zero',
        { ':now': now, ':zero': 0 },
      ),
    );
  }

  async listOpen(): Promise<BudgetKey[]> {
    const items = await this.#query({
      IndexName: T.openIndex,
      KeyConditionExpression: '#sweep = :open',
      ExpressionAttributeNames: names('#sweep'),
      ExpressionAttributeValues: { ':open': T.openValue },
    });
    return items.map((item) => ({
      tenant: String(item[T.partitionKey]),
      ...parseBudgetSortKey(String(item[T.sortKey])),
    }));
  }

  async #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({ TableName: this.#tableName, ...input, ExclusiveStartKey: start }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

/** Whether a conditional update was written. */
const wrote = (update: Promise<Record<string, unknown> | undefined>): Promise<boolean> =>
  update.then((attributes) => attributes !== undefined);

function toRecord(item: Record<string, unknown>): BudgetPeriodRecord {
  const leases: Record<string, BudgetLease> = {};
  for (const [leaseId, raw] of Object.entries(
    (item.leases ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    leases[leaseId] = {
      amount: Number(raw.amount),
      expires_at: Number(raw.expires_at),
      holder: String(raw.holder),
    };
  }
  return {
    tenant: String(item[T.partitionKey]),
    ...parseBudgetSortKey(String(item[T.sortKey])),
    unit: item.unit as BudgetUnit,
    limit: Number(item.limit),
    revision: Number(item.revision ?? 0),
    starts_at: Number(item.starts_at),
    ends_at: Number(item.ends_at),
    spent: Number(item.spent),
    available: Number(item.available),
    leases,
    open: item[T.openAttribute] === T.openValue,
  };
}
