// Template assertions on the durable path's new parts: the jobs API routes and function (least
// privilege: read the registry, get/put jobs, send to the three queues, nothing else), the worker
// (queue URLs and priority wait for its yield to higher queues), and the dead-letter consumer
// (event source on the DLQ, get/update jobs, the receive count it quotes equals the queues').
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JobWorker } from '../../infra/constructs/job-worker.construct.ts';
import {
  type CfnResource,
  envOf,
  functionByEntry,
  functionEnv,
  type Json,
  props,
  render,
  resources,
  statementsFor,
  synthApp,
  synthStacks,
  tableActions,
} from './template.helpers.ts';

const { statelessTemplate: template, statefulTemplate } = synthApp();
const JOBS = 'functions/jobs/jobs.handler.ts';
const WORKER = 'functions/worker/worker.handler.ts';
const DEAD_LETTER = 'functions/dead-letter/dead-letter.handler.ts';
const WATCH = 'functions/job-watch/execution-ended.handler.ts';

const queueOf = (value: string) => value.replace(/^.*JobQueues([A-Za-z]+?)[0-9A-F]{8}.*$/, '$1');

const env = (entry: string) => functionEnv(template, entry);

describe('jobs API', () => {
  const methods = resources(template, 'AWS::ApiGateway::Method').filter(([, m]) =>
    render((m.Properties?.Integration as { Uri?: Json } | undefined)?.Uri).includes(
      `${functionByEntry(template, JOBS).id}.Arn`,
    ),
  );

  it('serves POST /v1/jobs and GET /v1/jobs/{id} behind the authorizer and an API key', () => {
    expect(methods.map(([, m]) => m.Properties?.HttpMethod).sort()).toEqual(['GET', 'POST']);
    for (const [, m] of methods) {
      expect(m.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true });
    }
    const paths = resources(template, 'AWS::ApiGateway::Resource').map(([, r]) => r.Properties?.PathPart);
    expect(paths).toEqual(expect.arrayContaining(['jobs', '{id}']));
  });

  it('reads the registry, gets and puts job items, sends to the three queues, and nothing else', () => {
    expect(tableActions(template, JOBS, 'Jobs')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(tableActions(template, JOBS, 'Registry')).not.toContain('dynamodb:PutItem');
    expect(tableActions(template, JOBS, 'Registry')).toContain('dynamodb:Query');
    const sqs = statementsFor(template, JOBS, 'sqs:');
    expect(new Set(sqs.flatMap((s) => s.Action))).toEqual(
      new Set(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']),
    );
    expect(
      sqs
        .flatMap((s) => s.Resource)
        .map(queueOf)
        .sort(),
    ).toEqual(['High', 'Low', 'Normal']);
    expect(statementsFor(template, JOBS, 'states:')).toEqual([]);
    expect(tableActions(template, JOBS, 'Health')).toEqual([]);
    expect(tableActions(template, JOBS, 'ApiKeys')).toEqual([]);
  });

  it('knows the three queue URLs, the same values the worker gets', () => {
    for (const p of ['HIGH', 'NORMAL', 'LOW']) {
      const url = render(env(JOBS)[`JOB_QUEUE_${p}_URL`]);
      expect(queueOf(url).toUpperCase()).toBe(p);
      expect(render(env(WORKER)[`JOB_QUEUE_${p}_URL`])).toBe(url);
    }
  });
});

describe('worker', () => {
  it('may receive, delete and read the backlog of all three queues (its yield to higher queues), never send', () => {
    const sqs = statementsFor(template, WORKER, 'sqs:');
    const actions = new Set(sqs.flatMap((s) => s.Action));
    for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'])
      expect(actions).toContain(a);
    expect(actions.has('sqs:SendMessage')).toBe(false);
    expect(env(WORKER).JOB_PRIORITY_WAIT_MS).toBe('15000');
  });

  it('bounds the priority wait by its timeout, leaving 10 s for its own batch', () => {
    const { data, code } = synthStacks();
    new JobWorker(code, 'Short', {
      layers: code.layers,
      queues: data.queues.byPriority,
      jobsTable: data.tables.jobs,
      workflow: code.jobWorkflow.stateMachine,
      timeout: Duration.seconds(14),
    });
    const short = resources(Template.fromStack(code), 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith('Short'),
    );
    expect(envOf(short?.[1]).JOB_PRIORITY_WAIT_MS).toBe('4000');
  });
});

describe('dead-letter consumer', () => {
  const { id } = functionByEntry(template, DEAD_LETTER);

  it('is fed by the dead-letter queue in batches with partial batch failures', () => {
    const mappings = resources(template, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => render(m.Properties?.FunctionName) === `\${${id}}`,
    );
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0] as [string, CfnResource];
    expect(mapping.Properties).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(queueOf(render(mapping.Properties?.EventSourceArn))).toBe('DeadLetter');
  });

  it('gets and updates job items only, and consumes only the dead-letter queue', () => {
    expect(tableActions(template, DEAD_LETTER, 'Jobs')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    const sqs = statementsFor(template, DEAD_LETTER, 'sqs:');
    expect(sqs.flatMap((s) => s.Resource).map(queueOf)).toEqual(['DeadLetter']);
    expect(statementsFor(template, DEAD_LETTER, 'states:')).toEqual([]);
  });

  it("quotes the queues' maxReceiveCount, and the DLQ's visibility covers six of its timeouts", () => {
    const queues = resources(statefulTemplate, 'AWS::SQS::Queue');
    const counts = queues
      .map(
        ([, q]) => (q.Properties?.RedrivePolicy as { maxReceiveCount?: number } | undefined)?.maxReceiveCount,
      )
      .filter((n) => n !== undefined);
    expect(new Set(counts)).toEqual(new Set([5]));
    expect(env(DEAD_LETTER).JOB_MAX_RECEIVE_COUNT).toBe('5');
    const [, dlq] = queues.find(([qid]) => qid.includes('DeadLetter')) as [string, CfnResource];
    const timeout = Number(functionByEntry(template, DEAD_LETTER).fn.Properties?.Timeout);
    expect(Number(dlq.Properties?.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * timeout);
  });
});

describe('workflow safety net', () => {
  it("an EventBridge rule sends the job workflow's FAILED, TIMED_OUT and ABORTED executions to it, retried for a day", () => {
    const { id } = functionByEntry(template, WATCH);
    const rules = resources(template, 'AWS::Events::Rule').filter(([, r]) =>
      ((r.Properties?.Targets as Array<{ Arn: Json }> | undefined) ?? []).some(
        (t) => render(t.Arn) === `\${${id}.Arn}`,
      ),
    );
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0] as [string, CfnResource];
    expect(rule.Properties?.EventPattern).toMatchObject({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    const pattern = props(rule).EventPattern as { detail: { stateMachineArn: Json[] } };
    const sm = pattern.detail.stateMachineArn;
    expect(sm.map(render)).toEqual([expect.stringMatching(/^\$\{JobWorkflowStateMachine[0-9A-F]{8}\}$/)]);
    const [target] = props(rule).Targets as Array<Record<string, Json>>;
    expect(render(target?.Arn)).toBe(`\${${id}.Arn}`);
    expect(target?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 });
  });

  it('gets and updates job items only', () => {
    expect(tableActions(template, WATCH, 'Jobs')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(statementsFor(template, WATCH, 'sqs:')).toEqual([]);
    expect(statementsFor(template, WATCH, 'states:')).toEqual([]);
  });
});
