// Template assertions on the usage side: the archive bucket (S3-managed encryption, all public
// access blocked, TLS enforced by policy, no ACLs, versioned, retained, a lifecycle rule with its
// literal days), the daily export (cron 00:30 UTC, its grants: Query usage, a Scan of tenants
// limited to profile attributes, PutObject under usage/ only, nothing else), and GET /v1/usage
// (consumer auth, its own function that may only Query the usage table).
import { describe, expect, it } from 'vitest';
import {
  type CfnResource,
  functionByEntry,
  functionEnv,
  type Json,
  props,
  render,
  resources,
  roleOf,
  roleStatements,
  synthApp,
  tableActions,
} from './template.helpers.ts';

const { statefulTemplate: stateful, statelessTemplate: stateless } = synthApp();
const EXPORT = 'functions/usage-export/usage-export.handler.ts';
const USAGE = 'functions/usage/usage.handler.ts';

describe('usage archive bucket', () => {
  const [[bucketId, bucket]] = resources(stateful, 'AWS::S3::Bucket') as [[string, CfnResource]];
  const p = props(bucket);

  it('is encrypted, private, owner-enforced, versioned and retained', () => {
    expect(p.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect((bucket as CfnResource & { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
  });

  it('refuses requests without TLS', () => {
    const [[, policy]] = resources(stateful, 'AWS::S3::BucketPolicy') as [[string, CfnResource]];
    expect(render(props(policy).Bucket)).toBe(`\${${bucketId}}`);
    const statements = (props(policy).PolicyDocument as { Statement: Array<Record<string, Json>> }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('tiers, expires and cleans up on a lifecycle rule', () => {
    expect(p.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'usage-tiering',
          Prefix: 'usage/',
          Status: 'Enabled',
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
            { StorageClass: 'GLACIER_IR', TransitionInDays: 365 },
          ],
          ExpirationInDays: 2557,
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ],
    });
  });

  it('is an output of the stateful stack', () => {
    const outputs = stateful.toJSON().Outputs as Record<string, { Value: Json }>;
    expect(render(outputs.UsageExportBucketName?.Value)).toBe(`\${${bucketId}}`);
  });
});

describe('daily usage export', () => {
  const { id: fnId, fn } = functionByEntry(stateless, EXPORT);

  it('runs at 00:30 UTC every day, on the export function', () => {
    const rules = resources(stateless, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties?.Targets).includes(fnId),
    );
    expect(rules).toHaveLength(1);
    const rule = (rules[0] as [string, CfnResource])[1];
    expect(rule.Properties?.ScheduleExpression).toBe('cron(30 0 * * ? *)');
    const targets = (rule.Properties?.Targets ?? []) as Array<Record<string, Json>>;
    expect(targets[0]).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600 },
    });
  });

  it('gets the usage table, tenants table and bucket names only', () => {
    const env = functionEnv(stateless, EXPORT);
    expect(
      Object.keys(env)
        .filter((k) => !/^(NODE_OPTIONS|POWERTOOLS_)/.test(k))
        .sort(),
    ).toEqual(['TENANTS_TABLE', 'USAGE_EXPORT_BUCKET', 'USAGE_TABLE']);
    expect(fn.Properties?.Timeout).toBe(900);
  });

  it('may Query usage, Scan tenant profiles without the secret, and PutObject under usage/ only', () => {
    expect(tableActions(stateless, EXPORT, 'Usage')).toEqual(['dynamodb:Query']);
    expect(tableActions(stateless, EXPORT, 'Tenants')).toEqual(['dynamodb:Scan']);
    for (const t of ['ApiKeys', 'Budgets', 'Registry', 'Jobs'] as const) {
      expect(tableActions(stateless, EXPORT, t), t).toEqual([]);
    }
    const policies = resources(stateless, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties?.Roles).includes(roleOf(fn)),
    );
    const raw = policies.flatMap(
      ([, p]) => (props(p).PolicyDocument as unknown as { Statement: Array<Record<string, Json>> }).Statement,
    );
    const scan = raw.find((s) => s.Action === 'dynamodb:Scan');
    expect(scan?.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'dynamodb:Attributes': [
          'id',
          'name',
          'plan',
          'budget',
          'rate_limits',
          'allowed_models',
          'data_classification',
          'pii_action',
          'created_at',
          'updated_at',
          'revision',
        ],
      },
      StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
    });
    const s3 = roleStatements(stateless, roleOf(fn)).filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [expect.stringMatching(/UsageArchiveBucket[0-9A-F]{8}Arn.*\/usage\/\*$/)],
      },
    ]);
  });
});

describe('GET /v1/usage', () => {
  it('is a consumer route (authorizer, API key) on its own function, which may only Query usage', () => {
    const { id } = functionByEntry(stateless, USAGE);
    const methods = resources(stateless, 'AWS::ApiGateway::Method').filter(([, m]) =>
      render((m.Properties?.Integration as Record<string, Json> | undefined)?.Uri).includes(`\${${id}.Arn}`),
    );
    expect(methods).toHaveLength(1);
    expect((methods[0] as [string, CfnResource])[1].Properties).toMatchObject({
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      ApiKeyRequired: true,
    });
    const { fn } = functionByEntry(stateless, USAGE);
    const actions = roleStatements(stateless, roleOf(fn)).flatMap((s) => s.Action);
    expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))).toEqual([
      'dynamodb:Query',
    ]);
    expect(tableActions(stateless, USAGE, 'Usage')).toEqual(['dynamodb:Query']);
  });
});
