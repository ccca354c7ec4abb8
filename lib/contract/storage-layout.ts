/**
 * Where the pipeline keeps objects in its buckets: what the runtime and the steps function write
 * (lambda/) and what the constructs grant and query (lib/): a prefix written on one side and granted
 * on the other only is an AccessDenied in production; a partition path the warehouse does not
 * project is data nobody can query.
 */

/** Default key prefix of the stream archive (Firehose) in the raw bucket. */
export const STREAM_ARCHIVE_PREFIX = 'stream-archive/';

/** Key prefix of claim-checked records in the raw bucket, all datasets. */
export const CLAIM_CHECK_ROOT = 'claim-check/';

/** Key prefix of lineage manifests in the curated bucket, all datasets. */
export const LINEAGE_ROOT = '_lineage/';

/** Suffix of the pointer the batch workflow writes for a quarantined object: `<prefix><key>.error.json`. */
export const QUARANTINE_POINTER_SUFFIX = '.error.json';

/** Key prefix of a dataset's claim-checked records in the raw bucket. */
export function claimCheckPrefix(dataset: string): string {
  return `${CLAIM_CHECK_ROOT}${dataset}/`;
}

/** Key prefix of a dataset's lineage manifests (per batch, under `dt=`) in the curated bucket. */
export function lineagePrefix(dataset: string): string {
  return `${LINEAGE_ROOT}${dataset}/`;
}

/** Key prefix of the batch workflow's run-level lineage manifests in the curated bucket. */
export function runLineagePrefix(dataset: string): string {
  return `${lineagePrefix(dataset)}runs/`;
}

/** Key prefix of the pointers to whole objects the batch workflow quarantined, in the quarantine bucket. */
export function quarantinedObjectsPrefix(dataset: string): string {
  return `${dataset}/objects/`;
}

/**
 * The Hive-style partition of curated and quarantined objects, `dt=<date>/hr=<hour>` (UTC), under
 * `<dataset>/`: the runtime fills in a record's date and hour, the warehouse's partition
 * projection its `${dt}` and `${hr}` placeholders.
 */
export function partitionPath(dt: string, hr: string): string {
  return `dt=${dt}/hr=${hr}`;
}

/**
 * The idempotency store's table (lib/reliability/idempotency-store.ts creates it, the runtime's
 * claims write it): its partition key, the record id, and its TTL attribute, epoch seconds. Not
 * DynamoDB reserved words: the runtime's expressions name them as they are.
 */
export const IDEMPOTENCY_TABLE = Object.freeze({
  partitionKey: 'id',
  timeToLiveAttribute: 'expiresAt',
} as const);

/**
 * Key prefix of a dataset's current table (Apache Iceberg data and metadata) in the curated
 * bucket: outside `<dataset>/`, so the curated JSON table never reads the table's files.
 */
export function currentTablePrefix(dataset: string): string {
  return `_current/${dataset}/`;
}
