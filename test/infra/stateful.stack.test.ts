// Template assertions on the stateful stack: table keys and indexes, PITR, encryption, TTL, retention,
// the budgets table's sweeper index;
// the three job queues' shared dead-letter queue, receive count, SSE, TLS and visibility.
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, queueVisibilityTimeout } from '../../infra/app.config.ts';
import { StatefulStack } from '../../infra/stacks/stateful.stack.ts';
import { type CfnResource, type Json, props, render, resources, synthApp } from './template.helpers.ts';

const { stateful, statefulTemplate: template } = synthApp();

function table(id: string): CfnResource {
  const hit = resources(template, 'AWS::DynamoDB::Table').find(([logicalId]) =>
    logicalId.startsWith(`Tables${id}`),
  );
  if (!hit) throw new Error(`no ${id} table`);
  return hit[1];
}

describe('SwitchyardStateful tables', () => {
  it('has exactly the nine tables', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 9);
  });

  it.each([
    [
      'Registry',
      [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      undefined,
    ],
    ['Health', [{ AttributeName: 'endpoint', KeyType: 'HASH' }], 'expires_at'],
    ['Jobs', [{ AttributeName: 'pk', KeyType: 'HASH' }], 'expires_at'],
    ['ApiKeys', [{ AttributeName: 'key_hash', KeyType: 'HASH' }], undefined],
    ['Rollouts', [{ AttributeName: 'id', KeyType: 'HASH' }], undefined],
    ['Tenants', [{ AttributeName: 'id', KeyType: 'HASH' }], undefined],
    [
      'Budgets',
      [
        { AttributeName: 'tenant', KeyType: 'HASH' },
        { AttributeName: 'budget', KeyType: 'RANGE' },
      ],
      'expires_at',
    ],
    [
      'Usage',
      [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      'expires_at',
    ],
    ['Decisions', [{ AttributeName: 'request_id', KeyType: 'HASH' }], 'expires_at'],
  ])('%s: keys, on-demand, PITR, AWS-managed SSE, TTL', (id, keySchema, ttl) => {
    const p = table(id).Properties ?? {};
    expect(p.KeySchema).toEqual(keySchema);
    for (const key of keySchema) {
      expect(p.AttributeDefinitions).toContainEqual({ AttributeName: key.AttributeName, AttributeType: 'S' });
    }
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    // AWS-managed KMS key: SSE on, no customer key.
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
    if (ttl) expect(p.TimeToLiveSpecification).toEqual({ AttributeName: ttl, Enabled: true });
    else expect(p.TimeToLiveSpecification).toBeUndefined();
  });

  it('retains the data tables on stack deletion; health measurements go', () => {
    const policies = Object.fromEntries(
      resources(template, 'AWS::DynamoDB::Table').map(([id, r]) => [
        id.replace(/^Tables/, '').replace(/[0-9A-F]{8}$/, ''),
        (r as CfnResource & { DeletionPolicy?: string }).DeletionPolicy,
      ]),
    );
    expect(policies).toEqual({
      Registry: 'Retain',
      Jobs: 'Retain',
      ApiKeys: 'Retain',
      Rollouts: 'Retain',
      Tenants: 'Retain',
      Budgets: 'Retain',
      Usage: 'Retain',
      Decisions: 'Retain',
      Health: 'Delete',
    });
  });

  it('indexes API keys by their public key id and by tenant, keys only (no record data in the index)', () => {
    expect(table('ApiKeys').Properties?.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'by-key-id',
        KeySchema: [{ AttributeName: 'key_id', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: 'by-tenant',
        KeySchema: [{ AttributeName: 'tenant', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(table('ApiKeys').Properties?.AttributeDefinitions).toContainEqual({
      AttributeName: 'tenant',
      AttributeType: 'S',
    });
    expect(table('ApiKeys').Properties?.AttributeDefinitions).toContainEqual({
      AttributeName: 'key_id',
      AttributeType: 'S',
    });
    expect(table('Tenants').Properties?.GlobalSecondaryIndexes).toBeUndefined();
    expect(table('Usage').Properties?.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('Budgets: a sparse keys-only index of the periods the sweeper still visits', () => {
    const p = table('Budgets').Properties ?? {};
    expect(p.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'open-periods',
        KeySchema: [{ AttributeName: 'sweep', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(p.AttributeDefinitions).toContainEqual({ AttributeName: 'sweep', AttributeType: 'S' });
    expect(stateful.tables.budgets.tableName).toBeDefined();
  });

  it('outputs the table names', () => {
    for (const name of [
      'RegistryTableName',
      'HealthTableName',
      'JobsTableName',
      'ApiKeysTableName',
      'RolloutsTableName',
      'TenantsTableName',
      'BudgetsTableName',
      'UsageTableName',
    ]) {
      template.hasOutput(name, { Value: Match.objectLike({ Ref: Match.stringLikeRegexp('^Tables') }) });
    }
  });
});

describe('SwitchyardStateful job queues', () => {
  const queues = resources(template, 'AWS::SQS::Queue');
  const [dlqId, dlq] = queues.find(([id]) => id.startsWith('JobQueuesDeadLetter')) ?? [];
  const jobQueues = queues.filter(([id]) => id !== dlqId);

  it('has one queue per priority plus one dead-letter queue', () => {
    expect(queues).toHaveLength(4);
    expect(jobQueues.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'JobQueuesHigh',
      'JobQueuesLow',
      'JobQueuesNormal',
    ]);
    expect(Object.keys(stateful.queues.byPriority)).toEqual(['high', 'normal', 'low']);
  });

  it('redrives all three to the same DLQ after 5 receives', () => {
    for (const [, q] of jobQueues) {
      expect(q.Properties?.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: 5,
      });
    }
  });

  it('keeps dead letters 14 days', () => {
    expect(dlq?.Properties?.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('encrypts every queue with SQS-managed SSE', () => {
    for (const [, q] of queues) expect(q.Properties?.SqsManagedSseEnabled).toBe(true);
  });

  it('denies non-TLS access to every queue', () => {
    const policies = resources(template, 'AWS::SQS::QueuePolicy');
    const covered = new Set<string>();
    for (const [, p] of policies) {
      const doc = p.Properties?.PolicyDocument as { Statement: Array<Record<string, unknown>> };
      const denyInsecure = doc.Statement.some(
        (s) =>
          s.Effect === 'Deny' &&
          JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      );
      if (denyInsecure) for (const q of props(p).Queues as Json[]) covered.add(render(q));
    }
    expect([...covered].sort()).toEqual(queues.map(([id]) => `\${${id}}`).sort());
  });

  it('sets visibility to at least 6x the worker timeout', () => {
    const workerTimeout = DEFAULT_SETTINGS.workerTimeout.toSeconds();
    for (const [, q] of jobQueues) {
      expect(q.Properties?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * workerTimeout);
    }
  });
});

describe('StatefulStack settings', () => {
  it('takes maxReceiveCount and the worker timeout from its settings', () => {
    const settings = { ...DEFAULT_SETTINGS, workerTimeout: Duration.seconds(60), maxReceiveCount: 3 };
    const stack = new StatefulStack(new App(), 'S', { settings });
    const t = Template.fromStack(stack);
    t.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      {
        VisibilityTimeout: queueVisibilityTimeout(settings).toSeconds(),
        RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
      },
      3,
    );
    expect(queueVisibilityTimeout(settings).toSeconds()).toBe(361);
  });

  it('refuses a receive count SQS would reject', () => {
    const settings = { ...DEFAULT_SETTINGS, maxReceiveCount: 0 };
    expect(() => new StatefulStack(new App(), 'S', { settings })).toThrow(/maxReceiveCount/);
  });
});
