/**
 * `status`: the paused flag, the depth of every DLQ and of the buffer, and the batch workflow's
 * last executions. Each part is reported on its own: one failing call does not hide the others.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { CommandContext } from '../context';
import { findOutput, findOutputs, logicalName } from '../outputs';

export interface StatusReport {
  paused?: string;
  queues: Array<{ name: string; url: string; visible?: number; inFlight?: number; delayed?: number; error?: string }>;
  executions?: Array<{ name: string; status: string; startDate?: string }>;
  errors: string[];
}

export async function status(ctx: CommandContext, options: { executions?: number } = {}): Promise<StatusReport> {
  const report: StatusReport = { queues: [], errors: [] };
  const parameter = findOutput(ctx.outputs, 'BatchWorkflowPausedParameter');
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

  const queues = [...findOutputs(ctx.outputs, 'BufferQueueUrl'), ...findOutputs(ctx.outputs, 'DlqUrl')];
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
      const flag = name.endsWith('DlqUrl') && q.visible + q.inFlight > 0 ? '  ← needs attention (runbook: dlq-messages)' : '';
      ctx.io.out(`${name}: ${q.visible} visible, ${q.inFlight} in flight, ${q.delayed} delayed${flag}`);
    } catch (error) {
      report.queues.push({ name, url, error: (error as Error).message });
      report.errors.push(`${name}: ${(error as Error).message}`);
      ctx.io.out(`${name}: unknown (${(error as Error).message})`);
    }
  }
  if (queues.length > 0) ctx.io.out('(the buffer age, ApproximateAgeOfOldestMessage, is a CloudWatch metric: see the dashboard)');

  const stateMachineArn = findOutput(ctx.outputs, 'BatchWorkflowStateMachineArn');
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
  return report;
}
