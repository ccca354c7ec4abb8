/**
 * `cdk-serverless-etl start [options]`: runs the app's pipeline end to end on local emulators (the
 * local runner, local/run/start). Loaded only for this command, so the other commands never load the
 * runner or its emulator packages.
 */
import { runLocal } from '../local/run/start';

/**
 * Runs the local runner with the options after `start`; returns its exit code (0 ok, 1 failed,
 * 2 usage, 3 emulators missing or not starting, 4 conservation check failed, 130 interrupted).
 */
export function start(argv: readonly string[]): Promise<number> {
  return runLocal(argv);
}
