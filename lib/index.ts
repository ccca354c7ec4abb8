/**
 * The library's public API: what a TypeScript user imports and what jsii carries to Python, Java
 * and .NET (`npm run check:jsii` fails on an export jsii would leave out). Internals (prop
 * validation, helper functions, deprecated constants) are imported from their modules inside lib/,
 * never exported here; constants are enums or static members.
 */
export { DataLake } from './staging/data-lake';
export type { DataLakeProps, IDataLake, RawObjectCreatedOptions } from './staging/data-lake';
export { StreamIngest } from './ingest/stream-ingest';
export type { IStreamIngest, StreamIngestProps } from './ingest/stream-ingest';
export { EventBusIngest } from './ingest/event-bus-ingest';
export type { EventBusIngestProps, IEventBusIngest } from './ingest/event-bus-ingest';
export { DeadLetterQueue } from './reliability/dead-letter-queue';
export type { DeadLetterQueueProps, IDeadLetterQueue } from './reliability/dead-letter-queue';
export { TransformFunction } from './transform/transform-function';
export type { ITransformFunction, KinesisSourceOptions, SqsSourceOptions, TransformFunctionOptions, TransformFunctionProps, TransformSettings } from './transform/transform-function';
export * from './pipeline/etl-pipeline';
export { IdempotencyStore } from './reliability/idempotency-store';
export type { IIdempotencyStore, IdempotencyStoreProps } from './reliability/idempotency-store';
export { SchemaRegistry } from './schema/schema-registry';
export type { ISchemaRegistry, SchemaRegistryProps, SchemaVersion } from './schema/schema-registry';
export * from './observability/alarm-routing';
export type { BurnRateAlert } from './observability/burn-rate';
export { PipelineSlos } from './observability/pipeline-slos';
export type { IPipelineSlos, PipelineSlosProps, SloObjectives } from './observability/pipeline-slos';
export { PipelineAlarms } from './observability/pipeline-alarms';
export type { IPipelineAlarms, OperationalAlarmThresholds, PipelineAlarmsProps, SourceStaleAfter } from './observability/pipeline-alarms';
export { WatermarkPublisher } from './observability/watermark-publisher';
export type { IWatermarkPublisher, WatermarkPublisherProps } from './observability/watermark-publisher';
export type { BatchDeadline } from './observability/batch-deadline';
export * from './observability/pipeline-dashboard';
export { IncidentTiming } from './observability/incident-timing';
export type { IIncidentTiming, IncidentTimingOptions, IncidentTimingProps } from './observability/incident-timing';
export { OperationsFunction } from './observability/operations-function';
export type { IOperationsFunction, OperationsFunctionProps } from './observability/operations-function';
export { CostGuardrails } from './governance/cost-guardrails';
export { CostPerUnit } from './governance/cost-per-unit';
export type { CostPerUnitOptions, CostPerUnitProps, ICostPerUnit } from './governance/cost-per-unit';
export { CostService } from './contract/cost';
export type { CostPrices } from './contract/cost';
export type { CostGuardrailsProps, ICostGuardrails } from './governance/cost-guardrails';
export { ServerlessWarehouse } from './staging/serverless-warehouse';
export type { IServerlessWarehouse, ServerlessWarehouseProps, WarehouseColumn, WarehouseOptions } from './staging/serverless-warehouse';
export { CurrentTable } from './lakehouse/current-table';
export type { CurrentTableOptions, CurrentTableProps, ICurrentTable } from './lakehouse/current-table';
export type { TableColumn } from './lakehouse/table-columns';
export { RecordOperation } from './contract/lakehouse/columns';
export type { CurrentTablePartitionField, CurrentTableSqlSpec, CurrentTableColumn } from './contract/lakehouse/sql';
export { BatchWorkflow, BatchWorkflowEventType, ObjectCheckError, WorkflowError } from './orchestration/batch-workflow';
export type { BatchWorkflowOptions, BatchWorkflowProps, IBatchWorkflow } from './orchestration/batch-workflow';
export * from './orchestration/fragments/pause-gate';
export * from './orchestration/fragments/run-failure';
export * from './orchestration/fragments/transform-passes';
export * from './testing/snapshot-template';
export { NodeRuntimes } from './core/node-runtimes';
export { OperationsMetricName, PipelineMetrics, PipelineMetricName } from './contract/metrics';
export { PipelineSource, WatermarkMetricName } from './contract/watermarks';
