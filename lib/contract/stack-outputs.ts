/**
 * The stack outputs an `EtlPipeline` creates (lib/pipeline/etl-pipeline.ts) and the operations CLI
 * reads (cli/outputs.ts; the local run writes them as `cdk deploy --outputs-file` does): output ids, and the construct ids of the dead-letter queues, whose
 * outputs are named `<DLQ id>Url` and whose kind the CLI tells by that id.
 */

/** The output id of each pipeline output the CLI reads, by the field of the CLI's pipeline object that holds it. */
export const PIPELINE_OUTPUT = Object.freeze({
  pipelineName: 'PipelineName',
  rawBucketName: 'RawBucketName',
  curatedBucketName: 'CuratedBucketName',
  quarantineBucketName: 'QuarantineBucketName',
  pageTopicArn: 'PageTopicArn',
  ticketTopicArn: 'TicketTopicArn',
  stateMachineArn: 'BatchWorkflowStateMachineArn',
  pausedParameter: 'BatchWorkflowPausedParameter',
  /** Comma-separated UUIDs of the event source mappings a pause disables (the stream and bus paths). */
  heldSourceMappings: 'HeldSourceMappings',
  warehouseDatabase: 'WarehouseDatabase',
  warehouseTable: 'WarehouseTable',
  athenaWorkGroup: 'AthenaWorkGroup',
  dashboardName: 'DashboardName',
  idempotencyTableName: 'IdempotencyTableName',
  schemaRegistryName: 'SchemaRegistryName',
  transformFunctionName: 'TransformFunctionName',
  streamName: 'StreamName',
  streamArn: 'StreamArn',
  eventBusName: 'EventBusName',
  eventArchiveName: 'EventArchiveName',
  bufferQueueUrl: 'BufferQueueUrl',
  /** The current table as Athena names it: `<database>.<table>`. */
  currentTableName: 'CurrentTableName',
  /** The view of the current table's live rows (tombstones left out): `<database>.<table>_live`. */
  currentTableLiveView: 'CurrentTableLiveView',
  /** The state machine that merges pending curated objects into the current table. */
  mergeStateMachineArn: 'MergeStateMachineArn',
  /** The state machine that compacts the current table and expires its old snapshots. */
  maintenanceStateMachineArn: 'MaintenanceStateMachineArn',
  /** The queue of curated objects not merged yet (one `{"bucket","key"}` message per object). */
  mergeQueueUrl: 'MergeQueueUrl',
} as const);

/** A pipeline output, by the field that holds it. */
export type PipelineOutputField = keyof typeof PIPELINE_OUTPUT;

/** Construct ids of the dead-letter queues the library's constructs create. */
export const DLQ_ID = Object.freeze({
  /** EventBusIngest: the buffer queue's redrive DLQ (events). */
  buffer: 'BufferDlq',
  /** EventBusIngest: events the bus's rules could not deliver. */
  delivery: 'DeliveryDlq',
  /** BatchWorkflow: failed, timed-out and paused runs (object and error). */
  workflow: 'Dlq',
  /** CurrentTable: curated objects whose MERGE kept failing, and merge events EventBridge could not deliver. */
  merge: 'MergeDlq',
  /** TransformFunction: the n-th Kinesis source's on-failure destination is `KinesisDlq<n>` (batch metadata). */
  kinesisPrefix: 'KinesisDlq',
} as const);

/** Suffix of a DLQ's output id: `<DLQ id>Url` holds its queue URL. */
export const DLQ_OUTPUT_SUFFIX = 'Url';

/** The construct id of the n-th (1-based) Kinesis source's DLQ. */
export function kinesisDlqId(n: number): string {
  return `${DLQ_ID.kinesisPrefix}${n}`;
}

/** The output id of a DLQ's queue URL. */
export function dlqOutputId(dlqId: string): string {
  return `${dlqId}${DLQ_OUTPUT_SUFFIX}`;
}
