/**
 * Queue plumbing shared by the commands: queues named by output or URL, the pipeline's DLQs by
 * kind, and a receive loop for the commands that work a DLQ message by message (`restart`,
 * `redrive-stream`). The loop deletes a message only when its handler says it was dealt with, and
 * makes every other message it received visible again when it ends, however it ends.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { CommandContext } from './context';
import { CliError, EXIT } from './errors';
import { findOutput, type DlqOutput, type PipelineOutputs } from './outputs';

/**
 * A queue URL from a URL or an output name (with or without its `Url` suffix), looked up among the
 * pipeline's outputs and the stack's outputs of no pipeline.
 */
export function resolveQueue(pipeline: PipelineOutputs, queue: string): string {
  if (/^https?:\/\//.test(queue)) return queue;
  const outputs = pipeline.outputs;
  const value = findOutput(outputs, queue) ?? findOutput(outputs, `${queue}Url`);
  if (value === undefined) throw new CliError(`no output named ${queue} (or ${queue}Url); give a queue URL or one of: ${Object.keys(outputs).join(', ')}`, EXIT.usage);
  return value;
}

export async function queueAttributes(sqs: SQSClient, url: string): Promise<Record<string, string>> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return out.Attributes ?? {};
}

/**
 * Reads a DLQ's depth and says it (`<what> <url>: N message(s) visible, M in flight`); `toHandle`
 * is the depth, or `max` when smaller.
 */
export async function dlqDepth(ctx: CommandContext, what: string, dlqUrl: string, max: number | undefined): Promise<{ sqs: SQSClient; depth: number; toHandle: number }> {
  const sqs = ctx.clients.sqs();
  const attributes = await queueAttributes(sqs, dlqUrl);
  const depth = Number(attributes.ApproximateNumberOfMessages ?? 0);
  ctx.io.out(`${what} ${dlqUrl}: ${depth} message(s) visible, ${attributes.ApproximateNumberOfMessagesNotVisible ?? 0} in flight`);
  return { sqs, depth, toHandle: max === undefined ? depth : Math.min(depth, max) };
}

/** The DLQs of the pipeline's Kinesis event sources (`KinesisDlq1Url`, `KinesisDlq2Url`, …). */
export function streamDlqs(pipeline: PipelineOutputs): DlqOutput[] {
  return pipeline.dlqs.filter((d) => d.kind === 'stream');
}

/** The batch workflow's DLQ (the output `DlqUrl`: BatchWorkflow names its DLQ `Dlq`). */
export function workflowDlq(pipeline: PipelineOutputs): DlqOutput | undefined {
  return pipeline.dlqs.find((d) => d.kind === 'workflow');
}

/** What a handler decided about a message: delete it (dealt with), or leave it in the DLQ. */
export type Verdict = { readonly done: true } | { readonly leave: string };

export interface WorkDlqOptions {
  /** Messages to handle at most. @default all */
  readonly max?: number;
  /** Messages per receive (1–10). */
  readonly batch: number;
  /** Seconds a received message stays hidden while the loop works on it (and the rest of its receive). */
  readonly visibilitySeconds: number;
  /** Long-poll seconds of the receive that decides the DLQ is empty. @default 2 */
  readonly emptyWaitSeconds?: number;
}

export interface WorkDlqResult {
  /** Messages handed to the handler. */
  readonly handled: number;
  /** Messages deleted (the handler said done). */
  readonly deleted: number;
  /** Messages left in the DLQ, with the handler's reason. */
  readonly left: Array<{ readonly messageId: string; readonly reason: string }>;
}

/** Lets a handler keep its message hidden for longer than the loop's visibility timeout. */
export type ExtendVisibility = (seconds: number) => Promise<void>;

/**
 * Receives the DLQ's messages until it is empty (or `max` were handled) and hands each to
 * `handle` once (a message seen again is skipped). Deletes a message when `handle` returns
 * `{ done: true }`; leaves it otherwise. Messages left, received beyond `max`, or in hand when
 * `handle` throws are made visible again at the end (best effort), and the error is rethrown.
 */
export async function workDlq(
  sqs: SQSClient,
  dlqUrl: string,
  options: WorkDlqOptions,
  handle: (message: Message, extend: ExtendVisibility) => Promise<Verdict>,
): Promise<WorkDlqResult> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  const toRelease = new Map<string, string>(); // message id → receipt handle
  const left: Array<{ messageId: string; reason: string }> = [];
  let handled = 0;
  let deleted = 0;
  try {
    while (handled < max) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.max(1, Math.min(options.batch, 10, max - handled)),
          VisibilityTimeout: options.visibilitySeconds,
          WaitTimeSeconds: options.emptyWaitSeconds ?? 2,
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = (received.Messages ?? []).filter((m) => !seen.has(m.MessageId ?? ''));
      // Hidden by this receive: each is made visible again at the end unless it is deleted.
      for (const m of received.Messages ?? []) {
        if (toRelease.has(m.MessageId ?? '') || fresh.includes(m)) toRelease.set(m.MessageId ?? '', m.ReceiptHandle ?? '');
      }
      if (fresh.length === 0) break;
      for (const message of fresh) {
        const id = message.MessageId ?? '';
        seen.add(id);
        if (handled >= max) continue;
        handled++;
        const extend: ExtendVisibility = async (seconds) => {
          await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: Math.min(43_200, Math.ceil(seconds)) }));
        };
        const verdict = await handle(message, extend);
        if ('done' in verdict) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }));
          toRelease.delete(id);
          deleted++;
        } else {
          left.push({ messageId: id, reason: verdict.leave });
        }
      }
    }
  } finally {
    for (const receiptHandle of toRelease.values()) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })).catch(() => undefined);
    }
  }
  return { handled, deleted, left };
}
