/**
 * The runtime's CloudWatch metrics: what lambda/runtime/metrics.ts publishes (EMF) and what the
 * alarms, SLOs and dashboard of lib/observability read. A metric renamed on one side only would be
 * an alarm on a metric nobody emits.
 */

/** CloudWatch namespace of every pipeline metric. */
export const METRIC_NAMESPACE = 'ServerlessEtl';

/** The pipeline metrics' constants, as static members (what jsii carries to Python, Java and .NET). */
export class PipelineMetrics {
  /** CloudWatch namespace of every pipeline metric (`ServerlessEtl`). */
  public static readonly NAMESPACE: string = METRIC_NAMESPACE;

  private constructor() {}
}

/** The dimensions of every pipeline metric, and no others (never a per-record value: cost and cardinality). */
export const METRIC_DIMENSION = Object.freeze({
  /** The pipeline's name. */
  pipeline: 'Pipeline',
  /** The transform's stage. */
  stage: 'Stage',
} as const);

/** The runtime's metric names: part of the library's API (alarms and dashboards use them). */
export enum PipelineMetricName {
  /** Records received. */
  RECORDS_IN = 'RecordsIn',
  /** Records written to curated (fan-out counted per output). */
  RECORDS_OUT = 'RecordsOut',
  /** Records quarantined (deterministic failures). */
  RECORDS_QUARANTINED = 'RecordsQuarantined',
  /** Records the transform dropped on purpose. */
  RECORDS_DROPPED = 'RecordsDropped',
  /** Records skipped as already curated (idempotency store). */
  DUPLICATES_SKIPPED = 'DuplicatesSkipped',
  /** Records that did not match their schema. */
  SCHEMA_MISMATCHES = 'SchemaMismatches',
  /** Records whose transform threw. */
  TRANSFORM_ERRORS = 'TransformErrors',
  /** Records reported as batch item failures (retried by the source). */
  RECORDS_RETRIED = 'RecordsRetried',
  /** Curated records stored by reference in the raw bucket. */
  CLAIM_CHECKED = 'ClaimChecked',
  /** Invocations that started a new container. */
  COLD_STARTS = 'ColdStarts',
  /** Records whose event time fell outside the warehouse's bounds and fell back to the receive time. */
  EVENT_TIME_OUT_OF_BOUNDS = 'EventTimeOutOfBounds',
  /** Seconds from a record's event time to its sink write (up to 100 values per line; percentiles). */
  FRESHNESS_LAG_SECONDS = 'FreshnessLagSeconds',
}

/** A metric the runtime counts (unit `Count`, written every invocation, zeros included). */
export type CountMetricName = Exclude<PipelineMetricName, PipelineMetricName.FRESHNESS_LAG_SECONDS>;

/** The count metrics, in the order the runtime writes them. */
export const COUNT_METRICS: readonly CountMetricName[] = Object.freeze(
  Object.values(PipelineMetricName).filter((name): name is CountMetricName => name !== PipelineMetricName.FRESHNESS_LAG_SECONDS),
);

/**
 * Metrics of the pipeline's operations functions (not the transform runtime's): cost per unit
 * (M6), published by the cost publisher, and time to detect and to recover (M7, M8), published
 * by the incident-timing recorder. Dimension `Pipeline`, and `Service` or `Severity` as named.
 */
export enum OperationsMetricName {
  /** Estimated USD per million records in over the cost period (dimension `Pipeline`). */
  COST_PER_MILLION_RECORDS = 'CostPerMillionRecords',
  /** Estimated USD over the cost period: in total (`Pipeline`) and per service (`Pipeline`, `Service`). */
  COST_USD = 'CostUsd',
  /** Seconds from the start of the data an alarm evaluated to its ALARM state (`Pipeline`, `Severity`). */
  TIME_TO_DETECT_SECONDS = 'TimeToDetectSeconds',
  /** Seconds an alarm spent in ALARM before returning to OK (`Pipeline`, `Severity`). */
  TIME_TO_RECOVER_SECONDS = 'TimeToRecoverSeconds',
}

/** The extra dimensions of the operations metrics. */
export const OPERATIONS_DIMENSION = Object.freeze({
  /** The AWS service a cost part belongs to (`Lambda`, `S3`, ...). */
  service: 'Service',
  /** The routed severity of an alarm (`page`, `ticket`; `component` for an unrouted component alarm). */
  severity: 'Severity',
} as const);

/**
 * Tags every alarm of a pipeline carries, read by the incident-timing recorder to attribute an
 * alarm state change: `pipeline` (the pipeline's cost-allocation tag, on every resource) and the
 * severity `AlarmRouting` routed it with (`page` or `ticket`; none for a component alarm).
 */
export const ALARM_TAG = Object.freeze({
  /** The pipeline's name. */
  pipeline: 'pipeline',
  /** The routed severity. */
  severity: 'alarm-severity',
} as const);

/** Environment of the operations functions (incident-timing recorder, cost publisher). */
export const OPERATIONS_ENV = Object.freeze({
  /** The pipeline's name: the `Pipeline` dimension and the `pipeline` tag it attributes alarms by. */
  pipeline: 'PIPELINE_NAME',
  /** The function's timeout in seconds: sizes its SDK clients' timeouts. */
  functionTimeoutSeconds: 'FUNCTION_TIMEOUT_SECONDS',
} as const);
