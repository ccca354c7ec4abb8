/**
 * `redrive`: moves a dead-letter queue's messages back to its source queue, at most `rate` per
 * second. Uses SQS StartMessageMoveTask (and polls ListMessageMoveTasks) when the API is there and
 * no `--max` or `--manual` asks otherwise; else moves the messages itself: receive, send to the
 * source, delete. Redriven records are never curated twice (the runtime's idempotency store). A
 * current table's merge DLQ is redriven object by object to the merge queue (redrive-merge.ts).
 */
import {
  DeleteMessageCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { confirm } from '../confirm';
import { CliError, errorName, EXIT, RateLimiter, realSleep, type CommandContext } from '../context';
import { findOutputs, scopeOf, type PipelineOutputs } from '../outputs';
import { queueAttributes, resolveQueue, streamDlqs, workflowDlq } from '../queues';
import { redriveMergeDlq } from './redrive-merge';

export interface RedriveOptions {
  /** The DLQ: an output name (`BufferDlqUrl`, `BufferDlq`) or a queue URL. @default the buffer DLQ, or the only DLQ */
  readonly queue?: string;
  /** The destination: an output name or a queue URL. @default the DLQ's source queue (RedrivePolicy) */
  readonly to?: string;
  /** Messages per second at most. @default 10 */
  readonly rate?: number;
  /** Messages to move at most (forces the manual move). @default all */
  readonly max?: number;
  /** Move the messages here instead of StartMessageMoveTask. */
  readonly manual?: boolean;
  /** Long-poll seconds of the receive that decides the DLQ is empty. @default 2 */
  readonly emptyWaitSeconds?: number;
  /** Milliseconds between ListMessageMoveTasks polls. @default 5000 */
  readonly pollMs?: number;
}

export interface RedriveResult {
  /** How: an SQS move task, moved here, nothing (dry run), or the merge DLQ's objects sent to the merge queue. */
  readonly method: 'move-task' | 'manual' | 'dry-run' | 'merge-objects';
  readonly moved: number;
  readonly dlqUrl: string;
  readonly targetUrl?: string;
}

const DEFAULT_RATE = 10;
/** StartMessageMoveTask's upper bound of MaxNumberOfMessagesPerSecond. */
const MOVE_TASK_MAX_RATE = 500;

export async function redrive(ctx: CommandContext, options: RedriveOptions): Promise<RedriveResult> {
  const sleep = ctx.sleep ?? realSleep;
  const rate = options.rate ?? DEFAULT_RATE;
  if (!(rate > 0)) throw new CliError(`--rate must be a positive number of messages per second, got ${rate}`, EXIT.usage);
  if (options.max !== undefined && !(Number.isInteger(options.max) && options.max > 0)) {
    throw new CliError(`--max must be a positive integer, got ${options.max}`, EXIT.usage);
  }
  const dlqUrl = resolveDlq(ctx.pipeline, options.queue);
  if (!options.to) refuseOtherKinds(ctx.pipeline, dlqUrl);
  const sqs = ctx.clients.sqs();
  if (!options.to && ctx.pipeline.dlqs.some((d) => d.kind === 'merge' && d.url === dlqUrl)) {
    // Not a plain move: the merge DLQ also holds events EventBridge could not deliver (redrive-merge.ts).
    const mergeQueueUrl = ctx.pipeline.mergeQueueUrl ?? (await findSourceQueue(sqs, ctx.pipeline, dlqUrl, (await queueAttributes(sqs, dlqUrl)).QueueArn as string));
    const done = await redriveMergeDlq(ctx, { dlqUrl, mergeQueueUrl, rate, max: options.max, emptyWaitSeconds: options.emptyWaitSeconds });
    return { method: ctx.dryRun ? 'dry-run' : 'merge-objects', moved: ctx.dryRun ? 0 : done.moved, dlqUrl, targetUrl: mergeQueueUrl };
  }
  const dlq = await queueAttributes(sqs, dlqUrl);
  const depth = Number(dlq.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(dlq.ApproximateNumberOfMessagesNotVisible ?? 0);
  const targetUrl = options.to ? resolveQueue(ctx.pipeline, options.to) : await findSourceQueue(sqs, ctx.pipeline, dlqUrl, dlq.QueueArn as string);
  const toMove = options.max === undefined ? depth : Math.min(depth, options.max);
  ctx.io.out(`DLQ ${dlqUrl}: ${depth} message(s) visible, ${inFlight} in flight`);
  ctx.io.out(`destination ${targetUrl}; rate ≤ ${rate}/s${options.max !== undefined ? `; at most ${options.max}` : ''}`);

  if (ctx.dryRun) {
    ctx.io.out(`dry run: would move ${toMove} message(s) (about ${Math.ceil(toMove / rate)} s); nothing moved`);
    return { method: 'dry-run', moved: 0, dlqUrl, targetUrl };
  }
  if (toMove === 0) {
    ctx.io.out('nothing to redrive');
    return { method: 'manual', moved: 0, dlqUrl, targetUrl };
  }
  await confirm(ctx.io, ctx.yes, `move ${toMove} message(s) from ${dlqUrl} to ${targetUrl}`);

  if (!options.manual && options.max === undefined && rate <= MOVE_TASK_MAX_RATE) {
    const targetArn = (await queueAttributes(sqs, targetUrl)).QueueArn as string;
    const moved = await tryMoveTask(ctx, sqs, dlq.QueueArn as string, targetArn, rate, options.pollMs ?? 5000, sleep);
    if (moved !== undefined) return { method: 'move-task', moved, dlqUrl, targetUrl };
  }
  const moved = await moveManually(ctx, sqs, dlqUrl, targetUrl, rate, options, sleep);
  return { method: 'manual', moved, dlqUrl, targetUrl };
}

/** The DLQ's URL from `--queue`, or the pipeline's default DLQ: the buffer's, else the only one. */
function resolveDlq(pipeline: PipelineOutputs, queue: string | undefined): string {
  if (queue) return resolveQueue(pipeline, queue);
  const buffer = pipeline.dlqs.filter((d) => d.kind === 'buffer');
  if (buffer.length === 1) return buffer[0].url;
  // The DLQs of records: a Kinesis source's holds batch ranges and the workflow's holds runs.
  const dlqs = pipeline.dlqs.filter((d) => d.kind !== 'stream' && d.kind !== 'workflow');
  if (dlqs.length === 1) return dlqs[0].url;
  throw new CliError(
    dlqs.length === 0
      ? `${scopeOf(pipeline)} has no DLQ of records (*DlqUrl output)${pipeline.dlqs.length > 0 ? ` (its ${pipeline.dlqs.map((d) => d.name).join(', ')}: see redrive-stream and restart)` : ''}; give the queue with --queue <url>`
      : `several DLQs (${dlqs.map((d) => d.key).join(', ')}); choose one with --queue`,
    EXIT.usage,
  );
}

/**
 * The DLQs whose messages are not records of a source queue: a Kinesis event source's (batch
 * ranges) and the batch workflow's (runs). Moving them to a queue would lose them.
 */
function refuseOtherKinds(pipeline: PipelineOutputs, dlqUrl: string): void {
  const stream = streamDlqs(pipeline).find((d) => d.url === dlqUrl);
  if (stream) {
    throw new CliError(`${stream.key} holds Kinesis batch ranges, not records: use \`redrive-stream --queue ${stream.key}\` to put the ranges' records back on the stream`, EXIT.usage);
  }
  const workflow = workflowDlq(pipeline);
  if (workflow && workflow.url === dlqUrl) {
    throw new CliError(`${workflow.key} holds batch workflow runs, not records: use \`restart\` to start their executions again`, EXIT.usage);
  }
}

function isUnavailable(error: unknown): boolean {
  return /InvalidAction|UnknownOperation|UnsupportedOperation|Unknown action|not implemented/i.test(errorName(error));
}

/**
 * The queue whose RedrivePolicy targets the DLQ: first among the stack's queue outputs, then
 * ListDeadLetterSourceQueues, then every queue of the account and region.
 */
async function findSourceQueue(sqs: SQSClient, pipeline: PipelineOutputs, dlqUrl: string, dlqArn: string): Promise<string> {
  const targets = async (url: string) => {
    if (url === dlqUrl) return false;
    try {
      const policy = (await queueAttributes(sqs, url)).RedrivePolicy;
      return policy !== undefined && (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn === dlqArn;
    } catch {
      return false;
    }
  };
  const fromOutputs = findOutputs(pipeline.outputs, 'QueueUrl').map(([, v]) => v);
  for (const url of fromOutputs) if (await targets(url)) return url;

  let sources: string[] | undefined;
  try {
    sources = (await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }))).queueUrls ?? [];
  } catch (error) {
    if (!isUnavailable(error)) throw error;
    sources = [];
    let token: string | undefined;
    do {
      const page = await sqs.send(new ListQueuesCommand({ NextToken: token, MaxResults: 1000 }));
      for (const url of page.QueueUrls ?? []) if (await targets(url)) sources.push(url);
      token = page.NextToken;
    } while (token);
  }
  if (sources.length === 1) return sources[0];
  throw new CliError(
    sources.length === 0
      ? `no queue has ${dlqArn} as its dead-letter queue (a DLQ of Kinesis batches or workflow runs has no source queue: see redrive-stream and restart); give the destination with --to`
      : `several queues use ${dlqArn} as DLQ (${sources.join(', ')}); choose one with --to`,
    EXIT.usage,
  );
}

/** Runs a move task to completion; `undefined` when the API is not available. */
async function tryMoveTask(
  ctx: CommandContext,
  sqs: SQSClient,
  sourceArn: string,
  destinationArn: string,
  rate: number,
  pollMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<number | undefined> {
  let handle: string | undefined;
  try {
    handle = (
      await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn, MaxNumberOfMessagesPerSecond: Math.ceil(rate) }))
    ).TaskHandle;
  } catch (error) {
    if (!isUnavailable(error)) throw error;
    ctx.io.err(`StartMessageMoveTask is not available here (${errorName(error).trim()}); moving the messages directly`);
    return undefined;
  }
  ctx.io.out(`started message move task ${handle ?? ''}`.trim());
  for (;;) {
    await sleep(pollMs);
    const task = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }))).Results?.[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    ctx.io.out(`move task ${task?.Status ?? 'UNKNOWN'}: ${moved}/${task?.ApproximateNumberOfMessagesToMove ?? '?'} moved`);
    if (!task || task.Status === 'COMPLETED') return moved;
    if (task.Status === 'FAILED' || task.Status === 'CANCELLED') {
      throw new CliError(`message move task ${task.Status}${task.FailureReason ? `: ${task.FailureReason}` : ''} after ${moved} message(s)`);
    }
  }
}

/** Receives from the DLQ, sends to the target, deletes; paced to `rate`; until empty or `max`. */
async function moveManually(
  ctx: CommandContext,
  sqs: SQSClient,
  dlqUrl: string,
  targetUrl: string,
  rate: number,
  options: RedriveOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<number> {
  const limiter = new RateLimiter(rate, sleep);
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const fifo = targetUrl.endsWith('.fifo');
  let moved = 0;
  while (moved < max) {
    const want = Math.min(10, max - moved);
    // Hidden long enough to send them all at the rate cap, and then some.
    const visibility = Math.min(43_200, Math.ceil(want / rate) + 30);
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: want,
        VisibilityTimeout: visibility,
        WaitTimeSeconds: options.emptyWaitSeconds ?? 2,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;
    for (const message of messages) {
      await limiter.take();
      await sqs.send(new SendMessageCommand(copyOf(message, targetUrl, fifo)));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }));
      moved++;
      if (moved % 10 === 0 || moved === max) ctx.io.out(`moved ${moved}${Number.isFinite(max) ? `/${max}` : ''}`);
    }
  }
  ctx.io.out(`redrive done: ${moved} message(s) moved to ${targetUrl}`);
  return moved;
}

function copyOf(message: Message, targetUrl: string, fifo: boolean): SendMessageCommand['input'] {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, a] of Object.entries(message.MessageAttributes ?? {})) {
    attributes[name] = { DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue };
  }
  return {
    QueueUrl: targetUrl,
    MessageBody: message.Body ?? '',
    MessageAttributes: Object.keys(attributes).length > 0 ? attributes : undefined,
    MessageGroupId: fifo ? (message.Attributes?.MessageGroupId ?? 'redrive') : undefined,
    MessageDeduplicationId: fifo ? (message.Attributes?.MessageDeduplicationId ?? message.MessageId) : undefined,
  };
}
