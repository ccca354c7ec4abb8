/**
 * `replay`: reprocesses a time range.
 * - `--source archive` (default when the stack has an event archive): EventBridge StartReplay of
 *   the archive's events of the range, back to the bus, limited to the pipeline's rules (those
 *   targeting the buffer queue) when they can be found; polls DescribeReplay.
 * - `--source raw`: every raw object under the workflow prefix whose LastModified is in the range
 *   starts one batch workflow execution with `{ bucket, key }`, at most `rate` per second.
 * Replays never duplicate curated records: the runtime's idempotency store and deterministic
 * object keys make reprocessing a no-op for records already curated.
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
}

export async function replay(ctx: CommandContext, options: ReplayOptions): Promise<ReplayResult> {
  if (!(options.from.getTime() < options.to.getTime())) {
    throw new CliError(`--from (${options.from.toISOString()}) must be before --to (${options.to.toISOString()})`, EXIT.usage);
  }
  const source = options.source ?? (ctx.pipeline.eventArchiveName !== undefined ? 'archive' : 'raw');
  return source === 'archive' ? replayArchive(ctx, options) : replayRaw(ctx, options);
}

async function replayArchive(ctx: CommandContext, options: ReplayOptions): Promise<ReplayResult> {
  const sleep = ctx.sleep ?? realSleep;
  const eventbridge = ctx.clients.eventbridge();
  const archiveName = requireOutput(ctx.pipeline, 'eventArchiveName', 'to replay from the archive');
  if (options.to.getTime() > Date.now()) throw new CliError(`--to (${options.to.toISOString()}) is in the future; an archive replay needs a past range`, EXIT.usage);
  const archive = await eventbridge.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
  const busArn = archive.EventSourceArn;
  if (!busArn) throw new CliError(`archive ${archiveName} has no event source`);
  const rules = await pipelineRules(ctx, eventbridge, busArn);
  const replayName = `etl-replay-${options.from.toISOString().replace(/[^0-9]/g, '').slice(0, 12)}-${Date.now().toString(36)}`;
  ctx.io.out(`archive ${archiveName} (${archive.EventCount ?? '?'} events in all) → ${busArn}`);
  ctx.io.out(`range ${options.from.toISOString()} .. ${options.to.toISOString()}; rules: ${rules.length > 0 ? rules.join(', ') : 'all rules of the bus'}`);
  if (ctx.dryRun) {
    ctx.io.out(`dry run: would start replay ${replayName}; nothing started`);
    return { source: 'archive', replayName, state: 'DRY_RUN' };
  }
  await confirm(ctx.io, ctx.yes, `replay archive ${archiveName} from ${options.from.toISOString()} to ${options.to.toISOString()}`);
  await eventbridge.send(
    new StartReplayCommand({
      ReplayName: replayName,
      EventSourceArn: busArn,
      EventStartTime: options.from,
      EventEndTime: options.to,
      Destination: { Arn: busArn, FilterArns: rules.length > 0 ? rules : undefined },
      Description: 'cdk-serverless-etl replay',
    }),
  );
  ctx.io.out(`started replay ${replayName}`);
  for (;;) {
    await sleep(options.pollMs ?? 10_000);
    const r = await eventbridge.send(new DescribeReplayCommand({ ReplayName: replayName }));
    ctx.io.out(`replay ${r.State ?? 'UNKNOWN'}${r.EventLastReplayedTime ? `: replayed up to ${r.EventLastReplayedTime.toISOString()}` : ''}`);
    if (r.State === 'COMPLETED') return { source: 'archive', replayName, state: r.State };
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

async function replayRaw(ctx: CommandContext, options: ReplayOptions): Promise<ReplayResult> {
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
  if (ctx.dryRun) {
    for (const o of objects) ctx.io.out(`  would start: s3://${o.bucket}/${o.key}`);
    ctx.io.out('dry run: nothing started');
    return { source: 'raw', objects, executions: [] };
  }
  if (objects.length === 0) return { source: 'raw', objects, executions: [] };
  const stateMachineArn = requireOutput(ctx.pipeline, 'stateMachineArn', 'to start workflow executions');
  await confirm(ctx.io, ctx.yes, `start ${objects.length} batch workflow execution(s)`);
  const limiter = new RateLimiter(options.rate ?? 5, ctx.sleep ?? realSleep);
  const stamp = Date.now().toString(36);
  const executions: string[] = [];
  for (const o of objects) {
    await limiter.take();
    const name = `replay-${stamp}-${createHash('sha256').update(o.key).digest('hex').slice(0, 16)}`;
    const out = await ctx.clients.sfn().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(o) }));
    executions.push(out.executionArn ?? name);
    ctx.io.out(`started ${executions.length}/${objects.length}: s3://${o.bucket}/${o.key} → ${out.executionArn ?? name}`);
  }
  return { source: 'raw', objects, executions };
}
