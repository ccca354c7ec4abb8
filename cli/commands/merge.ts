/**
 * `merge`: starts the current table's merge state machine now, instead of waiting for its schedule
 * (after a redrive of the merge DLQ, a fix of failing merges, or a replay): the execution takes
 * every pending curated object of the merge queue, round after round. `--maintenance` starts the
 * maintenance state machine instead (compaction and snapshot expiry), refused while one runs. With
 * `--wait`, follows the execution to its end and fails (exit 1) when it does not succeed.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { confirm } from '../confirm';
import { CliError, EXIT, realSleep, type CommandContext } from '../context';
import { requireOutput } from '../outputs';
import { queueAttributes } from '../queues';

/** Options of `merge`. */
export interface MergeOptions {
  /** Start the maintenance state machine (OPTIMIZE, VACUUM) instead of the merge. */
  readonly maintenance?: boolean;
  /** Follow the execution until it ends. */
  readonly wait?: boolean;
  /** Milliseconds between DescribeExecution polls while waiting. @default 5000 */
  readonly pollMs?: number;
}

/** What `merge` did. */
export interface MergeResult {
  readonly stateMachineArn: string;
  /** The execution started; none in a dry run. */
  readonly executionArn?: string;
  /** Its final status when waited for (`SUCCEEDED`, …). */
  readonly status?: string;
}

/** Starts a merge (or the maintenance) of the current table: see the module's description. */
export async function merge(ctx: CommandContext, options: MergeOptions = {}): Promise<MergeResult> {
  const job = options.maintenance ? 'maintenance' : 'merge';
  const stateMachineArn = options.maintenance
    ? requireOutput(ctx.pipeline, 'maintenanceStateMachineArn', "to start the current table's maintenance")
    : requireOutput(ctx.pipeline, 'mergeStateMachineArn', 'to start a merge of the current table');
  const table = ctx.pipeline.currentTableName ?? 'the current table';
  ctx.io.out(`current table ${table}; ${job} state machine ${stateMachineArn}`);
  if (!options.maintenance) await describeBacklog(ctx);
  const sfn = ctx.clients.sfn();
  const running = (await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 10 }))).executions ?? [];
  if (running.length > 0) {
    const names = running.map((e) => e.name).join(', ');
    // Two compactions at once rewrite the same files and conflict; two merges take disjoint objects.
    if (options.maintenance) throw new CliError(`a maintenance execution is running (${names}): wait for it (status shows the last one)`, EXIT.refused);
    ctx.io.out(`${running.length} merge execution(s) already running (${names}): a new one takes the objects they have not taken`);
  }
  if (ctx.dryRun) {
    ctx.io.out(`dry run: would start a ${job} execution; nothing started`);
    return { stateMachineArn };
  }
  await confirm(ctx.io, ctx.yes, options.maintenance ? `compact ${table} and expire its old snapshots now` : `start a merge of ${table} now`);
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `cli-${job}-${Date.now()}`, input: JSON.stringify({ startedBy: `cdk-serverless-etl merge${options.maintenance ? ' --maintenance' : ''}` }) }));
  const executionArn = started.executionArn ?? '';
  ctx.io.out(`started ${job} execution ${executionArn}`);
  if (!options.wait) return { stateMachineArn, executionArn };

  const sleep = ctx.sleep ?? realSleep;
  for (;;) {
    await sleep(options.pollMs ?? 5000);
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const status = execution.status ?? 'UNKNOWN';
    if (status === 'RUNNING' || status === 'PENDING_REDRIVE') continue;
    if (status === 'SUCCEEDED') {
      const merged = options.maintenance ? '' : mergedObjects(execution.output);
      ctx.io.out(`${job} ${status}${merged} (started ${execution.startDate?.toISOString() ?? '?'}, stopped ${execution.stopDate?.toISOString() ?? '?'})`);
      return { stateMachineArn, executionArn, status };
    }
    const why = [execution.error, execution.cause].filter(Boolean).join(': ');
    const after = options.maintenance ? 'the table is still correct' : 'the pending objects stay in the merge queue';
    throw new CliError(`${job} execution ${executionArn} ${status}${why ? ` (${why})` : ''}: ${after}; see docs/runbooks.md#current-table-${job}-failed`, EXIT.failed);
  }
}

/** Says how many objects wait in the merge queue, when its output is there (best effort: a failed read is said, not fatal). */
async function describeBacklog(ctx: CommandContext): Promise<void> {
  const url = ctx.pipeline.mergeQueueUrl;
  if (url === undefined) return;
  try {
    const a = await queueAttributes(ctx.clients.sqs(), url);
    ctx.io.out(`merge backlog: ${a.ApproximateNumberOfMessages ?? 0} object(s) pending, ${a.ApproximateNumberOfMessagesNotVisible ?? 0} being merged`);
  } catch (error) {
    ctx.io.out(`merge backlog: unknown (${(error as Error).message})`);
  }
}

/** `: N object(s) merged in its last round` from a succeeded execution's output, when it says. */
function mergedObjects(output: string | undefined): string {
  try {
    const count = (JSON.parse(output ?? '') as { pending?: { count?: unknown } }).pending?.count;
    return typeof count === 'number' ? `: ${count} object(s) in its last round` : '';
  } catch {
    return '';
  }
}
