// What operators watch: a CloudWatch dashboard (traffic split by policy and model, latency,
// time to first token, errors by class, circuits, cost and tokens, rollouts, queue depths and
// the endpoints' load signals) and alarms on the router's server error rate, its p99 latency,
// the dead-letter queue, router circuits opening and the spend rate, all notifying one SNS topic
// (encrypted with a key CloudWatch may use). Metric names come from the core's contract, the
// same the functions emit.
import { METRIC_SERVICE, METRICS, METRICS_NAMESPACE } from '@switchyard/core';
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The router's API routes, the `Route` dimension values. */
export const ROUTER_ROUTES = [
  'POST /v1/chat/completions',
  'POST /v1/embeddings',
  'POST /v1/invocations',
  'POST /v1/route',
  'GET /v1/models',
] as const;

export interface AlarmThresholds {
  /**
   * Router server errors (classes upstream and internal) as a percentage of requests, over 5 minutes.
   * @default 5
   */
  readonly errorRatePercent?: number;
  /**
   * p99 of the chat route's latency, ms, 3 of 5 minutes.
   * @default 15000
   */
  readonly p99LatencyMs?: number;
  /**
   * Estimated upstream spend per hour, USD (all tenants).
   * @default 100
   */
  readonly spendUsdPerHour?: number;
}

export interface ObservabilityProps {
  /** Job queues by priority, and their dead-letter queue. */
  readonly queues: Readonly<Record<string, IQueue>>;
  readonly deadLetterQueue: IQueue;
  readonly jobWorkflow: IStateMachine;
  readonly rolloutWorkflow: IStateMachine;
  /**
   * Alarm thresholds.
   * @default - AlarmThresholds' defaults
   */
  readonly thresholds?: AlarmThresholds;
  /**
   * Email addresses subscribed to the alarm topic.
   * @default [] (subscribe later)
   */
  readonly alarmEmails?: readonly string[];
  /**
   * The dashboard's name.
   * @default 'Switchyard'
   */
  readonly dashboardName?: string;
}

type Stat = 'Sum' | 'Average' | 'Maximum' | 'p50' | 'p90' | 'p99';

/** One metric of the contract, with its service and dimension values. */
export function contractMetric(
  key: keyof typeof METRICS,
  service: string,
  dimensions: Record<string, string>,
  statistic: Stat,
  period: Duration = Duration.minutes(1),
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRICS[key].name,
    dimensionsMap: { service, ...dimensions },
    statistic,
    period,
  });
}

/** Every series of `key` over its dimension set (e.g. Policy and Model), for dashboards. */
function search(
  key: keyof typeof METRICS,
  dims: readonly string[],
  statistic: Stat,
  label: string,
): MathExpression {
  const schema = ['service', ...dims].join(',');
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${schema}} MetricName="${METRICS[key].name}"', '${statistic}', 60)`,
    usingMetrics: {},
    label,
    period: Duration.minutes(1),
  });
}

export class Observability extends Construct {
  public readonly topic: Topic;
  public readonly dashboard: Dashboard;
  public readonly errorRateAlarm: Alarm;
  public readonly latencyAlarm: Alarm;
  public readonly deadLetterAlarm: Alarm;
  public readonly circuitsAlarm: Alarm;
  public readonly spendAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const t = props.thresholds ?? {};
    const router = METRIC_SERVICE.router;

    // CloudWatch publishes to an encrypted topic only with a customer managed key it may use.
    const key = new Key(this, 'TopicKey', {
      description: 'Switchyard alarm topic',
      enableKeyRotation: true,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Alarms', {
      displayName: 'Switchyard alarms',
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.alarmEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));
    const notify = new SnsAction(this.topic);

    const requests = Object.fromEntries(
      ROUTER_ROUTES.map((route, i) => [`r${i}`, contractMetric('requests', router, { Route: route }, 'Sum')]),
    );
    const serverErrors = {
      upstream: contractMetric('errors', router, { ErrorClass: 'upstream' }, 'Sum'),
      internal: contractMetric('errors', router, { ErrorClass: 'internal' }, 'Sum'),
    };
    const errorRate = new MathExpression({
      expression: `100 * (FILL(upstream, 0) + FILL(internal, 0)) / (${Object.keys(requests)
        .map((k) => `FILL(${k}, 0)`)
        .join(' + ')})`,
      usingMetrics: { ...requests, ...serverErrors },
      label: 'server error rate (%)',
      period: Duration.minutes(1),
    });
    const chatLatency = (stat: Stat) => contractMetric('latency', router, { Route: ROUTER_ROUTES[0] }, stat);

    this.errorRateAlarm = new Alarm(this, 'ErrorRate', {
      alarmDescription: 'Router requests ending in upstream or internal errors, percent of all requests',
      metric: errorRate,
      threshold: t.errorRatePercent ?? 5,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.latencyAlarm = new Alarm(this, 'P99Latency', {
      alarmDescription: 'p99 latency of POST /v1/chat/completions in the router',
      metric: chatLatency('p99'),
      threshold: t.p99LatencyMs ?? 15_000,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm = new Alarm(this, 'DeadLetters', {
      alarmDescription: 'Jobs in the dead-letter queue (each is recorded failed; look at why)',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.circuitsAlarm = new Alarm(this, 'CircuitsOpen', {
      alarmDescription: 'A router container opened a circuit on an endpoint (see CircuitOpens by Endpoint)',
      metric: contractMetric('circuitOpens', router, {}, 'Sum', Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.spendAlarm = new Alarm(this, 'SpendRate', {
      alarmDescription: 'Estimated upstream spend over the last hour, USD, all tenants',
      metric: contractMetric('costUsd', router, {}, 'Sum', Duration.hours(1)),
      threshold: t.spendUsdPerHour ?? 100,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [
      this.errorRateAlarm,
      this.latencyAlarm,
      this.deadLetterAlarm,
      this.circuitsAlarm,
      this.spendAlarm,
    ]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    const graph = (title: string, left: IMetric[], width = 12) =>
      new GraphWidget({ title, left, width, height: 6 });
    const queueDepth = (name: string, q: IQueue) =>
      q.metricApproximateNumberOfMessagesVisible({
        label: name,
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? 'Switchyard',
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Switchyard\nMetrics in namespace \`${METRICS_NAMESPACE}\`; alarms notify the SNS topic.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Traffic split (requests by policy and model)', [
        search('requests', ['Model', 'Policy'], 'Sum', ''),
      ]),
      graph('Router latency, chat (ms)', [chatLatency('p50'), chatLatency('p90'), chatLatency('p99')]),
    );
    this.dashboard.addWidgets(
      graph('Time to first token, p50 (ms)', [search('timeToFirstToken', ['Model', 'Policy'], 'p50', '')]),
      graph('Errors by class', [search('errors', ['ErrorClass'], 'Sum', ''), errorRate]),
    );
    this.dashboard.addWidgets(
      graph('Circuit opens by endpoint', [search('circuitOpens', ['Endpoint'], 'Sum', '')]),
      graph('Fallbacks and attempts', [
        search('fallbacks', ['Model', 'Policy'], 'Sum', ''),
        search('attempts', ['Model', 'Policy'], 'Sum', ''),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Cost (USD) by policy and model', [search('costUsd', ['Model', 'Policy'], 'Sum', '')]),
      graph('Tokens', [
        search('inputTokens', ['Model', 'Policy'], 'Sum', ''),
        search('outputTokens', ['Model', 'Policy'], 'Sum', ''),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Rollouts', [
        search('rolloutSteps', ['Outcome'], 'Sum', ''),
        props.rolloutWorkflow.metricFailed({ label: 'rollout executions failed' }),
      ]),
      graph('Jobs', [
        search('jobsEnded', ['Outcome'], 'Sum', ''),
        props.jobWorkflow.metricFailed({ label: 'job executions failed' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Queue depths', [
        ...Object.entries(props.queues).map(([name, q]) => queueDepth(name, q)),
        queueDepth('dead-letter', props.deadLetterQueue),
      ]),
      graph('Endpoint load: in flight (max) and 429s', [
        search('inFlight', ['Endpoint'], 'Maximum', ''),
        search('upstreamThrottles', ['Endpoint'], 'Sum', ''),
      ]),
    );
  }
}
