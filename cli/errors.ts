/** The CLI's exit codes and its one-line error: shared by every CLI module, importing nothing. */

/**
 * Exit codes of the CLI. `partial`: the command ran, but left messages it could not handle in
 * their DLQ (each reported), so the DLQ is not empty.
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, refused: 3, partial: 4 });

/** An error the CLI reports as one line (no stack trace) with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
