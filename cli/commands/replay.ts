/**
 * `replay`: reprocesses a time range.
 * - `--source archive` (default when the stack has an event archive): EventBridge StartReplay of
 *   the archive's events of the range, back to the bus, limited to the pipeline's rules (those
 *   targeting the buffer queue) when they can be found; polls DescribeReplay.
 * - `--source raw`: every raw object under the workflow prefix whose LastModified is in the range
 *   starts one batch workflow execution with `{ bucket, key }`, at most `rate` per second.
 * A plain replay never duplicates curated records: the runtime's idempotency store and
 * deterministic object keys make it a no-op for records already curated.
 *
 * `--reprocess` (a pipeline with a current table only) makes it a reprocess run that corrects:
 * the run gets an id (`reprocess-<time>-<random>`, or `--run <id>` to continue one), which names
 * the archive replay and every workflow execution (`<run>--<hash of the key>`); the runtime
 * re-derives the run's records with the current transform as new curated lines, deduplicated
 * within the run only, and the current table's MERGE takes them over the first ones (see
 * lib/contract/reprocess.ts and docs/decisions.md).
 */
import { createHash } from 'node:crypto';
import {
  DescribeArchiveCommand,
  DescribeReplayCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  StartReplayCommand,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { confirm } from '../confirm';
import { CliError, EXIT, RateLimiter, realSleep, type CommandContext } from '../context';
import { requireOutput } from '../outputs';
import { reprocessExecutionName } from '../../lib/contract/reprocess';
import { reprocessRunId, requireCurrentTable } from './reprocess-run';

export interface ReplayOptions {
  readonly from: Date;
  readonly to: Date;
  /** @default 'archive' when the stack has EventArchiveName, else 'raw' */
  readonly source?: 'archive' | 'raw';
  /** Raw objects: key prefix (the workflow's `prefix`). @default 'batch/' */
  readonly prefix?: string;
  /** Raw objects: executions started per second at most. @default 5 */
  readonly rate?: number;
  /** Milliseconds between DescribeReplay polls. @default 10000 */
  readonly pollMs?: number;
  /**
   * A reprocess run: re-derive the records with the current transform, so the current table
   * shows them corrected (refused for a pipeline without a current table). @default false
   */
  readonly reprocess?: boolean;
  /** Continue this reprocess run (its id) instead of starting a new one. @default - a new run */
  readonly run?: string;
}

export interface ReplayResult {
  readonly source: 'archive' | 'raw';
  /** Raw: the objects (started, or that would be in a dry run). */
  readonly objects?: Array<{ bucket: string; key: string }>;
  /** Raw: execution ARNs started. */
  readonly executions?: string[];
  /** Archive: the replay's name and final state. */
  readonly replayName?: string;
  readonly state?: string;
  /** The reprocess run, with `--reprocess`. */
  readonly reprocessRun?: string;
  /** Raw, reprocess: executions of the run that already existed (started earlier in the run). */
  readonly alreadyStarted?: string[];
}

export async function replay(ctx: CommandContext, options: ReplayOptions): Promise<ReplayResult> {
  if (!(options.from.getTime() < options.to.getTime())) {
    throw new CliError(`--from (${options.from.toISOString()}) must be before --to (${options.to.toISOString()})`, EXIT.usage);
  }
  if (options.run !== undefined && !options.reprocess) throw new CliError('--run names a reprocess run: give --reprocess too', EXIT.usage);
  const source = options.source ?? (ctx.pipeline.eventArchiveName !== undefined ? 'archive' : 'raw');
  let run: string | undefined;
  if (options.reprocess) {
    run = reprocessRunId(options.run);
    await requireCurrentTable(ctx);
    ctx.io.out(`reprocess run ${run}: records re-derived with the current transform as new curated lines; the current table's merge takes them over the first ones`);
  }
  return source === 'archive' ? replayArchive(ctx, options, run) : replayRaw(ctx, options, run);
}

async function replayArchive(ctx: CommandContext, options: ReplayOptions, run: string | undefined): Promise<ReplayResult> {
  const sleep = ctx.sleep ?? realSleep;
  const eventbridge = ctx.clients.eventbridge();
  const archiveName = requireOutput(ctx.pipeline, 'eventArchiveName', 'to replay from the archive');
  if (options.to.getTime() > Date.now()) throw new CliError(`--to (${options.to.toISOString()}) is in the future; an archive replay needs a past range`, EXIT.usage);
  const archive = await eventbridge.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
  const busArn = archive.EventSourceArn;
  if (!busArn) throw new CliError(`archive ${archiveName} has no event source`);
  const rules = await pipelineRules(ctx, eventbridge, busArn);
  // A reprocess run's replay is named by the run: EventBridge puts the name on every replayed event
  // (`replay-name`), which is how the runtime knows the events are the run's.
  const replayName = run ?? `etl-replay-${options.from.toISOString().replace(/[^0-9]/g, '').slice(0, 12)}-${Date.now().toString(36)}`;
  const runField = run === undefined ? {} : { reprocessRun: run };
  ctx.io.out(`archive ${archiveName} (${archive.EventCount ?? '?'} events in all) → ${busArn}`);
  ctx.io.out(`range ${options.from.toISOString()} .. ${options.to.toISOString()}; rules: ${rules.length > 0 ? rules.join(', ') : 'all rules of the bus'}`);
  if (ctx.dryRun) {
    ctx.io.out(`dry run: would start replay ${replayName}; nothing started`);
    return { source: 'archive', replayName, state: 'DRY_RUN', ...runField };
  }
  await confirm(ctx.io, ctx.yes, `replay archive ${archiveName} from ${options.from.toISOString()} to ${options.to.toISOString()}`);
  await eventbridge.send(
    new StartReplayCommand({
      ReplayName: replayName,
      EventSourceArn: busArn,
      EventStartTime: options.from,
      EventEndTime: options.to,
      Destination: { Arn: busArn, FilterArns: rules.length > 0 ? rules : undefined },
      Description: run === undefined ? 'cdk-serverless-etl replay' : 'cdk-serverless-etl replay --reprocess',
    }),
  );
  ctx.io.out(`started replay ${replayName}`);
  for (;;) {
    await sleep(options.pollMs ?? 10_000);
    const r = await eventbridge.send(new DescribeReplayCommand({ ReplayName: replayName }));
    ctx.io.out(`replay ${r.State ?? 'UNKNOWN'}${r.EventLastReplayedTime ? `: replayed up to ${r.EventLastReplayedTime.toISOString()}` : ''}`);
    if (r.State === 'COMPLETED') return { source: 'archive', replayName, state: r.State, ...runField };
    if (r.State === 'FAILED' || r.State === 'CANCELLED') throw new CliError(`replay ${replayName} ${r.State}${r.StateReason ? `: ${r.StateReason}` : ''}`);
  }
}

/** ARNs of the bus's rules that target the buffer queue (the pipeline's rules); empty if unknown. */
async function pipelineRules(ctx: CommandContext, eventbridge: EventBridgeClient, busArn: string): Promise<string[]> {
  const bufferUrl = ctx.pipeline.bufferQueueUrl;
  if (!bufferUrl) return [];
  try {
    const queueArn = (await ctx.clients.sqs().send(new GetQueueAttributesCommand({ QueueUrl: bufferUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const busName = busArn.split('/').pop() as string;
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await eventbridge.send(new ListRulesCommand({ EventBusName: busName, NextToken: token }));
      for (const rule of page.Rules ?? []) {
        const targets = await eventbridge.send(new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: busName }));
        if (rule.Arn && (targets.Targets ?? []).some((t) => t.Arn === queueArn)) found.push(rule.Arn);
      }
      token = page.NextToken;
    } while (token);
    return found;
  } catch (error) {
    ctx.io.err(`could not find the pipeline's rules (${(error as Error).message}); replaying to all rules of the bus`);
    return [];
  }
}

async function replayRaw(ctx: CommandContext, options: ReplayOptions, run: string | undefined): Promise<ReplayResult> {
  const bucket = requireOutput(ctx.pipeline, 'rawBucketName', 'to list raw objects');
  const prefix = options.prefix ?? 'batch/';
  const objects: Array<{ bucket: string; key: string }> = [];
  let token: string | undefined;
  do {
    const page = await ctx.clients.s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const t = o.LastModified?.getTime();
      if (o.Key && t !== undefined && t >= options.from.getTime() && t < options.to.getTime()) objects.push({ bucket, key: o.Key });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  ctx.io.out(`${objects.length} raw object(s) in s3://${bucket}/${prefix} modified in ${options.from.toISOString()} .. ${options.to.toISOString()}`);
  const runField = run === undefined ? {} : { reprocessRun: run };
  const stamp = Date.now().toString(36);
  const nameOf = (key: string) => (run === undefined ? `replay-${stamp}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}` : reprocessExecutionName(run, key));
  if (ctx.dryRun) {
    for (const o of objects) ctx.io.out(`  would start: s3://${o.bucket}/${o.key}${run === undefined ? '' : ` as ${nameOf(o.key)}`}`);
    ctx.io.out('dry run: nothing started');
    return { source: 'raw', objects, executions: [], ...runField };
  }
  if (objects.length === 0) return { source: 'raw', objects, executions: [], ...runField };
  const stateMachineArn = requireOutput(ctx.pipeline, 'stateMachineArn', 'to start workflow executions');
  await confirm(ctx.io, ctx.yes, `start ${objects.length} batch workflow execution(s)`);
  const limiter = new RateLimiter(options.rate ?? 5, ctx.sleep ?? realSleep);
  const executions: string[] = [];
  const alreadyStarted: string[] = [];
  for (const o of objects) {
    await limiter.take();
    const name = nameOf(o.key);
    try {
      const out = await ctx.clients.sfn().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(o) }));
      executions.push(out.executionArn ?? name);
      ctx.io.out(`started ${executions.length + alreadyStarted.length}/${objects.length}: s3://${o.bucket}/${o.key} → ${out.executionArn ?? name}`);
    } catch (error) {
      // Continuing a run (--run): an object it already started is not started twice. A failed one
      // is redriven (its execution keeps its name, hence its run), not started again.
      if (run === undefined || (error as Error).name !== 'ExecutionAlreadyExists') throw error;
      alreadyStarted.push(name);
      ctx.io.out(`already in run ${run}: s3://${o.bucket}/${o.key} (execution ${name}; redrive it if it failed: aws stepfunctions redrive-execution)`);
    }
  }
  return { source: 'raw', objects, executions, ...runField, ...(run === undefined ? {} : { alreadyStarted }) };
}
