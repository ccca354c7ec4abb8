import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AcknowledgeMergedInput, AcknowledgedMerge, CollectPendingInput, PendingMerge, PendingObjectMessage } from '../../../lib/contract/lakehouse/merge-steps';
import { curatedObjectPartition, mergeSqlBatches } from '../../../lib/contract/lakehouse/sql';

/** SQS returns at most 10 messages per receive, and deletes at most 10 per batch. */
const SQS_BATCH = 10;

/**
 * Takes up to `maxObjects` distinct curated objects from the merge queue and builds the MERGE
 * statements over exactly them. The messages stay in flight (invisible for the queue's visibility
 * timeout) until {@link acknowledgeMerged} deletes them after the MERGE committed; if it never
 * does, they come back and are merged again, which changes nothing (the MERGE is idempotent).
 * Several messages of one object (an object rewritten by a retried batch) make one path, all their
 * receipts acknowledged together. A message that is not a curated object's is left alone: it comes
 * back after the visibility timeout and reaches the queue's DLQ after its maxReceiveCount.
 */
export async function collectPending(sqs: SQSClient, queueUrl: string, input: CollectPendingInput): Promise<PendingMerge> {
  if (!Number.isInteger(input.maxObjects) || input.maxObjects < 1 || input.maxObjects > 1000) {
    throw new RangeError(`maxObjects must be an integer from 1 to 1,000, got ${input.maxObjects}`);
  }
  const objects = new Set<string>();
  const receipts: string[] = [];
  let rejected = 0;
  let more = false;
  while (objects.size < input.maxObjects) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: SQS_BATCH, WaitTimeSeconds: objects.size === 0 ? 1 : 0 }),
    );
    if (messages.length === 0) break;
    for (const message of messages) {
      const path = objectPath(message.Body);
      if (path === undefined || message.ReceiptHandle === undefined) {
        rejected++;
        continue;
      }
      objects.add(path);
      receipts.push(message.ReceiptHandle);
    }
    more = objects.size >= input.maxObjects;
  }
  const sorted = [...objects].sort();
  return {
    objects: sorted,
    count: sorted.length,
    statements: sorted.length > 0 ? mergeSqlBatches(input.spec, sorted) : [],
    receipts,
    rejected,
    more,
  };
}

/**
 * Deletes the messages of merged objects, ten per call. A receipt SQS reports failed for a
 * reason other than an expired receipt is an error (the state machine retries); an expired
 * receipt means the message came back and will be merged again, harmlessly.
 */
export async function acknowledgeMerged(sqs: SQSClient, queueUrl: string, input: AcknowledgeMergedInput): Promise<AcknowledgedMerge> {
  let deleted = 0;
  for (let i = 0; i < input.receipts.length; i += SQS_BATCH) {
    const entries = input.receipts.slice(i, i + SQS_BATCH).map((receipt, n) => ({ Id: String(n), ReceiptHandle: receipt }));
    const result = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    deleted += result.Successful?.length ?? 0;
    const failed = (result.Failed ?? []).filter((f) => f.Code !== 'ReceiptHandleIsInvalid');
    if (failed.length > 0) throw new Error(`could not delete ${failed.length} merged message(s): ${failed.map((f) => `${f.Code}: ${f.Message ?? ''}`).join('; ')}`);
  }
  return { deleted };
}

/** The `s3://` URI of the curated object a message names, or undefined when it names none. */
export function objectPath(body: string | undefined): string | undefined {
  let message: Partial<PendingObjectMessage>;
  try {
    message = JSON.parse(body ?? '') as Partial<PendingObjectMessage>;
  } catch {
    return undefined;
  }
  if (typeof message?.bucket !== 'string' || typeof message.key !== 'string') return undefined;
  // S3 event notifications URL-encode keys; curated keys never hold a literal "%".
  let key = message.key;
  try {
    if (key.includes('%') || key.includes('+')) key = decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
  const path = `s3://${message.bucket}/${key}`;
  try {
    curatedObjectPartition(path);
  } catch {
    return undefined;
  }
  return path;
}
