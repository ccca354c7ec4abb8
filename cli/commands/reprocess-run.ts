/**
 * What `replay --reprocess` needs besides the replay itself: the run's identity (new, or given to
 * continue a run) and the check that the pipeline
 * keeps a current table (read where the runtime reads it: the transform's environment).
 */
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { RUNTIME_ENV } from '../../lib/contract/environment';
import { isReprocessRunId, MAX_REPROCESS_RUN_ID_LENGTH, newReprocessRunId } from '../../lib/contract/reprocess';
import { CliError, EXIT, type CommandContext } from '../context';
import { requireOutput } from '../outputs';

/** The run id: `given` (to continue a run) when it is a valid one, else a new one. */
export function reprocessRunId(given: string | undefined, now: Date = new Date()): string {
  if (given === undefined) return newReprocessRunId(now);
  if (!isReprocessRunId(given)) {
    throw new CliError(
      `--run must be a reprocess run id (reprocess-<letters and digits, single . _ or - between them>, at most ${MAX_REPROCESS_RUN_ID_LENGTH} characters), got ${JSON.stringify(given)}`,
      EXIT.usage,
    );
  }
  return given;
}

/**
 * Refuses a reprocess of a pipeline without a current table: its records would be written to the
 * curated log a second time with nothing to take the new lines over the old ones (the runtime would
 * treat the run as a plain replay anyway). Read from the transform's environment (`CURRENT_TABLE`),
 * which is what the runtime itself reads.
 */
export async function requireCurrentTable(ctx: CommandContext): Promise<void> {
  const functionName = requireOutput(ctx.pipeline, 'transformFunctionName', 'to check that the pipeline keeps a current table');
  const config = await ctx.clients.lambda().send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  if (config.Environment?.Variables?.[RUNTIME_ENV.currentTable] === 'true') return;
  throw new CliError(
    `refusing --reprocess: pipeline ${ctx.pipeline.label} keeps no current table (its transform ${functionName} has no ${RUNTIME_ENV.currentTable}=true). ` +
      'Re-derived records would be a second curated line per record that no table takes over the first. Turn on currentTable in the EtlPipeline and deploy, ' +
      'or run replay without --reprocess (a plain replay, deduplicated against what is already curated).',
    EXIT.refused,
  );
}
