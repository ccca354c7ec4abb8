/**
 * `redrive` of a current table's merge DLQ. The DLQ holds three kinds of message, and only the
 * first is a message of the merge queue that a plain move (StartMessageMoveTask) would put back
 * correctly:
 * - `{"bucket","key"}` of a curated object whose MERGE failed `maxMergeAttempts` times: sent back
 *   to the merge queue as it is;
 * - an S3 `Object Created` event EventBridge could not deliver to the merge queue (a rule target's
 *   DLQ holds the original event, not the rule's input): sent as the `{"bucket","key"}` the rule
 *   would have written — moved as it is, the merge would reject it and it would come back here;
 * - a start of the merge or maintenance state machine EventBridge could not deliver (a schedule
 *   tick, a batch run's completion): it names no object, so there is nothing to move; it is
 *   deleted and the command says to start a merge (`merge`), which takes every pending object.
 * Anything else is reported and left in the DLQ (exit 4). Messages are moved at most `rate` per
 * second; a message is deleted only once its object was sent.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { PendingObjectMessage } from '../../lib/contract/lakehouse/merge-steps';
import { confirm } from '../confirm';
import { CliError, EXIT, RateLimiter, realSleep, type CommandContext } from '../context';
import { dlqDepth, workDlq } from '../queues';
import { parseRun } from './restart';

/** What a merge DLQ message stands for. */
export type MergeDlqMessage =
  | { readonly object: PendingObjectMessage; readonly origin: 'failed merge' | 'undelivered object event' }
  | { readonly start: string }
  | { readonly problem: string };

/** Options of the merge DLQ's redrive. */
export interface RedriveMergeOptions {
  readonly dlqUrl: string;
  /** The merge queue's URL. */
  readonly mergeQueueUrl: string;
  /** Messages per second at most. */
  readonly rate: number;
  /** Messages to handle at most. @default all */
  readonly max?: number;
  /** Long-poll seconds of the receive that decides the DLQ is empty. @default 2 */
  readonly emptyWaitSeconds?: number;
}

/** What the redrive did. */
export interface RedriveMergeResult {
  /** Objects sent back to the merge queue (or, in a dry run, that would be). */
  readonly moved: number;
  /** Undelivered state machine starts deleted (or that would be). */
  readonly starts: number;
  /** Messages left in the DLQ and why. */
  readonly left: Array<{ readonly messageId: string; readonly reason: string }>;
}

/** Moves the merge DLQ's objects back to the merge queue: see the module's description. */
export async function redriveMergeDlq(ctx: CommandContext, options: RedriveMergeOptions): Promise<RedriveMergeResult> {
  const { sqs, toHandle } = await dlqDepth(ctx, 'merge DLQ', options.dlqUrl, options.max);
  ctx.io.out(`destination ${options.mergeQueueUrl} (the merge queue); rate ≤ ${options.rate}/s${options.max !== undefined ? `; at most ${options.max}` : ''}`);
  if (toHandle === 0) {
    ctx.io.out('nothing to redrive');
    return { moved: 0, starts: 0, left: [] };
  }
  if (!ctx.dryRun) await confirm(ctx.io, ctx.yes, `move the curated objects of ${toHandle} message(s) from ${options.dlqUrl} to the merge queue ${options.mergeQueueUrl}`);
  const limiter = new RateLimiter(options.rate, ctx.sleep ?? realSleep);
  let moved = 0;
  let starts = 0;
  const would = ctx.dryRun ? 'would ' : '';
  const work = { max: options.max, batch: 10, visibilitySeconds: Math.ceil(10 / options.rate) + 60, emptyWaitSeconds: options.emptyWaitSeconds };
  const result = await workDlq(sqs, options.dlqUrl, work, async (message) => {
    const id = message.MessageId ?? '';
    const parsed = parseMergeDlqMessage(message.Body, message.MessageAttributes?.TARGET_ARN?.StringValue);
    if ('problem' in parsed) {
      ctx.io.err(`message ${id}: not redriven: ${parsed.problem}; left in the DLQ`);
      return { leave: parsed.problem };
    }
    if ('start' in parsed) {
      starts++;
      ctx.io.out(`message ${id}: ${parsed.start}: nothing to move, ${would}delete${ctx.dryRun ? '' : 'd'}`);
      return ctx.dryRun ? { leave: 'dry run' } : { done: true };
    }
    moved++;
    const where = `s3://${parsed.object.bucket}/${parsed.object.key}`;
    if (ctx.dryRun) {
      ctx.io.out(`  would move: ${where} (${parsed.origin})`);
      return { leave: 'dry run' };
    }
    await limiter.take();
    await sqs.send(new SendMessageCommand({ QueueUrl: options.mergeQueueUrl, MessageBody: JSON.stringify(parsed.object) }));
    ctx.io.out(`moved ${moved}: ${where} (${parsed.origin})`);
    return { done: true };
  });
  const notUnderstood = result.left.filter((l) => l.reason !== 'dry run');
  ctx.io.out(
    `${ctx.dryRun ? 'dry run: would move' : 'redrive done: moved'} ${moved} object(s) to the merge queue, ${would}delete${ctx.dryRun ? '' : 'd'} ${starts} undelivered start(s), ` +
      `${notUnderstood.length} message(s) not understood${ctx.dryRun ? '; nothing changed' : ' and left in the DLQ'}`,
  );
  if (!ctx.dryRun && moved + starts > 0) ctx.io.out('the next merge takes them (every 15 minutes by default); to merge now: `cdk-serverless-etl merge --wait`');
  if (notUnderstood.length > 0) {
    throw new CliError(`${notUnderstood.length} message(s) in ${options.dlqUrl} are not merge DLQ messages this command understands (listed above); they were left in the DLQ`, EXIT.partial);
  }
  return { moved, starts, left: result.left };
}

/**
 * A merge DLQ message: a curated object (`{"bucket","key"}`, or the S3 event EventBridge could not
 * deliver), an undelivered start of a state machine (its `TARGET_ARN` attribute names one, or it is
 * a scheduled or batch workflow event), or why it is neither.
 */
export function parseMergeDlqMessage(body: string | undefined, targetArn?: string): MergeDlqMessage {
  const run = parseRun(body);
  if (!('problem' in run)) {
    return { object: { bucket: run.bucket, key: run.key }, origin: run.origin === 'start event' ? 'undelivered object event' : 'failed merge' };
  }
  let event: { source?: unknown; 'detail-type'?: unknown } | undefined;
  try {
    event = JSON.parse(body ?? '') as typeof event;
  } catch {
    // not JSON: the problem parseRun gave
  }
  const detailType = typeof event?.['detail-type'] === 'string' ? event['detail-type'] : undefined;
  if (targetArn?.includes(':stateMachine:') || (detailType !== undefined && typeof event?.source === 'string' && event.source !== 'aws.s3')) {
    return { start: `an undelivered state machine start (${detailType ?? 'event'}${targetArn ? ` for ${targetArn}` : ''})` };
  }
  return { problem: run.problem.startsWith('the body is not') ? run.problem : 'not a curated object ({"bucket","key"}), an S3 Object Created event or an undelivered state machine start' };
}
