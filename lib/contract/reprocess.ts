/**
 * A reprocess run: `cdk-serverless-etl replay --reprocess` re-derives records with the current
 * transform, as new curated lines that the current table's MERGE takes over the old ones. The run
 * is named once by the CLI and reaches the runtime without any change to the state machine or the
 * rules: as the name of every batch workflow execution it starts (`<run>--<hash of the object>`,
 * read from the range's `run`, the execution ARN) and as the EventBridge replay's name (read from
 * the `replay-name` field EventBridge puts on every replayed event). The runtime deduplicates a
 * run's records within the run (see lambda/runtime/idempotency-key.ts), never against the first
 * processing.
 */
/** Every reprocess run id starts with this (a plain replay's name never does). */
export const REPROCESS_RUN_PREFIX = 'reprocess-';

/**
 * Longest run id: an execution name is the id, `--` and 16 hex characters, within Step Functions'
 * 80; a replay name is the id itself, within EventBridge's 64.
 */
export const MAX_REPROCESS_RUN_ID_LENGTH = 60;

const RUN_ID = /^reprocess-[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;

/** Whether `value` is a reprocess run id: `reprocess-` then letters, digits and single `.`, `_` or `-` between them. */
export function isReprocessRunId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_REPROCESS_RUN_ID_LENGTH && RUN_ID.test(value);
}

/** A new run id, `reprocess-<UTC yyyymmddhhmmss>-<4 random base-36 characters>`. */
export function newReprocessRunId(now: Date = new Date(), random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[^0-9]/g, '').slice(0, 14);
  const suffix = Math.floor(random() * 36 ** 4).toString(36).padStart(4, '0');
  return `${REPROCESS_RUN_PREFIX}${stamp}-${suffix}`;
}

/** The suffix of an execution name after the run id: `--` and 16 lower-case hex characters (a hash of the object key). */
const EXECUTION_SUFFIX = /^--[0-9a-f]{16}$/;

/**
 * The batch workflow execution name of a raw object in run `runId`: `<run>--<FNV-1a 64 of the key,
 * 16 hex>`. The same object gets the same name in the same run, so Step Functions refuses to start
 * it twice; distinct keys of a run get distinct names but for a 64-bit collision.
 */
export function reprocessExecutionName(runId: string, objectKey: string): string {
  if (!isReprocessRunId(runId)) throw new RangeError(`not a reprocess run id: ${JSON.stringify(runId)}`);
  return `${runId}--${fnv1a64(objectKey)}`;
}

/** FNV-1a, 64 bits, of the UTF-16 code units of `text`, as 16 hex characters (dependency-free). */
function fnv1a64(text: string): string {
  const prime = BigInt('0x100000001b3');
  const mask = (BigInt(1) << BigInt(64)) - BigInt(1);
  let hash = BigInt('0xcbf29ce484222325');
  for (let i = 0; i < text.length; i++) hash = ((hash ^ BigInt(text.charCodeAt(i))) * prime) & mask;
  return hash.toString(16).padStart(16, '0');
}

/**
 * The run of a batch workflow execution (its ARN or its name), when it is a reprocess run's
 * (named `<run id>--<16 hex>`); undefined for every other execution.
 */
export function reprocessRunOfExecution(execution: string | undefined): string | undefined {
  if (typeof execution !== 'string') return undefined;
  const name = execution.slice(execution.lastIndexOf(':') + 1);
  const at = name.lastIndexOf('--');
  if (at < 0 || !EXECUTION_SUFFIX.test(name.slice(at))) return undefined;
  const run = name.slice(0, at);
  return isReprocessRunId(run) ? run : undefined;
}

/** The run of an EventBridge replay (its `replay-name`), when it is a reprocess run's; undefined for a plain replay or a live event. */
export function reprocessRunOfReplay(replayName: unknown): string | undefined {
  return isReprocessRunId(replayName) ? replayName : undefined;
}
