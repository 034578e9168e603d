// JobMessageSource over SQS: what the worker does with the priority queues besides the batch its
// event source hands it. It receives from a higher-priority queue itself (short poll), deletes
// only what it has started, and reads each queue's backlog (visible + in flight) to decide when
// a lower-priority batch may go.
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { JobMessageSource, JobPriority, ReceivedJobMessage } from '@switchyard/core';

export interface SqsJobMessageSourceOptions {
  client: SQSClient;
  queueUrls: Readonly<Record<JobPriority, string>>;
}

export class SqsJobMessageSource implements JobMessageSource {
  readonly #client: SQSClient;
  readonly #queueUrls: Readonly<Record<JobPriority, string>>;

  constructor(options: SqsJobMessageSourceOptions) {
    this.#client = options.client;
    this.#queueUrls = options.queueUrls;
  }

  async receive(priority: JobPriority, max: number): Promise<ReceivedJobMessage[]> {
    const out = await this.#client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#queueUrls[priority],
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        WaitTimeSeconds: 0,
      }),
    );
    return (out.Messages ?? []).map((m) => ({
      message_id: m.MessageId ?? '',
      body: m.Body ?? '',
      receipt: m.ReceiptHandle ?? '',
    }));
  }

  /**
   * Deletes up to ten messages per call. A receipt that fails to delete is left: the message
   * comes back after its visibility timeout and starting its job again is harmless.
   */
  async delete(priority: JobPriority, receipts: readonly string[]): Promise<void> {
    for (let i = 0; i < receipts.length; i += 10) {
      const chunk = receipts.slice(i, i + 10);
      await this.#client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#queueUrls[priority],
          Entries: chunk.map((receipt, j) => ({ Id: String(j), ReceiptHandle: receipt })),
        }),
      );
    }
  }

  async backlog(priority: JobPriority): Promise<{ visible: number; in_flight: number }> {
    const out = await this.#client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.#queueUrls[priority],
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      in_flight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }
}
