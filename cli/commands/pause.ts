/**
 * `pause` / `resume`: sets the pipeline's paused flag (the SSM String parameter the batch
 * workflow checks before each load) to `true` / `false`. Resume only after the schema drift that
 * paused the pipeline was accepted (new schema version deployed) or rolled back.
 */
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { confirm } from '../confirm';
import type { CommandContext } from '../context';
import { requireOutput } from '../outputs';

export async function setPaused(ctx: CommandContext, paused: boolean): Promise<{ parameter: string; before?: string; after: string }> {
  const parameter = requireOutput(ctx.pipeline, 'pausedParameter', `to ${paused ? 'pause' : 'resume'} the pipeline`);
  const ssm = ctx.clients.ssm();
  const before = (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
  const after = paused ? 'true' : 'false';
  ctx.io.out(`${parameter} is ${before ?? '(unset)'}`);
  if (!paused) {
    ctx.io.out('Resume only after the drift was handled: the new schema version accepted and deployed, or the producer rolled back (docs/runbooks.md#schema-drift-paused).');
    ctx.io.out('Then restart the runs deferred while paused (their inputs are in the workflow DLQ; or `replay --source raw` over their range).');
  }
  if (ctx.dryRun) {
    ctx.io.out(`dry run: would set ${parameter} to ${after}`);
    return { parameter, before, after: before ?? '' };
  }
  await confirm(ctx.io, ctx.yes, `${paused ? 'pause' : 'resume'} the pipeline (set ${parameter} to ${after})`);
  await ssm.send(new PutParameterCommand({ Name: parameter, Value: after, Type: 'String', Overwrite: true }));
  ctx.io.out(`${parameter} set to ${after}`);
  return { parameter, before, after };
}
