/**
 * `restart`: starts the batch workflow again for each run parked in its DLQ, at most `rate` per
 * second, and deletes each message once its execution started. The DLQ holds three kinds of
 * message, all understood here:
 * - `SendToDlq` of a failed or paused run: `{ pipeline, bucket, key, error, cause, executionId }`;
 * - the `AbandonedRuns` rule, for timed-out and aborted runs: `{ pipeline, error, executionArn,
 *   input }`, `input` being the execution's JSON input;
 * - a start event EventBridge could not deliver to the state machine: the original S3
 *   `Object Created` event.
 * Anything else (a scheduled start event, whose object the event does not name; a body that is not
 * one of these) is reported, counted and left in the DLQ. Each execution is named after its
 * message, so running `restart` again after an interruption does not start a run twice.
 * While the pipeline is paused, restarted runs would stop at `CheckPaused` and come back to the
 * DLQ: `restart` refuses unless `--force`.
 */
import { createHash } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { confirm } from '../confirm';
import { CliError, errorName, EXIT, RateLimiter, realSleep, type CommandContext } from '../context';
import { requireOutput, scopeOf } from '../outputs';
import { dlqDepth, resolveQueue, workDlq, workflowDlq } from '../queues';

export interface RestartOptions {
  /** The workflow DLQ: an output name or a queue URL. @default the DLQ output beside the state machine's */
  readonly queue?: string;
  /** Executions started per second at most. @default 5 */
  readonly rate?: number;
  /** Messages to handle at most. @default all */
  readonly max?: number;
  /** Restart even while the pipeline is paused. */
  readonly force?: boolean;
  /** Long-poll seconds of the receive that decides the DLQ is empty. @default 2 */
  readonly emptyWaitSeconds?: number;
}

export interface RestartResult {
  readonly dlqUrl: string;
  /** Runs started (or, in a dry run, that would be). */
  readonly runs: Array<{ readonly bucket: string; readonly key: string; readonly messageId: string; readonly executionArn?: string }>;
  /** Messages deleted. */
  readonly deleted: number;
  /** Messages left in the DLQ and why. */
  readonly left: Array<{ readonly messageId: string; readonly reason: string }>;
}

/** A run to restart, or why the message does not name one. */
export type ParsedRun =
  | { readonly bucket: string; readonly key: string; readonly error?: string; readonly origin: 'failed run' | 'abandoned run' | 'start event' }
  | { readonly problem: string };

const DEFAULT_RATE = 5;

export async function restart(ctx: CommandContext, options: RestartOptions): Promise<RestartResult> {
  const rate = options.rate ?? DEFAULT_RATE;
  const stateMachineArn = requireOutput(ctx.pipeline, 'stateMachineArn', 'to restart batch workflow runs');
  const dlqUrl = options.queue ? resolveQueue(ctx.pipeline, options.queue) : defaultDlq(ctx);
  const { sqs, toHandle } = await dlqDepth(ctx, 'workflow DLQ', dlqUrl, options.max);
  ctx.io.out(`state machine ${stateMachineArn}; rate ≤ ${rate}/s${options.max !== undefined ? `; at most ${options.max} message(s)` : ''}`);
  await checkPaused(ctx, options.force ?? false);

  if (toHandle === 0) {
    ctx.io.out('nothing to restart');
    return { dlqUrl, runs: [], deleted: 0, left: [] };
  }
  if (!ctx.dryRun) await confirm(ctx.io, ctx.yes, `restart the batch workflow runs of ${toHandle} message(s) from ${dlqUrl}`);

  const sfn = ctx.clients.sfn();
  const limiter = new RateLimiter(rate, ctx.sleep ?? realSleep);
  const runs: Array<{ bucket: string; key: string; messageId: string; executionArn?: string }> = [];
  const byObject = new Map<string, string>(); // object → execution ARN, one run per object
  const verb = ctx.dryRun ? 'would restart' : 'restarted';
  const result = await workDlq(sqs, dlqUrl, { max: options.max, batch: 10, visibilitySeconds: Math.ceil(10 / rate) + 60, emptyWaitSeconds: options.emptyWaitSeconds }, async (message) => {
    const id = message.MessageId ?? '';
    const run = parseRun(message.Body);
    if ('problem' in run) {
      ctx.io.err(`message ${id}: cannot restart: ${run.problem}; left in the DLQ`);
      return { leave: run.problem };
    }
    const where = `s3://${run.bucket}/${run.key}`;
    const object = JSON.stringify([run.bucket, run.key]);
    const earlier = byObject.get(object);
    if (earlier !== undefined) {
      ctx.io.out(`${where} (${run.origin}, message ${id}): already ${verb} in this run (${earlier})${ctx.dryRun ? '' : '; message deleted'}`);
      return ctx.dryRun ? { leave: 'dry run' } : { done: true };
    }
    if (ctx.dryRun) {
      byObject.set(object, `message ${id}`);
      runs.push({ bucket: run.bucket, key: run.key, messageId: id });
      ctx.io.out(`  would restart: ${where} (${run.origin}${run.error ? `: ${run.error}` : ''})`);
      return { leave: 'dry run' };
    }
    await limiter.take();
    const name = `restart-${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
    let executionArn: string;
    try {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ bucket: run.bucket, key: run.key }) }));
      executionArn = out.executionArn ?? name;
    } catch (error) {
      if (!/ExecutionAlreadyExists/.test(errorName(error))) {
        const e = error as { name?: string; message?: string };
        throw new CliError(
          `StartExecution failed for ${where} (message ${id}): ${e.name ?? 'Error'}: ${e.message ?? String(error)}; ${runs.length} run(s) restarted before it, the rest are still in the DLQ`,
        );
      }
      // Started by an earlier, interrupted `restart` (the name is the message's): it ran, so the message is done.
      executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      ctx.io.out(`${where}: execution ${name} was already started by an earlier restart`);
    }
    byObject.set(object, executionArn);
    runs.push({ bucket: run.bucket, key: run.key, messageId: id, executionArn });
    ctx.io.out(`restarted ${runs.length}: ${where} (${run.origin}${run.error ? `: ${run.error}` : ''}) → ${executionArn}`);
    return { done: true };
  });

  const notUnderstood = result.left.filter((l) => l.reason !== 'dry run');
  ctx.io.out(
    ctx.dryRun
      ? `dry run: would restart ${runs.length} run(s) from ${result.handled} message(s); ${notUnderstood.length} message(s) not understood; nothing started`
      : `restart done: ${runs.length} run(s) started, ${result.deleted} message(s) deleted, ${notUnderstood.length} message(s) not understood and left in the DLQ`,
  );
  if (notUnderstood.length > 0) {
    throw new CliError(`${notUnderstood.length} message(s) in ${dlqUrl} are not batch workflow runs this command understands (listed above); they were left in the DLQ`, EXIT.partial);
  }
  return { dlqUrl, runs, deleted: result.deleted, left: result.left };
}

function defaultDlq(ctx: CommandContext): string {
  const found = workflowDlq(ctx.pipeline);
  if (!found) throw new CliError(`${scopeOf(ctx.pipeline)} has no workflow DLQ output (<pipeline>DlqUrl beside <pipeline>BatchWorkflowStateMachineArn); give the queue with --queue`, EXIT.usage);
  return found.url;
}

/** Refuses (exit 3) while the paused flag is "true", unless forced; a dry run only says so. */
async function checkPaused(ctx: CommandContext, force: boolean): Promise<void> {
  const parameter = ctx.pipeline.pausedParameter;
  if (!parameter) {
    ctx.io.err('the stack has no BatchWorkflowPausedParameter output: not checking whether the pipeline is paused');
    return;
  }
  const paused = (await ctx.clients.ssm().send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
  ctx.io.out(`paused flag ${parameter}: ${paused ?? '(unset)'}`);
  if (paused !== 'true') return;
  const why = `the pipeline is paused (${parameter} is "true"): restarted runs would stop at CheckPaused and go back to the DLQ. Handle the drift and \`resume\` first (docs/runbooks.md#schema-drift-paused), or pass --force`;
  if (force) ctx.io.err(`warning: ${why.replace(/, or pass --force$/, '')}; restarting anyway (--force)`);
  else if (ctx.dryRun) ctx.io.out(`dry run: ${why.replace(/the pipeline is paused/, 'a real run would refuse: the pipeline is paused')}`);
  else throw new CliError(`refusing to restart: ${why}`, EXIT.refused);
}

/** The run a workflow DLQ message stands for: `{ bucket, key }`, or why there is none. */
export function parseRun(body: string | undefined): ParsedRun {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { problem: `the body is not JSON: ${JSON.stringify((body ?? '').slice(0, 80))}` };
  }
  if (!isObject(parsed)) return { problem: 'the body is not a JSON object' };
  const error = typeof parsed.error === 'string' ? parsed.error : undefined;
  // SendToDlq: a failed or paused run.
  if (typeof parsed.bucket === 'string' && typeof parsed.key === 'string' && parsed.bucket && parsed.key) {
    return { bucket: parsed.bucket, key: parsed.key, error, origin: 'failed run' };
  }
  // AbandonedRuns: a timed-out or aborted execution, with its input.
  if ('input' in parsed && 'executionArn' in parsed) {
    let input: unknown = parsed.input;
    if (typeof input === 'string') {
      try {
        input = JSON.parse(input);
      } catch {
        return { problem: `the execution input of ${String(parsed.executionArn)} is not JSON` };
      }
    }
    if (isObject(input) && typeof input.bucket === 'string' && typeof input.key === 'string' && input.bucket && input.key) {
      return { bucket: input.bucket, key: input.key, error, origin: 'abandoned run' };
    }
    return { problem: `the execution input of ${String(parsed.executionArn)} has no bucket and key` };
  }
  // An undelivered start event: the original event.
  if (parsed.source === 'aws.s3' && isObject(parsed.detail)) {
    const bucket = isObject(parsed.detail.bucket) ? parsed.detail.bucket.name : undefined;
    const key = isObject(parsed.detail.object) ? parsed.detail.object.key : undefined;
    if (typeof bucket === 'string' && typeof key === 'string' && bucket && key) return { bucket, key, origin: 'start event' };
    return { problem: 'an S3 event without detail.bucket.name and detail.object.key' };
  }
  if (parsed['detail-type'] === 'Scheduled Event') {
    return { problem: "an undelivered scheduled start event: it does not name its object (the workflow's scheduledKey); start that run by hand" };
  }
  return { problem: 'not a failed run ({bucket, key}), an abandoned run ({executionArn, input}) or an S3 start event' };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
