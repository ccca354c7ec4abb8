/**
 * The batch workflow's own steps: the state machine (lib/orchestration/batch-workflow.ts) invokes
 * the steps function (lambda/handlers/check-object.ts) with one of these inputs, and catches the
 * errors it throws by name. A field or error renamed on one side only is a Catch on an error no
 * longer thrown, or an input the handler cannot read.
 */

/** The steps function's timeout: BatchWorkflow sets it, the function sizes its SDK clients' timeouts against it. */
export const STEPS_FUNCTION_TIMEOUT_SECONDS = 300;

/** What the steps function is asked to do (the `action` of every input). */
export enum StepAction {
  /** Size, format and line count of an object → its line ranges. */
  CHECK = 'check',
  /** Sum the batch summaries of the Map and decide whether the schema drifted. */
  SUMMARIZE = 'summarize',
  /** Record a rejected or drifted object in the quarantine bucket (a pointer, never a copy). */
  QUARANTINE = 'quarantine',
  /** Write the run-level lineage manifest. */
  LINEAGE = 'lineage',
  /** Fill the date placeholders of a scheduled run's key template. */
  RESOLVE_KEY = 'resolveKey',
}

/** Deterministic rejections of the object check: the object is quarantined, never retried. */
export enum ObjectCheckError {
  /** Larger than `maxObjectBytes` (or decompresses to more). */
  OBJECT_TOO_LARGE = 'ObjectTooLarge',
  /** Most of the sampled lines are not JSON objects. */
  NOT_JSON_LINES = 'NotJsonLines',
  /** More line ranges than the workflow maps over. */
  TOO_MANY_BATCHES = 'TooManyBatches',
  /** No records. */
  EMPTY_OBJECT = 'EmptyObject',
}

/** Every {@link ObjectCheckError}: the errors the state machine routes to quarantine. */
export const OBJECT_CHECK_ERRORS: readonly ObjectCheckError[] = Object.freeze(Object.values(ObjectCheckError));

/** Errors the state machine itself raises: the `error` of DLQ messages, events and quarantine pointers. */
export enum WorkflowError {
  /** A run started while the pipeline's paused flag was `true` (sent to the DLQ). */
  PIPELINE_PAUSED = 'PipelinePaused',
  /** The schema-mismatch rate passed `maxDriftRate` (the object is quarantined, the pipeline paused). */
  SCHEMA_DRIFT = 'SchemaDrift',
  /** The run failed (the final state after the DLQ and the `BatchFailed` event). */
  BATCH_FAILED = 'BatchFailed',
  /** Some records of a line range could not be stored (the range is processed again). */
  BATCH_ITEM_FAILURES = 'BatchItemFailures',
}

/**
 * A contiguous range of lines, processed by one invocation of the transform. For an uncompressed
 * object it also carries the range's bytes (inclusive), so the invocation reads only its part of
 * the object; for gzip they are `null` (the runtime decompresses from the start).
 */
export interface LineRange {
  readonly firstLine: number;
  readonly lineCount: number;
  readonly firstByte: number | null;
  readonly lastByte: number | null;
}

/** `check` input. */
export interface CheckObjectInput {
  readonly action: StepAction.CHECK;
  readonly bucket: string;
  readonly key: string;
  readonly linesPerBatch: number;
  readonly maxObjectBytes: number;
  /**
   * Bound on a gzip object's decompressed bytes: the check inflates and counts, and stops with
   * `ObjectTooLarge` past it (a small gzip can inflate to more than any batch can read).
   * @default - maxObjectBytes
   */
  readonly maxDecompressedBytes?: number;
  /** @default 1000 */
  readonly maxBatches?: number;
  /** Lines parsed as JSON to decide whether the object is JSON Lines. @default 100 */
  readonly sampleSize?: number;
  /** Lines of the schema sample (the workflow's `schemaSampleLines`) whose byte range to return. @default 0 */
  readonly schemaSampleLines?: number;
}

/** `check` output. */
export interface CheckObjectOutput {
  readonly bytes: number;
  readonly lineCount: number;
  /** The ETag the batches read with `If-Match` (a replaced object fails them instead of mixing versions). */
  readonly etag: string | null;
  readonly versionId: string | null;
  readonly ranges: LineRange[];
  /** Whether the object is gzip (then ranges carry no bytes). */
  readonly gzip: boolean;
  /** The range of the schema sample: the first `schemaSampleLines` lines (at least one line). */
  readonly sampleRange: LineRange;
}

/**
 * Where a range's records are now, as the transform's runtime returns them for an S3 line range
 * (summed by the workflow's `summarize` step). Unlike the metrics, which count one invocation's
 * work, a record an earlier delivery of the same range curated or quarantined counts as curated or
 * quarantined again, not as a duplicate: a range run twice (a Map Run retried) reports the same counts.
 */
export interface BatchSummary {
  readonly recordsIn: number;
  readonly curated: number;
  readonly quarantined: number;
  readonly schemaMismatches: number;
  readonly dropped: number;
  /** Records whose id another input (or an earlier line of the range) already brought to curated. */
  readonly duplicates: number;
  readonly retried: number;
}

/** The fields of {@link BatchSummary}, in the order `summarize` adds them up. */
export const BATCH_SUMMARY_FIELDS: ReadonlyArray<keyof BatchSummary> = Object.freeze([
  'recordsIn',
  'curated',
  'quarantined',
  'schemaMismatches',
  'dropped',
  'duplicates',
  'retried',
] as const);

/** `summarize` input: the Map's results. */
export interface SummarizeInput {
  readonly action: StepAction.SUMMARIZE;
  readonly batches: ReadonlyArray<{ readonly summary?: Partial<BatchSummary> } | null>;
  readonly maxDriftRate: number;
}

/** `summarize` output. */
export interface SummarizeOutput extends BatchSummary {
  /** What the counts cover: the whole object (a drift verdict after loading). */
  readonly scope: 'object';
  readonly batches: number;
  readonly driftRate: number;
  readonly drifted: boolean;
}

/** `quarantine` input. */
export interface QuarantineInput {
  readonly action: StepAction.QUARANTINE;
  readonly bucket: string;
  readonly key: string;
  readonly quarantineBucket: string;
  readonly prefix: string;
  readonly reason: string;
  readonly cause?: string;
  readonly executionId?: string;
}

/** `lineage` input: what the state machine knows of the run when its batches are summarized. */
export interface LineageInput {
  readonly action: StepAction.LINEAGE;
  /** Bucket and key prefix of the run manifests (the curated bucket's `_lineage/<dataset>/runs/`). */
  readonly bucket: string;
  readonly prefix: string;
  readonly pipeline: string;
  readonly dataset: string;
  readonly executionId: string;
  readonly executionName: string;
  /** The execution's start time (ISO 8601). */
  readonly startedAt: string;
  readonly source: { readonly bucket: string; readonly key: string; readonly object: Partial<CheckObjectOutput> };
  readonly transform: { readonly functionName: string; readonly alias: string; readonly version: string };
  readonly schemaSample?: Record<string, unknown>;
  readonly counts: Partial<SummarizeOutput>;
}

/** `resolveKey` input: a scheduled run's key template, the schedule's fire time and an offset. */
export interface ResolveKeyInput {
  readonly action: StepAction.RESOLVE_KEY;
  readonly template: string;
  /** The scheduled event's `time` (ISO 8601, UTC). */
  readonly time: string;
  /** Seconds subtracted from `time` before the placeholders are filled. @default 0 */
  readonly offsetSeconds?: number;
}

/** Any input of the steps function. */
export type StepInput = CheckObjectInput | SummarizeInput | QuarantineInput | LineageInput | ResolveKeyInput;

/**
 * An input as a state machine definition writes it: every field by its name, a scalar as its value
 * or a JSONPath reference (a string or number token), an object or list as a reference resolved
 * at run time (`JsonPath.objectAt`, `listAt`), so not checked further.
 */
export type StepPayload<T> = {
  readonly [K in keyof T]: T[K] extends string | number | boolean | null | undefined ? T[K] : unknown;
};
