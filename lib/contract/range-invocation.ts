/**
 * How the batch workflow invokes the transform for one line range of an S3 object, and what the
 * runtime (lambda/runtime/batch-handler.ts) returns: the state machine builds the input and reads
 * the result by these names.
 */
import type { BatchSummary } from './workflow-steps';

/** A JSON Lines object to process: all of it, or a range of its lines. */
export interface S3ObjectInput {
  readonly s3Object: {
    readonly bucket: string;
    readonly key: string;
    /** First line to process (1-based). @default 1 */
    readonly firstLine?: number;
    /** Number of lines to process. @default - to the end */
    readonly lineCount?: number;
    /**
     * Byte offset of `firstLine` in the (uncompressed) object: with `lastByte`, only those bytes
     * are read (a ranged GET) instead of the whole object. `null` for gzip objects.
     * @default - the whole object is read
     */
    readonly firstByte?: number | null;
    /** Last byte (inclusive) of the range's last line. @default - the whole object is read */
    readonly lastByte?: number | null;
    /** Read only this version of the object (`If-Match`): a replaced object fails the read. @default - any */
    readonly etag?: string | null;
  };
  /**
   * Only validate the lines against the schemas and return a {@link SchemaSample}: nothing is
   * masked, transformed, claimed or written (a batch workflow's drift check before any load).
   * @default false
   */
  readonly validateOnly?: boolean;
  /**
   * The batch workflow execution (ARN) processing this range: named in the lineage manifest, which
   * ties the curated objects to the run's own manifest.
   * @default - none
   */
  readonly run?: string;
}

/**
 * What a validate-only pass over a sample found: the schema-mismatch rate a batch workflow
 * compares with its drift threshold before it loads anything.
 */
export interface SchemaSample {
  /** Records (non-empty lines) in the sample. */
  readonly recordsIn: number;
  /** Records that parse and carry an id (the same envelope the runtime builds). */
  readonly parsed: number;
  /** Records whose body is not a JSON object or lacks an id (quarantined later, not drift). */
  readonly malformed: number;
  /** Records that fail their schema version or name a version that is not registered. */
  readonly schemaMismatches: number;
  /** `schemaMismatches / recordsIn` (0 for an empty sample), as the workflow's summary computes it. */
  readonly driftRate: number;
  /** Records per schema version named (or defaulted), mismatches included. */
  readonly versions: Readonly<Record<string, number>>;
  /** Up to five distinct mismatch messages: JSON pointer and rule, no record content. */
  readonly errors: readonly string[];
}

/** The runtime's answer to an {@link S3ObjectInput} (besides `batchItemFailures`). */
export interface RangeResult {
  /** Counts of the range (a load). */
  readonly summary?: BatchSummary;
  /** The schema check (`validateOnly`: nothing was written). */
  readonly sample?: SchemaSample;
}
