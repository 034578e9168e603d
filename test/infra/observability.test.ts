// The dashboard, the alarms and their topic (Template assertions on one synthesized app): five
// alarms on contract metrics with literal thresholds, each notifying the topic on ALARM and OK;
// the topic encrypted with a rotating key CloudWatch may use, SSL only; the dashboard's widgets.

import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type CfnResource, props, render, resources, synthApp, synthStacks } from './template.helpers.ts';

const { statelessTemplate: template } = synthApp();
const alarms = Object.fromEntries(
  resources(template, 'AWS::CloudWatch::Alarm').map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r]),
) as Record<string, CfnResource>;
const [[topicId, topic]] = resources(template, 'AWS::SNS::Topic') as [[string, CfnResource]];

describe('alarms', () => {
  it('are exactly five', () => {
    expect(Object.keys(alarms).sort()).toEqual([
      'ObservabilityCircuitsOpen',
      'ObservabilityDeadLetters',
      'ObservabilityErrorRate',
      'ObservabilityP99Latency',
      'ObservabilitySpendRate',
    ]);
  });

  it('each notifies the topic when it fires and when it clears', () => {
    for (const [id, alarm] of Object.entries(alarms)) {
      expect(props(alarm).AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(props(alarm).OKActions, id).toEqual([{ Ref: topicId }]);
      expect(props(alarm).TreatMissingData, id).toBe('notBreaching');
    }
  });

  it('error rate: upstream + internal errors over all router routes, > 5% in 3 of 5 minutes', () => {
    const p = props(alarms.ObservabilityErrorRate);
    expect(p).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
    });
    const queries = p.Metrics as Array<{
      Id: string;
      Expression?: string;
      MetricStat?: {
        Metric: { MetricName: string; Namespace: string; Dimensions: Array<{ Name: string; Value: string }> };
        Stat: string;
      };
    }>;
    const expression = queries.find((q) => q.Expression)?.Expression;
    expect(expression).toBe(
      '100 * (FILL(upstream, 0) + FILL(internal, 0)) / (FILL(r0, 0) + FILL(r1, 0) + FILL(r2, 0) + FILL(r3, 0) + FILL(r4, 0))',
    );
    const stats = Object.fromEntries(
      queries
        .filter((q) => q.MetricStat)
        .map((q) => [
          q.Id,
          `${q.MetricStat?.Metric.Namespace}/${q.MetricStat?.Metric.MetricName} ${q.MetricStat?.Metric.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(',')} ${q.MetricStat?.Stat}`,
        ]),
    );
    expect(stats).toEqual({
      r0: 'Switchyard/Requests Route=POST /v1/chat/completions,service=router Sum',
      r1: 'Switchyard/Requests Route=POST /v1/embeddings,service=router Sum',
      r2: 'Switchyard/Requests Route=POST /v1/invocations,service=router Sum',
      r3: 'Switchyard/Requests Route=POST /v1/route,service=router Sum',
      r4: 'Switchyard/Requests Route=GET /v1/models,service=router Sum',
      upstream: 'Switchyard/Errors ErrorClass=upstream,service=router Sum',
      internal: 'Switchyard/Errors ErrorClass=internal,service=router Sum',
    });
  });

  it('p99 latency of the chat route > 15 s in 3 of 5 minutes', () => {
    expect(props(alarms.ObservabilityP99Latency)).toMatchObject({
      Namespace: 'Switchyard',
      MetricName: 'Latency',
      Dimensions: [
        { Name: 'Route', Value: 'POST /v1/chat/completions' },
        { Name: 'service', Value: 'router' },
      ],
      ExtendedStatistic: 'p99',
      Period: 60,
      Threshold: 15000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
    });
  });

  it('dead letters: any message visible in the DLQ', () => {
    const p = props(alarms.ObservabilityDeadLetters);
    expect(p).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
    const dims = p.Dimensions as Array<{ Name: string; Value: unknown }>;
    expect(dims.map((d) => d.Name)).toEqual(['QueueName']);
    expect(render(dims[0]?.Value as never)).toMatch(/QueuesDeadLetter[0-9A-F]{8}QueueName/);
  });

  it('circuits: one router circuit opening in 5 minutes (>=)', () => {
    expect(props(alarms.ObservabilityCircuitsOpen)).toMatchObject({
      Namespace: 'Switchyard',
      MetricName: 'CircuitOpens',
      Dimensions: [{ Name: 'service', Value: 'router' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('spend: more than $100 of estimated upstream cost in an hour', () => {
    expect(props(alarms.ObservabilitySpendRate)).toMatchObject({
      Namespace: 'Switchyard',
      MetricName: 'CostUsd',
      Dimensions: [{ Name: 'service', Value: 'router' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 100,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('alarm topic', () => {
  it('is encrypted with a rotating key that CloudWatch may use, and refuses plain HTTP', () => {
    const keyId = (props(topic).KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const key = template.toJSON().Resources[keyId] as CfnResource;
    expect(props(key).EnableKeyRotation).toBe(true);
    const statements = (props(key).KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Principal: { Service: 'cloudwatch.amazonaws.com' },
      }),
    );
    const [[, policy]] = resources(template, 'AWS::SNS::TopicPolicy') as [[string, CfnResource]];
    const doc = props(policy).PolicyDocument as { Statement: Array<Record<string, unknown>> };
    expect(doc.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('subscribes the given emails; none by default', () => {
    expect(resources(template, 'AWS::SNS::Subscription')).toEqual([]);
    const { code } = synthStacks({
      alarmEmails: ['ops@example.com'],
      alarmThresholds: { p99LatencyMs: 8000 },
    });
    const t = Template.fromStack(code);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Latency', Threshold: 8000 });
  });
});

describe('endpoint autoscaling', () => {
  it('is absent when the registry owns no endpoint', () => {
    expect(resources(template, 'AWS::ApplicationAutoScaling::ScalableTarget')).toEqual([]);
  });
});

describe('dashboard', () => {
  const [[, dashboard]] = resources(template, 'AWS::CloudWatch::Dashboard') as [[string, CfnResource]];
  const body = JSON.parse(render(props(dashboard).DashboardBody)) as {
    widgets: Array<{ properties: { title?: string; metrics?: unknown[] } }>;
  };
  const titles = body.widgets.map((w) => w.properties.title).filter(Boolean);
  const text = JSON.stringify(body);

  it('is named Switchyard and has the operators’ graphs', () => {
    expect(props(dashboard).DashboardName).toBe('Switchyard');
    expect(titles).toEqual([
      'Traffic split (requests by policy and model)',
      'Router latency, chat (ms)',
      'Time to first token, p50 (ms)',
      'Errors by class',
      'Circuit opens by endpoint',
      'Fallbacks and attempts',
      'Cost (USD) by policy and model',
      'Tokens',
      'Rollouts',
      'Jobs',
      'Queue depths',
      'Endpoint load: in flight (max) and 429s',
    ]);
  });

  it('splits traffic with a search over every policy and model', () => {
    expect(text).toContain(
      String.raw`SEARCH('{Switchyard,service,Model,Policy} MetricName=\"Requests\"', 'Sum', 60)`,
    );
    expect(text).toContain(
      String.raw`SEARCH('{Switchyard,service,Model,Policy} MetricName=\"TimeToFirstToken\"', 'p50', 60)`,
    );
    expect(text).toContain(
      String.raw`SEARCH('{Switchyard,service,Endpoint} MetricName=\"InFlight\"', 'Maximum', 60)`,
    );
    expect(text).toContain(
      String.raw`SEARCH('{Switchyard,service,ErrorClass} MetricName=\"Errors\"', 'Sum', 60)`,
    );
  });

  it('graphs the depth of the three job queues and the dead-letter queue', () => {
    expect(text.match(/ApproximateNumberOfMessagesVisible/g)).toHaveLength(4);
  });
});
