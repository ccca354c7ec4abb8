/**
 * `pause` / `resume`: sets the pipeline's paused flag (the SSM String parameter the batch
 * workflow checks before each load) to `true` / `false`, and disables / enables the event source
 * mappings of the stream and bus paths (`HeldSourceMappings` output), so their records wait in
 * the Kinesis stream and the SQS buffer queue while paused: not polled, so neither retried nor
 * dead-lettered. Resume only after the schema drift that paused the pipeline was accepted (new
 * schema version deployed) or rolled back.
 */
import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { confirm } from '../confirm';
import { realSleep, type CommandContext } from '../context';
import { requireOutput } from '../outputs';

/** Attempts at a mapping in a transition (`ResourceInUseException`: Creating, Updating, Disabling, …), 3 s apart. */
const TRANSITION_ATTEMPTS = 20;

/** What `pause` / `resume` did: the flag before and after, and each held mapping's state after. */
export interface PauseResult {
  readonly parameter: string;
  readonly before?: string;
  readonly after: string;
  /** Each held event source mapping, by UUID, with its state after the command. */
  readonly mappings: ReadonlyArray<{ readonly uuid: string; readonly state?: string }>;
}

/** Sets the paused flag, then disables (pause) or enables (resume) the held event source mappings. */
export async function setPaused(ctx: CommandContext, paused: boolean): Promise<PauseResult> {
  const parameter = requireOutput(ctx.pipeline, 'pausedParameter', `to ${paused ? 'pause' : 'resume'} the pipeline`);
  const uuids = heldMappings(ctx.pipeline.heldSourceMappings);
  const ssm = ctx.clients.ssm();
  const before = (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
  const after = paused ? 'true' : 'false';
  ctx.io.out(`${parameter} is ${before ?? '(unset)'}`);
  const lambda = uuids.length > 0 ? ctx.clients.lambda() : undefined;
  for (const uuid of uuids) {
    const m = await lambda!.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    ctx.io.out(`event source mapping ${uuid} (${m.EventSourceArn ?? 'unknown source'}) is ${m.State ?? 'unknown'}${m.LastModified ? ` since ${m.LastModified.toISOString()}` : ''}`);
  }
  if (!paused) {
    ctx.io.out('Resume only after the drift was handled: the new schema version accepted and deployed, or the producer rolled back (docs/runbooks.md#schema-drift-paused).');
    if (uuids.length > 0) {
      ctx.io.out('The stream and bus records held while paused are processed in their order once the mappings are enabled (Kinesis records older than the mapping\'s maximum record age go to its DLQ).');
    }
    ctx.io.out('Then restart the runs deferred while paused (their inputs are in the workflow DLQ; or `replay --source raw` over their range).');
  }
  const what = `${paused ? 'pause' : 'resume'} the pipeline (set ${parameter} to ${after}${uuids.length > 0 ? `, ${paused ? 'disable' : 'enable'} ${uuids.length} event source mapping(s)` : ''})`;
  if (ctx.dryRun) {
    ctx.io.out(`dry run: would ${what.replace(/^(pause|resume) the pipeline \((.*)\)$/, '$2')}`);
    return { parameter, before, after: before ?? '', mappings: uuids.map((uuid) => ({ uuid })) };
  }
  await confirm(ctx.io, ctx.yes, what);
  // Pause: the flag first (batch runs stop at once), then the sources. Resume: the flag first too,
  // so nothing the sources deliver meets a paused batch path.
  await ssm.send(new PutParameterCommand({ Name: parameter, Value: after, Type: 'String', Overwrite: true }));
  ctx.io.out(`${parameter} set to ${after}`);
  const mappings: Array<{ uuid: string; state?: string }> = [];
  for (const uuid of uuids) {
    const state = await updateMapping(ctx, uuid, !paused);
    ctx.io.out(`event source mapping ${uuid}: ${state ?? 'updated'}`);
    mappings.push({ uuid, state });
  }
  return { parameter, before, after, mappings };
}

/** The UUIDs of the `HeldSourceMappings` output (comma-separated; absent for a pipeline without stream or bus). */
export function heldMappings(output: string | undefined): string[] {
  return (output ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
}

/** Enables or disables a mapping; waits out a transition the mapping is in (ResourceInUseException). */
async function updateMapping(ctx: CommandContext, uuid: string, enabled: boolean): Promise<string | undefined> {
  const sleep = ctx.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return (await ctx.clients.lambda().send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }))).State;
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException' || attempt >= TRANSITION_ATTEMPTS) throw error;
      ctx.io.out(`event source mapping ${uuid} is in a transition; trying again in 3 s`);
      await sleep(3000);
    }
  }
}
