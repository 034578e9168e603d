// JobQueue over SQS: one queue per priority, JSON message bodies, the priority (and tenant) as
// message attributes so consumers and redrive tools can read them without parsing the body.
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { JobMessage, JobPriority, JobQueue } from '@switchyard/core';

export interface SqsJobQueueOptions {
  client: SQSClient;
  queueUrls: Readonly<Record<JobPriority, string>>;
}

export class SqsJobQueue implements JobQueue {
  readonly #client: SQSClient;
  readonly #queueUrls: Readonly<Record<JobPriority, string>>;

  constructor(options: SqsJobQueueOptions) {
    this.#client = options.client;
    this.#queueUrls = options.queueUrls;
  }

  async send(message: JobMessage, priority: JobPriority): Promise<void> {
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrls[priority],
        MessageBody: JSON.stringify(message),
        MessageAttributes: {
          priority: { DataType: 'String', StringValue: priority },
          tenant: { DataType: 'String', StringValue: message.tenant },
        },
      }),
    );
  }
}
