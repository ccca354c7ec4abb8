/**
 * `status`: the paused flag, the depth of every DLQ and of the buffer, their ages and the Kinesis
 * iterator age (CloudWatch, last 15 minutes), the batch workflow's last executions, and a current
 * table's merge backlog (its merge queue's depth and oldest age) and last merge and maintenance. Each part
 * is reported on its own: one failing call does not hide the others.
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { CommandContext } from '../context';
import { logicalName } from '../outputs';

export interface StatusReport {
  paused?: string;
  queues: Array<{ name: string; url: string; visible?: number; inFlight?: number; delayed?: number; error?: string }>;
  executions?: Array<{ name: string; status: string; startDate?: string }>;
  /** The current table's last merge and maintenance executions (none: never ran; absent: no current table). */
  currentTable?: { name?: string; lastMerge?: LastExecution | null; lastMaintenance?: LastExecution | null };
  /** Ages from CloudWatch: latest and highest of the window, in milliseconds; none when no data. */
  ages: Array<{ name: string; metric: string; latestMs?: number; maxMs?: number; error?: string }>;
  errors: string[];
}

/** An execution of a current table's state machine, as `status` shows it. */
export interface LastExecution {
  readonly name: string;
  readonly status: string;
  readonly startDate?: string;
  readonly stopDate?: string;
}

/** The window of the CloudWatch ages. */
export const AGE_WINDOW_MINUTES = 15;

export async function status(ctx: CommandContext, options: { executions?: number } = {}): Promise<StatusReport> {
  const report: StatusReport = { queues: [], ages: [], errors: [] };
  const pipeline = ctx.pipeline;
  if (pipeline.prefix || pipeline.pipelineName !== undefined) ctx.io.out(`pipeline: ${pipeline.label}`);
  const parameter = pipeline.pausedParameter;
  if (parameter) {
    try {
      report.paused = (await ctx.clients.ssm().send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
      ctx.io.out(`paused: ${report.paused} (${parameter})`);
    } catch (error) {
      report.errors.push(`paused flag: ${(error as Error).message}`);
      ctx.io.out(`paused: unknown (${(error as Error).message})`);
    }
  } else {
    ctx.io.out('paused: n/a (no batch workflow)');
  }

  const queues: Array<[string, string]> = [
    ...(pipeline.keys.bufferQueueUrl !== undefined && pipeline.bufferQueueUrl !== undefined ? [[pipeline.keys.bufferQueueUrl, pipeline.bufferQueueUrl] as [string, string]] : []),
    ...(pipeline.keys.mergeQueueUrl !== undefined && pipeline.mergeQueueUrl !== undefined ? [[pipeline.keys.mergeQueueUrl, pipeline.mergeQueueUrl] as [string, string]] : []),
    ...pipeline.dlqs.map((d): [string, string] => [d.key, d.url]),
  ];
  for (const [key, url] of queues) {
    const name = logicalName(key);
    try {
      const a =
        (
          await ctx.clients.sqs().send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
            }),
          )
        ).Attributes ?? {};
      const q = {
        name,
        url,
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
      report.queues.push(q);
      const flag = /Dlq\d*Url$/.test(name) && q.visible + q.inFlight > 0 ? '  ← needs attention (runbook: dlq-messages)' : '';
      if (key === pipeline.keys.mergeQueueUrl) ctx.io.out(`merge backlog (${name}): ${q.visible} object(s) pending, ${q.inFlight} being merged`);
      else ctx.io.out(`${name}: ${q.visible} visible, ${q.inFlight} in flight, ${q.delayed} delayed${flag}`);
    } catch (error) {
      report.queues.push({ name, url, error: (error as Error).message });
      report.errors.push(`${name}: ${(error as Error).message}`);
      ctx.io.out(`${name}: unknown (${(error as Error).message})`);
    }
  }
  await ages(ctx, report, queues);

  const stateMachineArn = pipeline.stateMachineArn;
  if (stateMachineArn) {
    try {
      const out = await ctx.clients.sfn().send(new ListExecutionsCommand({ stateMachineArn, maxResults: options.executions ?? 5 }));
      report.executions = (out.executions ?? []).map((e) => ({ name: e.name ?? '', status: e.status ?? '', startDate: e.startDate?.toISOString() }));
      ctx.io.out(`last ${report.executions.length} batch workflow execution(s):`);
      for (const e of report.executions) ctx.io.out(`  ${e.startDate ?? '?'}  ${e.status.padEnd(9)}  ${e.name}`);
    } catch (error) {
      report.errors.push(`executions: ${(error as Error).message}`);
      ctx.io.out(`executions: unknown (${(error as Error).message})`);
    }
  }
  await currentTable(ctx, report);
  return report;
}

/** The current table's names and the last execution of its merge and of its maintenance state machine. */
async function currentTable(ctx: CommandContext, report: StatusReport): Promise<void> {
  const p = ctx.pipeline;
  if (p.mergeStateMachineArn === undefined && p.maintenanceStateMachineArn === undefined) return;
  const table: NonNullable<StatusReport['currentTable']> = { name: p.currentTableName };
  report.currentTable = table;
  ctx.io.out(`current table: ${p.currentTableName ?? '(no CurrentTableName output)'}${p.currentTableLiveView ? `, live rows in ${p.currentTableLiveView}` : ''}`);
  const last = async (what: 'merge' | 'maintenance', stateMachineArn: string | undefined): Promise<LastExecution | null | undefined> => {
    if (stateMachineArn === undefined) return undefined;
    try {
      const e = (await ctx.clients.sfn().send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }))).executions?.[0];
      if (!e) {
        ctx.io.out(`  last ${what}: none yet`);
        return null;
      }
      const execution = { name: e.name ?? '', status: e.status ?? '', startDate: e.startDate?.toISOString(), stopDate: e.stopDate?.toISOString() };
      const flag = execution.status === 'FAILED' || execution.status === 'TIMED_OUT' || execution.status === 'ABORTED' ? `  ← runbook: current-table-${what}-failed` : '';
      ctx.io.out(`  last ${what}: ${execution.status} (started ${execution.startDate ?? '?'}${execution.stopDate ? `, stopped ${execution.stopDate}` : ''}; ${execution.name})${flag}`);
      return execution;
    } catch (error) {
      report.errors.push(`last ${what}: ${(error as Error).message}`);
      ctx.io.out(`  last ${what}: unknown (${(error as Error).message})`);
      return undefined;
    }
  };
  table.lastMerge = await last('merge', p.mergeStateMachineArn);
  table.lastMaintenance = await last('maintenance', p.maintenanceStateMachineArn);
}

/** One age to read from CloudWatch. */
interface AgeQuery {
  readonly name: string;
  /** How the metric is named in the output. */
  readonly metric: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** Milliseconds per unit of the metric. */
  readonly msPerUnit: number;
}

/**
 * The age of the oldest message of the buffer and of each DLQ (`AWS/SQS
 * ApproximateAgeOfOldestMessage`) and the Kinesis iterator age of the transform (`AWS/Lambda
 * IteratorAge`; the stream's `GetRecords.IteratorAgeMilliseconds` when the function is not in the
 * outputs), maxima per minute over the last 15 minutes, in one GetMetricData call.
 */
async function ages(ctx: CommandContext, report: StatusReport, queues: Array<[string, string]>): Promise<void> {
  const wanted: AgeQuery[] = queues.map(([key, url]) => ({
    name: key === ctx.pipeline.keys.bufferQueueUrl ? 'buffer age' : key === ctx.pipeline.keys.mergeQueueUrl ? 'merge backlog age (oldest unmerged object)' : `${logicalName(key)} age`,
    metric: `oldest message, AWS/SQS ApproximateAgeOfOldestMessage of ${queueName(url)}`,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateAgeOfOldestMessage',
    dimensions: { QueueName: queueName(url) },
    msPerUnit: 1000,
  }));
  const functionName = ctx.pipeline.transformFunctionName;
  const streamName = ctx.pipeline.streamName;
  if (streamName !== undefined && functionName !== undefined) {
    wanted.push({ name: 'stream iterator age', metric: `AWS/Lambda IteratorAge of ${functionName}`, namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensions: { FunctionName: functionName }, msPerUnit: 1 });
  } else if (streamName !== undefined) {
    wanted.push({
      name: 'stream iterator age',
      metric: `AWS/Kinesis GetRecords.IteratorAgeMilliseconds of ${streamName}`,
      namespace: 'AWS/Kinesis',
      metricName: 'GetRecords.IteratorAgeMilliseconds',
      dimensions: { StreamName: streamName },
      msPerUnit: 1,
    });
  }
  if (wanted.length === 0) return;
  ctx.io.out(`ages (CloudWatch, per-minute maximum; latest, and highest of the last ${AGE_WINDOW_MINUTES} min):`);
  const queries: MetricDataQuery[] = wanted.map((w, i) => ({
    Id: `age${i}`,
    Label: w.name,
    MetricStat: {
      Metric: { Namespace: w.namespace, MetricName: w.metricName, Dimensions: Object.entries(w.dimensions).map(([Name, Value]) => ({ Name, Value })) },
      Period: 60,
      Stat: 'Maximum',
    },
    ReturnData: true,
  }));
  const values = new Map<string, Array<{ at: number; value: number }>>();
  try {
    const endTime = new Date();
    const startTime = new Date(endTime.getTime() - AGE_WINDOW_MINUTES * 60_000);
    let token: string | undefined;
    do {
      const out = await ctx.clients.cloudwatch().send(
        new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: startTime, EndTime: endTime, ScanBy: 'TimestampDescending', NextToken: token }),
      );
      for (const r of out.MetricDataResults ?? []) {
        const points = values.get(r.Id ?? '') ?? [];
        (r.Values ?? []).forEach((value, i) => points.push({ at: r.Timestamps?.[i]?.getTime() ?? 0, value }));
        values.set(r.Id ?? '', points);
      }
      token = out.NextToken;
    } while (token);
  } catch (error) {
    const message = (error as Error).message;
    report.errors.push(`ages: ${message}`);
    for (const w of wanted) {
      report.ages.push({ name: w.name, metric: w.metric, error: message });
      ctx.io.out(`  ${w.name}: unknown (${message})`);
    }
    return;
  }
  wanted.forEach((w, i) => {
    const points = values.get(`age${i}`) ?? [];
    if (points.length === 0) {
      report.ages.push({ name: w.name, metric: w.metric });
      ctx.io.out(`  ${w.name}: no data in the last ${AGE_WINDOW_MINUTES} min (${w.metric})`);
      return;
    }
    const latest = points.reduce((a, b) => (b.at > a.at ? b : a));
    const latestMs = latest.value * w.msPerUnit;
    const maxMs = Math.max(...points.map((p) => p.value)) * w.msPerUnit;
    report.ages.push({ name: w.name, metric: w.metric, latestMs, maxMs });
    ctx.io.out(`  ${w.name}: ${formatAge(latestMs)} at ${new Date(latest.at).toISOString().slice(11, 16)} UTC, highest ${formatAge(maxMs)} (${w.metric})`);
  });
}

function queueName(url: string): string {
  return url.replace(/\/+$/, '').split('/').pop() ?? url;
}

/** A duration for people: `850 ms`, `42 s`, `12 min`, `5.5 h`, `3.2 d`. */
export function formatAge(ms: number): string {
  const s = ms / 1000;
  if (s < 1) return `${Math.round(ms)} ms`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}
