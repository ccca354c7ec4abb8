/**
 * Confirmation of operations that change a pipeline. `--yes` skips it; on a terminal the operator
 * is asked; without a terminal the CLI refuses rather than act unconfirmed.
 */
import { CliError, EXIT, type CliIo } from './context';

/** Resolves when the operation is confirmed; throws a refusal (exit code 3) otherwise. */
export async function confirm(io: CliIo, yes: boolean, action: string): Promise<void> {
  if (yes) return;
  if (!io.isTTY) {
    throw new CliError(`refusing to ${action} without confirmation: not a terminal; pass --yes to confirm (or --dry-run to preview)`, EXIT.refused);
  }
  const answer = (await io.ask(`${action}? [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new CliError(`aborted: ${action} was not confirmed`, EXIT.refused);
}
