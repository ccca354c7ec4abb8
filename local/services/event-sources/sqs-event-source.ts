import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ConcurrencyGauge } from '../../functions/concurrency-gauge';
import { emptyStats, type BatchHandler, type PollStats } from './types';

/** The settings of an SQS event source mapping that the local run honours. */
export interface SqsMappingOptions {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: BatchHandler;
  /** Messages per invocation (at most 10 per receive call). @default 10 */
  readonly batchSize?: number;
  /**
   * Seconds before a failed message is visible again. AWS waits for the queue's visibility
   * timeout; a local run may shorten it. @default 0
   */
  readonly retryDelaySeconds?: number;
  /**
   * Invocations in flight at once: pollers that each receive a batch and wait for its invocation
   * (the mapping's MaximumConcurrency). @default 1
   */
  readonly concurrency?: number;
  /** Stop after this many invocations (a safety bound). @default 100000 */
  readonly maxInvocations?: number;
  readonly region?: string;
  /**
   * Whether the mapping is enabled: checked before each receive; a disabled mapping receives
   * nothing more (its messages stay in the queue), the batches in flight finish. @default always
   */
  readonly active?: () => boolean;
}

/**
 * Consumes an SQS queue like a Lambda event source mapping with ReportBatchItemFailures:
 * `concurrency` pollers each receive a batch, invoke the handler and wait for it, so up to that
 * many invocations are in flight at once (the mapping's MaximumConcurrency). Messages of a
 * successful invocation are deleted, failed ones (or all, when the handler throws) become visible
 * again, and the queue's redrive policy moves a message to its DLQ after `maxReceiveCount`
 * receives. A received message stays invisible to the other pollers for the queue's visibility
 * timeout. Runs until the queue is empty (nothing visible, in flight or delayed).
 */
export async function drainSqs(sqs: SQSClient, options: SqsMappingOptions): Promise<PollStats> {
  const stats = emptyStats();
  const gauge = new ConcurrencyGauge();
  const maxInvocations = options.maxInvocations ?? 100000;
  const poller = async () => {
    while (stats.invocations < maxInvocations && (options.active?.() ?? true)) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: Math.min(options.batchSize ?? 10, 10),
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) {
        if (await isEmpty(sqs, options.queueUrl)) break;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      stats.invocations++;
      stats.recordsDelivered += messages.length;
      await gauge.track(() => deliver(sqs, messages, options, stats));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(options.concurrency ?? 1)) }, poller));
  stats.peakConcurrentInvocations = gauge.peak;
  return stats;
}

/** One invocation with a received batch, then its messages deleted (done) or made visible again (failed). */
async function deliver(sqs: SQSClient, messages: Message[], options: SqsMappingOptions, stats: PollStats): Promise<void> {
  let failed: Set<string>;
  try {
    const response = await options.handler(sqsEvent(messages, options));
    const failures = (response && response.batchItemFailures) || [];
    stats.itemFailures += failures.length;
    failed = new Set(failures.map((f) => f.itemIdentifier));
  } catch {
    stats.functionErrors++;
    failed = new Set(messages.map((m) => m.MessageId as string));
  }
  const done = messages.filter((m) => !failed.has(m.MessageId as string));
  const retry = messages.filter((m) => failed.has(m.MessageId as string));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
      }),
    );
  }
  if (retry.length > 0) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: retry.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string, VisibilityTimeout: options.retryDelaySeconds ?? 0 })),
      }),
    );
  }
}

async function isEmpty(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = out.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0) === 0
  );
}

function sqsEvent(messages: Message[], options: SqsMappingOptions) {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: options.queueArn,
      awsRegion: options.region ?? 'us-east-1',
    })),
  };
}
