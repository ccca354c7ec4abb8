/**
 * The contract between the pipeline runtime and a user's transform module.
 *
 * A transform module exports `transform(record, context)`. It receives the record after schema
 * validation and PII masking, and returns the curated record, an array of records (fan-out), or
 * `null` (or `[]`) to drop the input on purpose (counted, never an error). A throw is a
 * deterministic failure: the input is quarantined with the error and not retried.
 */

/** A JSON object record, as parsed from the source. */
export type PipelineRecord = Record<string, unknown>;

/** Where an input record came from, precise enough to find it again (lineage, replay). */
export type SourcePosition =
  | { readonly kind: 'kinesis'; readonly streamArn: string; readonly shardId: string; readonly sequenceNumber: string }
  | { readonly kind: 'sqs'; readonly queueArn: string; readonly messageId: string }
  | { readonly kind: 'eventbridge'; readonly eventBusName?: string; readonly eventId: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string; readonly line: number; readonly etag?: string };

/** What the runtime tells a transform about the record it is given. */
export interface TransformContext {
  /** Pipeline name (the `Pipeline` metric dimension). */
  readonly pipeline: string;
  /** Stage name (the `Stage` metric dimension). */
  readonly stage: string;
  /** The record's id (the idempotency key). */
  readonly recordId: string;
  /** The schema version the record was validated against, when the pipeline has schemas. */
  readonly schemaVersion?: string;
  /** The record's event time (ISO-8601; the receive time when the record has none). */
  readonly eventTime: string;
  /** Where the record came from. */
  readonly source: SourcePosition;
  /** When the source received the record (ISO-8601). */
  readonly receivedAt: string;
}

/** What a transform may return. */
export type TransformResult = PipelineRecord | PipelineRecord[] | null | undefined;

/** The signature of a user's `transform` export. */
export type TransformFn = (record: PipelineRecord, context: TransformContext) => TransformResult | Promise<TransformResult>;

/** The shape of a user's transform module. */
export interface TransformModule {
  readonly transform: TransformFn;
}
