import { Annotations, CfnOutput, Duration, Fn, RemovalPolicy, Tags, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { liveViewName } from '../contract/lakehouse/sql';
import { PIPELINE_OUTPUT, dlqOutputId } from '../contract/stack-outputs';
import { CLAIM_CHECK_ROOT, STREAM_ARCHIVE_PREFIX } from '../contract/storage-layout';
import { createPipelineKey } from '../core/encryption';
import { PropValidator } from '../core/prop-validator';
import { NameScope, claimUniqueName } from '../core/unique-names';
import { guardStackSize } from '../core/stack-size-guard';
import { EventBusIngest, EventBusIngestProps, IEventBusIngest, validateEventBusIngestProps } from '../ingest/event-bus-ingest';
import { IStreamIngest, StreamIngest, StreamIngestProps, validateStreamIngestProps } from '../ingest/stream-ingest';
import { CostGuardrails, ICostGuardrails, validateCostGuardrailsProps } from '../governance/cost-guardrails';
import { AlarmRouting, AlarmSeverity, IAlarmRouting } from '../observability/alarm-routing';
import { BatchWorkflow, BatchWorkflowOptions, IBatchWorkflow, validateBatchWorkflowProps } from '../orchestration/batch-workflow';
import { IPipelineAlarms, OperationalAlarmThresholds, PipelineAlarms, validateAlarmThresholds } from '../observability/pipeline-alarms';
import { CostPerUnit, CostPerUnitOptions, ICostPerUnit, validateCostPerUnitProps } from '../governance/cost-per-unit';
import { IIncidentTiming, IncidentTiming, IncidentTimingOptions, validateIncidentTimingProps } from '../observability/incident-timing';
import { IPipelineDashboard, PipelineDashboard } from '../observability/pipeline-dashboard';
import { IPipelineSlos, PipelineSlos, SloObjectives, validateSloObjectives } from '../observability/pipeline-slos';
import { IWatermarkPublisher, WatermarkPublisher } from '../observability/watermark-publisher';
import { PipelineSource } from '../contract/watermarks';
import type { IDeadLetterQueue } from '../reliability/dead-letter-queue';
import { IIdempotencyStore, IdempotencyStore, validateIdempotencyStoreProps } from '../reliability/idempotency-store';
import { ISchemaRegistry, SchemaRegistry, SchemaRegistryProps, validateSchemaRegistryProps } from '../schema/schema-registry';
import { DataLake, DataLakeProps, IDataLake, validateDataLakeProps } from '../staging/data-lake';
import { IServerlessWarehouse, ServerlessWarehouse, WarehouseColumn, WarehouseOptions, validateServerlessWarehouseProps } from '../staging/serverless-warehouse';
import { CurrentTable, CurrentTableOptions, ICurrentTable, validateCurrentTableProps } from '../lakehouse/current-table';
import { LAKEHOUSE_TABLE_COLUMNS, type TableColumn } from '../lakehouse/table-columns';
import {
  KinesisSourceOptions,
  SqsSourceOptions,
  ITransformFunction,
  TransformFunction,
  TransformFunctionOptions,
  TransformSettings,
  validateKinesisSourceOptions,
  validateSqsSourceOptions,
  validateTransformFunctionProps,
} from '../transform/transform-function';
import { transformPassThrough, transformPropPath } from './transform-pass-through';

/**
 * Props for {@link EtlPipeline}: the transform's options (module, records, sinks, runtime) at the
 * top level, how its function runs under `transform`, and the pipeline's parts.
 */
export interface EtlPipelineProps extends TransformFunctionOptions {
  /**
   * Pipeline name: tags, metric dimension `Pipeline`, log field (2 to 63 of a-z, 0-9, "-").
   * Physical names derive from it: the CloudWatch dashboard (`<name>-pipeline`) and the AWS
   * Budgets budget (`<name>-pipeline-monthly`) must be unique per account, the paused-flag SSM
   * parameter (`/cdk-serverless-etl/<name>/paused`) and the `Pipeline` metric dimension per account
   * and region. Two pipelines with one name in an app fail synth; across apps deployed to the same
   * account, keep names unique yourself (so also the dataset's Glue database and Athena workgroup,
   * and explicit names: `eventBus.eventBusName`, `schemas.registryName`,
   * `batchWorkflow.pausedParameterName`, `warehouse.databaseName`).
   */
  readonly pipelineName: string;

  /**
   * JSON Schemas (draft-04) of the records, one per version: records are validated (mismatches
   * quarantined) and `"x-pii"` fields masked before the transform sees them.
   * @default - no validation, no masking
   */
  readonly schemas?: SchemaRegistryProps;

  /**
   * Skip records already curated (redeliveries, retries, replays) with an idempotency store.
   * @default true (false with `deduplication: 'table'`)
   */
  readonly idempotency?: boolean;

  /**
   * Where exactly-once holds. `'claims'`: an idempotency store claims each record id (a DynamoDB
   * write per record) before its object is written, so the curated log, the sink table and the
   * current table each hold a record once, whatever redelivers it. `'table'` (needs `currentTable`):
   * no idempotency store; the current table holds each key once (the MERGE keeps the newest line, a
   * line merged twice changes nothing), and the curated log holds a record once per delivery of the
   * same batch (its object key is derived from the batch's input positions, so a retried batch
   * overwrites its own objects); a redelivery in another batch (Kinesis retrying from a failed
   * record, bisection, a duplicate SQS or EventBridge delivery, a replay) writes the record again
   * under another key. Consumers of the current table need no more; consumers of the curated log
   * (or the sink table) who count records need `'claims'`. See docs/decisions.md.
   * @default 'claims'
   */
  readonly deduplication?: 'claims' | 'table';

  /**
   * How long the idempotency store remembers a record id.
   * @default Duration.days(30)
   */
  readonly idempotencyTimeToLive?: Duration;

  /**
   * The one KMS key of the pipeline (S3, SQS, Kinesis, EventBridge, logs). An imported key's
   * policy must already allow CloudWatch Logs, EventBridge and the pipeline's roles.
   * @default - a new key with rotation on, retained on stack deletion
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Removal policy of the buckets, the stream and the queues. Anything but RETAIN is a data-loss risk.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Data lake settings (the pipeline's key and removal policy always apply).
   * @default - DataLake defaults
   */
  readonly dataLake?: DataLakeProps;

  /**
   * Ingest through a Kinesis stream.
   * @default true
   */
  readonly enableStream?: boolean;

  /**
   * Stream settings (the pipeline's key and removal policy always apply).
   * @default - StreamIngest defaults
   */
  readonly stream?: StreamIngestProps;

  /**
   * Archive every stream record to the raw bucket (Firehose), for replay beyond stream retention.
   * @default true
   */
  readonly archiveStream?: boolean;

  /**
   * Ingest through a custom EventBridge bus and an SQS buffer.
   * @default true
   */
  readonly enableEventBus?: boolean;

  /**
   * Event bus settings (the pipeline's key always applies).
   * @default - EventBusIngest defaults, with a buffer visibility timeout of 6 × the transform timeout
   */
  readonly eventBus?: EventBusIngestProps;

  /**
   * Transform function settings.
   * @default - TransformFunction defaults
   */
  readonly transform?: TransformSettings;

  /**
   * Kinesis event source settings.
   * @default - TransformFunction.addKinesisSource defaults
   */
  readonly kinesisSource?: KinesisSourceOptions;

  /**
   * SQS event source settings.
   * @default - TransformFunction.addSqsSource defaults
   */
  readonly sqsSource?: SqsSourceOptions;

  /**
   * Topic of page-severity alarms (bring your pager's topic, or subscribe to the created one).
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly pageTopic?: sns.ITopic;

  /**
   * Topic of ticket-severity alarms and budget notifications.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly ticketTopic?: sns.ITopic;

  /**
   * Service-level objectives (success rate, freshness, error rate, cold starts) and their
   * burn-rate alerts.
   * @default - SloObjectives defaults (success 99.5%, p95 freshness under 5 minutes, ...)
   */
  readonly slos?: SloObjectives;

  /**
   * Publish each source's watermark age every minute (a small scheduled function, see
   * `WatermarkPublisher`), so a stalled source is alarmed even while others flow, and the batch
   * deadline (`slos.batchDeadline`) is measured.
   * @default true
   */
  readonly watermarks?: boolean;

  /**
   * Thresholds of the operational alarms.
   * @default - OperationalAlarmThresholds defaults
   */
  readonly alarmThresholds?: OperationalAlarmThresholds;

  /**
   * Record time to detect and time to recover (M7, M8) of the pipeline's alarms with an
   * EventBridge rule on alarm state changes and a small function (see `IncidentTiming`).
   * @default true
   */
  readonly recordIncidentTiming?: boolean;

  /**
   * Objectives of time to detect and time to recover (needs `recordIncidentTiming`).
   * @default - IncidentTimingOptions defaults (10 and 30 minutes)
   */
  readonly incidentTiming?: IncidentTimingOptions;

  /**
   * Publish the estimated cost per million records every hour (M6), with an alarm on its trend
   * and AWS Cost Anomaly Detection on the `pipeline` tag (see `CostPerUnit`).
   * @default true
   */
  readonly publishCostPerUnit?: boolean;

  /**
   * Prices and options of the cost per unit (needs `publishCostPerUnit`).
   * @default - CostPerUnitOptions defaults (us-east-1 list prices, Cost Anomaly Detection on)
   */
  readonly costPerUnit?: CostPerUnitOptions;

  /**
   * Monthly AWS Budgets cost budget in USD for the resources tagged `pipeline=<name>`.
   * @default - no budget
   */
  readonly monthlyBudgetUsd?: number;

  /**
   * Base address of the runbook that every alarm description and the dashboard link to
   * (`<runbookUrl>#<section>`): an absolute http(s) URL without a #fragment, e.g. your wiki's copy
   * of the package's docs/runbooks.md.
   * @default - the installed version's published docs/runbooks.md
   *   (`https://unpkg.com/cdk-serverless-etl@<version>/docs/runbooks.md`)
   */
  readonly runbookUrl?: string;

  /**
   * Process JSON Lines objects landing in the raw bucket (under the workflow's `prefix`, default
   * `batch/`) with a Step Functions batch workflow; its completion, failure and drift events go
   * to the default event bus.
   * @default - no batch workflow
   */
  readonly batchWorkflow?: BatchWorkflowOptions;

  /**
   * A Glue table (partition projection) and an Athena workgroup over the curated data, so it is
   * queryable right after deploy.
   * @default - no warehouse
   */
  readonly warehouse?: WarehouseOptions;

  /**
   * A current table of the dataset: Apache Iceberg, one row per key (newest version wins, deletes
   * applied), kept up to date from the curated objects by Athena MERGE (see `CurrentTable`). Needs
   * `warehouse` (its database and workgroup), whose columns then default to the output schema's.
   * @default - no current table
   */
  readonly currentTable?: CurrentTableOptions;

  /**
   * Create the CloudWatch dashboard.
   * @default true
   */
  readonly dashboard?: boolean;

  /**
   * Create stack outputs naming the pipeline's inputs, outputs and DLQs (used by the CLI and runbooks).
   * @default true
   */
  readonly createOutputs?: boolean;
}

/**
 * A complete ingest → transform → stage pipeline: a data lake, Kinesis and/or EventBridge ingest,
 * one transform function fed by both, a DLQ on every asynchronous edge with a depth alarm, one
 * KMS key for everything, and the tag `pipeline=<name>` on every resource.
 */
export class EtlPipeline extends Construct {
  /** Pipeline name. */
  public readonly pipelineName: string;
  /** The pipeline's KMS key. */
  public readonly encryptionKey: kms.IKey;
  /** Raw, curated and quarantine buckets. */
  public readonly dataLake: IDataLake;
  /** The Kinesis ingest, when enabled. */
  public readonly streamIngest?: IStreamIngest;
  /** The EventBridge ingest, when enabled. */
  public readonly eventBusIngest?: IEventBusIngest;
  /** The transform function. */
  public readonly transform: ITransformFunction;
  /** The schema registry, when schemas are given. */
  public readonly schemaRegistry?: ISchemaRegistry;
  /** The idempotency store, unless disabled. */
  public readonly idempotencyStore?: IIdempotencyStore;
  /** Routing of the pipeline's alarms to its page and ticket topics. */
  public readonly alarmRouting: IAlarmRouting;
  /** The pipeline's objectives and burn-rate alerts. */
  public readonly slos: IPipelineSlos;
  /** The watermark publisher, unless `watermarks` is false. */
  public readonly watermarks?: IWatermarkPublisher;
  /** The pipeline's operational alarms. */
  public readonly operationalAlarms: IPipelineAlarms;
  /** The dashboard, unless disabled. */
  public readonly dashboard?: IPipelineDashboard;
  /** The batch workflow, when `batchWorkflow` is set. */
  public readonly batchWorkflow?: IBatchWorkflow;
  /** The warehouse, when `warehouse` is set. */
  public readonly warehouse?: IServerlessWarehouse;
  /** The current table, when `currentTable` is set. */
  public readonly currentTable?: ICurrentTable;
  /** Time to detect and to recover, unless `recordIncidentTiming` is false. */
  public readonly incidentTiming?: IIncidentTiming;
  /** Cost per million records, unless `publishCostPerUnit` is false. */
  public readonly costPerUnit?: ICostPerUnit;
  /** The cost budget, when `monthlyBudgetUsd` is set. */
  public readonly costGuardrails?: ICostGuardrails;
  /** Every dead-letter queue of the pipeline. */
  public readonly deadLetterQueues: IDeadLetterQueue[];
  /** Log groups of functions besides the transform and the batch steps that the dashboard's log queries search. */
  private readonly dashboardLogGroups: logs.ILogGroup[] = [];

  constructor(scope: Construct, id: string, props: EtlPipelineProps) {
    super(scope, id);
    const v = new PropValidator(`EtlPipeline (${this.node.path})`);
    validateEtlPipelineProps(v, props, this);
    v.throwIfInvalid();

    this.pipelineName = props.pipelineName;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Pipeline ${props.pipelineName}: data at rest`);

    this.dataLake = new DataLake(this, 'DataLake', { ...props.dataLake, encryptionKey: this.encryptionKey, removalPolicy });
    if (props.schemas) this.schemaRegistry = new SchemaRegistry(this, 'Schemas', props.schemas);
    if (claimsRecords(props)) {
      this.idempotencyStore = new IdempotencyStore(this, 'IdempotencyStore', {
        encryptionKey: this.encryptionKey,
        timeToLive: props.idempotencyTimeToLive,
        removalPolicy,
      });
    }
    this.transform = this.createTransform(props);

    const dlqs: IDeadLetterQueue[] = [];
    if (props.enableStream ?? true) {
      this.streamIngest = this.createStreamIngest(props, removalPolicy);
      dlqs.push(this.transform.addKinesisSource(this.streamIngest.stream, props.kinesisSource));
    }
    if (props.enableEventBus ?? true) {
      this.eventBusIngest = this.createEventBusIngest(props, removalPolicy);
      this.transform.addSqsSource(this.eventBusIngest.bufferQueue, props.sqsSource);
      dlqs.push(this.eventBusIngest.bufferDeadLetterQueue, this.eventBusIngest.deliveryDeadLetterQueue);
    }
    if (props.batchWorkflow) {
      this.batchWorkflow = this.createBatchWorkflow(props, props.batchWorkflow);
      dlqs.push(this.batchWorkflow.deadLetterQueue);
    }
    if (props.warehouse) this.warehouse = this.createWarehouse(props, props.warehouse);
    if (props.currentTable && this.warehouse) {
      this.currentTable = this.createCurrentTable(props, props.currentTable, this.warehouse);
      dlqs.push(this.currentTable.mergeDeadLetterQueue);
    }
    this.deadLetterQueues = dlqs;

    this.alarmRouting = new AlarmRouting(this, 'Alarms', {
      pageTopic: props.pageTopic,
      ticketTopic: props.ticketTopic,
      encryptionKey: this.encryptionKey,
      displayName: `${props.pipelineName} pipeline`,
    });
    if (props.watermarks ?? true) this.watermarks = this.createWatermarks(props, removalPolicy);
    this.slos = new PipelineSlos(this, 'Slos', {
      ...props.slos,
      watermarks: this.watermarks,
      pipelineName: props.pipelineName,
      stage: this.transform.stage,
      routing: this.alarmRouting,
      transformFunction: this.transform,
      runbookUrl: props.runbookUrl,
    });
    this.operationalAlarms = this.createOperationalAlarms(props);
    if (props.recordIncidentTiming ?? true) {
      this.incidentTiming = new IncidentTiming(this, 'IncidentTiming', {
        ...props.incidentTiming,
        pipelineName: props.pipelineName,
        routing: this.alarmRouting,
        encryptionKey: this.encryptionKey,
        runbookUrl: props.runbookUrl,
        runtime: props.runtime,
      });
    }
    if (props.publishCostPerUnit ?? true) {
      this.costPerUnit = new CostPerUnit(this, 'CostPerUnit', {
        ...props.costPerUnit,
        pipelineName: props.pipelineName,
        stage: this.transform.stage,
        pricedScope: this,
        s3Writers: [this.transform.function],
        routing: this.alarmRouting,
        encryptionKey: this.encryptionKey,
        runbookUrl: props.runbookUrl,
        runtime: props.runtime,
      });
    }
    if (props.dashboard ?? true) this.dashboard = this.createDashboard(props);
    if (props.monthlyBudgetUsd !== undefined) {
      this.costGuardrails = new CostGuardrails(this, 'CostGuardrails', {
        pipelineName: props.pipelineName,
        monthlyBudgetUsd: props.monthlyBudgetUsd,
        notificationTopic: this.alarmRouting.ticketTopic,
      });
    }

    Tags.of(this).add('pipeline', props.pipelineName);
    guardStackSize(this);
    if (props.createOutputs ?? true) this.createOutputs();
  }

  /** DLQ depth alarms of the pipeline, one per DLQ. */
  public get deadLetterAlarms(): cloudwatch.Alarm[] {
    return this.deadLetterQueues.map((d) => d.depthAlarm);
  }

  private createTransform(props: EtlPipelineProps): ITransformFunction {
    return new TransformFunction(this, 'Transform', {
      ...transformPassThrough(props),
      // Event times the warehouse's projection cannot read fall back to the receive time.
      firstPartitionDate: props.warehouse?.firstPartitionDate,
      curatedBucket: this.dataLake.curatedBucket,
      quarantineBucket: this.dataLake.quarantineBucket,
      rawBucket: this.dataLake.rawBucket,
      schemaRegistry: this.schemaRegistry,
      idempotencyStore: this.idempotencyStore,
      encryptionKey: this.encryptionKey,
    });
  }

  private createStreamIngest(props: EtlPipelineProps, removalPolicy: RemovalPolicy): IStreamIngest {
    return new StreamIngest(this, 'StreamIngest', {
      ...props.stream,
      encryptionKey: this.encryptionKey,
      removalPolicy,
      archiveBucket: (props.archiveStream ?? true) ? (props.stream?.archiveBucket ?? this.dataLake.rawBucket) : undefined,
    });
  }

  private createEventBusIngest(props: EtlPipelineProps, removalPolicy: RemovalPolicy): IEventBusIngest {
    const timeout = props.transform?.timeout ?? Duration.seconds(60);
    return new EventBusIngest(this, 'EventBusIngest', {
      ...props.eventBus,
      encryptionKey: this.encryptionKey,
      removalPolicy,
      bufferVisibilityTimeout:
        props.eventBus?.bufferVisibilityTimeout ?? capDuration(Duration.seconds(timeout.toSeconds() * 6), Duration.hours(12)),
    });
  }

  private createBatchWorkflow(props: EtlPipelineProps, options: BatchWorkflowOptions): IBatchWorkflow {
    return new BatchWorkflow(this, 'BatchWorkflow', {
      ...options,
      pipelineName: props.pipelineName,
      dataset: props.dataset,
      transform: this.transform,
      rawBucket: this.dataLake.rawBucket,
      curatedBucket: this.dataLake.curatedBucket,
      quarantineBucket: this.dataLake.quarantineBucket,
      // Not the ingest bus: its rule would feed the workflow's own events back into the transform.
      eventBus: events.EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      encryptionKey: this.encryptionKey,
      runtime: props.runtime,
    });
  }

  private createWarehouse(props: EtlPipelineProps, options: WarehouseOptions): IServerlessWarehouse {
    return new ServerlessWarehouse(this, 'Warehouse', {
      ...options,
      columns: options.columns ?? (props.currentTable ? warehouseColumns(props.currentTable) : undefined),
      curatedBucket: this.dataLake.curatedBucket,
      dataset: props.dataset ?? props.pipelineName,
      encryptionKey: this.encryptionKey,
      accessLogsBucket: this.dataLake.accessLogsBucket,
    });
  }

  private createWatermarks(props: EtlPipelineProps, removalPolicy: RemovalPolicy): WatermarkPublisher {
    const sources: PipelineSource[] = [];
    if (this.streamIngest) sources.push(PipelineSource.STREAM);
    if (this.eventBusIngest) sources.push(PipelineSource.BUS);
    if (this.batchWorkflow) sources.push(PipelineSource.BATCH);
    return new WatermarkPublisher(this, 'Watermarks', {
      pipelineName: props.pipelineName,
      stage: this.transform.stage,
      sources,
      batchDeadline: props.slos?.batchDeadline,
      encryptionKey: this.encryptionKey,
      removalPolicy,
      runtime: props.runtime,
    });
  }

  private createCurrentTable(props: EtlPipelineProps, options: CurrentTableOptions, warehouse: IServerlessWarehouse): ICurrentTable {
    const table = new CurrentTable(this, 'CurrentTable', {
      ...options,
      pipelineName: props.pipelineName,
      dataset: props.dataset ?? props.pipelineName,
      curatedBucket: this.dataLake.curatedBucket,
      warehouse,
      firstPartitionDate: props.warehouse?.firstPartitionDate,
      encryptionKey: this.encryptionKey,
      runtime: props.runtime,
    });
    table.configureTransform(this.transform);
    if (options.versionField !== undefined && props.recordVersionField === undefined) {
      // Versions the table orders by, but deduplication by id alone: only the first version of an id gets there.
      Annotations.of(table).addWarningV2(
        'cdk-serverless-etl:versionsDeduplicatedById',
        `currentTable.versionField is ${JSON.stringify(options.versionField)} but recordVersionField is not set: records are deduplicated by id, ` +
          `so a newer version of an id is skipped as a duplicate (in the same batch${claimsRecords(props) ? ', and with the idempotency store in any later one' : ''}). ` +
          'Set recordVersionField to the input field holding the version.',
      );
    }
    this.dashboardLogGroups.push(table.stepsFunction.logGroup);
    return table;
  }

  private createOperationalAlarms(props: EtlPipelineProps): IPipelineAlarms {
    const alarms = new PipelineAlarms(this, 'OperationalAlarms', {
      ...props.alarmThresholds,
      pipelineName: props.pipelineName,
      routing: this.alarmRouting,
      transform: this.transform,
      streamIngest: this.streamIngest,
      eventBusIngest: this.eventBusIngest,
      idempotencyStore: this.idempotencyStore,
      deadLetterQueues: this.deadLetterQueues,
      watermarks: this.watermarks,
      runbookUrl: props.runbookUrl,
    });
    if (this.batchWorkflow) alarms.addStateMachine('BatchWorkflow', this.batchWorkflow.stateMachine);
    // The table lags when these fire; nothing is lost (the curated log keeps every record): a ticket.
    this.currentTable?.alarms.forEach((alarm) => this.alarmRouting.route(alarm, AlarmSeverity.TICKET));
    return alarms;
  }

  private createDashboard(props: EtlPipelineProps): IPipelineDashboard {
    return new PipelineDashboard(this, 'Dashboard', {
      pipelineName: props.pipelineName,
      transform: this.transform,
      slos: this.slos,
      alarms: this.alarmRouting.alarms.map((a) => a.alarm),
      streamIngest: this.streamIngest,
      eventBusIngest: this.eventBusIngest,
      deadLetterQueues: this.deadLetterQueues,
      batchWorkflow: this.batchWorkflow,
      currentTable: this.currentTable,
      watermarks: this.watermarks,
      logGroups: this.dashboardLogGroups,
      runbookUrl: props.runbookUrl,
      incidentTiming: this.incidentTiming,
      costPerUnit: this.costPerUnit,
    });
  }

  private createOutputs(): void {
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    // The CLI groups outputs by this construct's path and picks a pipeline by this value (--pipeline).
    out(PIPELINE_OUTPUT.pipelineName, this.pipelineName, 'Pipeline name: the CLI option --pipeline picks this pipeline by it');
    out(PIPELINE_OUTPUT.rawBucketName, this.dataLake.rawBucket.bucketName, 'Raw bucket: landing zone and replay source');
    out(PIPELINE_OUTPUT.curatedBucketName, this.dataLake.curatedBucket.bucketName, 'Curated bucket: transformed, partitioned output');
    out(PIPELINE_OUTPUT.quarantineBucketName, this.dataLake.quarantineBucket.bucketName, 'Quarantine bucket: records that failed deterministically');
    out(PIPELINE_OUTPUT.pageTopicArn, this.alarmRouting.pageTopic.topicArn, 'SNS topic of page-severity alarms: subscribe the pager');
    out(PIPELINE_OUTPUT.ticketTopicArn, this.alarmRouting.ticketTopic.topicArn, 'SNS topic of ticket-severity alarms and budget notifications');
    if (this.batchWorkflow) {
      out(PIPELINE_OUTPUT.stateMachineArn, this.batchWorkflow.stateMachine.stateMachineArn, 'Step Functions batch workflow (re-run: start-execution with {"bucket","key"})');
      out(PIPELINE_OUTPUT.pausedParameter, this.batchWorkflow.pausedParameter.parameterName, 'SSM flag: "true" pauses the pipeline (set on schema drift)');
      const held = this.batchWorkflow.heldSources;
      if (held.length > 0) {
        out(
          PIPELINE_OUTPUT.heldSourceMappings,
          Fn.join(',', held.map((m) => m.eventSourceMappingId)),
          'Event source mappings a pause disables (stream and bus records wait in their source): pause and resume set them',
        );
      }
    }
    if (this.warehouse) {
      out(PIPELINE_OUTPUT.warehouseDatabase, this.warehouse.databaseName, 'Glue database of the curated table');
      out(PIPELINE_OUTPUT.warehouseTable, this.warehouse.tableName, 'Glue table over the curated data (partition projection)');
      out(PIPELINE_OUTPUT.athenaWorkGroup, this.warehouse.workGroupName, 'Athena workgroup for queries (encrypted results, scan limit)');
    }
    if (this.dashboard) out(PIPELINE_OUTPUT.dashboardName, this.dashboard.dashboard.dashboardName, 'CloudWatch dashboard of the pipeline');
    if (this.idempotencyStore) out(PIPELINE_OUTPUT.idempotencyTableName, this.idempotencyStore.table.tableName, 'Idempotency store (record id → curated object)');
    if (this.schemaRegistry) out(PIPELINE_OUTPUT.schemaRegistryName, this.schemaRegistry.registryName, 'EventBridge Schemas registry of the record schemas');
    out(PIPELINE_OUTPUT.transformFunctionName, this.transform.function.functionName, 'Transform function (invoked through its live alias)');
    if (this.streamIngest) {
      out(PIPELINE_OUTPUT.streamName, this.streamIngest.stream.streamName, 'Kinesis ingest stream');
      out(PIPELINE_OUTPUT.streamArn, this.streamIngest.stream.streamArn, 'Kinesis ingest stream ARN');
    }
    if (this.eventBusIngest) {
      out(PIPELINE_OUTPUT.eventBusName, this.eventBusIngest.eventBus.eventBusName, 'EventBridge ingest bus');
      out(PIPELINE_OUTPUT.eventArchiveName, this.eventBusIngest.archive.archiveName, 'EventBridge archive (replay source)');
      out(PIPELINE_OUTPUT.bufferQueueUrl, this.eventBusIngest.bufferQueue.queueUrl, 'SQS buffer queue between the bus and the transform');
    }
    if (this.currentTable) {
      const { spec } = this.currentTable;
      out(PIPELINE_OUTPUT.currentTableName, `${spec.database}.${spec.table}`, 'Current table (Iceberg, one row per key, newest wins; deleted keys kept as tombstones): query it in the Athena workgroup');
      out(PIPELINE_OUTPUT.currentTableLiveView, `${spec.database}.${liveViewName(spec)}`, 'View of the current table without deleted keys: what most readers want');
      out(PIPELINE_OUTPUT.mergeStateMachineArn, this.currentTable.mergeStateMachine.stateMachineArn, 'Merges pending curated objects into the current table (the CLI command merge starts it)');
      out(PIPELINE_OUTPUT.maintenanceStateMachineArn, this.currentTable.maintenanceStateMachine.stateMachineArn, 'Compacts the current table and expires its old snapshots');
      out(PIPELINE_OUTPUT.mergeQueueUrl, this.currentTable.mergeQueue.queueUrl, 'Curated objects not merged yet ({"bucket","key"} per object); redrive moves the merge DLQ back here');
    }
    this.deadLetterQueues.forEach((dlq) => {
      out(dlqOutputId(dlq.node.id), dlq.queue.queueUrl, `Dead-letter queue ${dlq.node.path}`);
    });
  }
}

/** The warehouse's columns from the current table's output schema: its data columns and the lakehouse columns. */
function warehouseColumns(options: CurrentTableOptions): WarehouseColumn[] {
  const v = new PropValidator('currentTable');
  return warehouseColumnsOf(validateCurrentTableProps(v, options) ?? []);
}

function warehouseColumnsOf(columns: readonly TableColumn[]): WarehouseColumn[] {
  // The curated JSON table reads the lines as they are: ISO-8601 text stays text there.
  return [...columns, ...LAKEHOUSE_TABLE_COLUMNS].map((c) => ({ name: c.name, type: c.sourceType ?? c.type, ...(c.doc ? { comment: c.doc } : {}) }));
}

/**
 * The warehouse, the current table and the deduplication mode: the warehouse's columns default to
 * the current table's (its output schema's), so they are checked together.
 */
function validateLakehouseProps(v: PropValidator, props: EtlPipelineProps, dataset: string): void {
  const tableColumns = props.currentTable ? validateCurrentTableProps(v.nested('currentTable'), { ...props.currentTable, dataset }) : undefined;
  v.check(props.currentTable !== undefined && props.warehouse === undefined, 'currentTable is set but warehouse is not; the current table lives in the warehouse\'s database and is merged in its workgroup: set warehouse (its columns then default to the output schema\'s)');
  if (props.warehouse) {
    const columns = props.warehouse.columns ?? (tableColumns ? warehouseColumnsOf(tableColumns) : props.currentTable ? [{ name: 'derived', type: 'string' }] : undefined);
    validateServerlessWarehouseProps(v.nested('warehouse'), { ...props.warehouse, columns, dataset });
  }
  v.check(
      props.deduplication !== undefined && props.deduplication !== 'claims' && props.deduplication !== 'table',
      `deduplication is ${JSON.stringify(props.deduplication)}; it must be 'claims' or 'table'`,
    )
    .check(
      props.deduplication === 'table' && props.currentTable === undefined,
      "deduplication is 'table' but currentTable is not set; without a current table nothing would hold a record once: set currentTable, or keep 'claims'",
    )
    .check(
      props.deduplication === 'table' && props.idempotency === true,
      "deduplication is 'table' and idempotency is true; 'table' means no idempotency store (leave idempotency unset), 'claims' keeps it",
    );
}

/** Whether the pipeline claims record ids in an idempotency store (`deduplication: 'claims'` and `idempotency`). */
function claimsRecords(props: EtlPipelineProps): boolean {
  return (props.deduplication ?? 'claims') === 'claims' && (props.idempotency ?? true);
}

function capDuration(value: Duration, cap: Duration): Duration {
  return value.toSeconds() > cap.toSeconds() ? cap : value;
}


/**
 * Checks every prop of an {@link EtlPipeline} before anything is created: each nested
 * construct's own checks, named by the path the user wrote (`transform.memorySize`,
 * `kinesisSource.batchSize`), the combinations only the pipeline sees, and the names that must be
 * unique in the app. Adds each problem to `v`.
 */
function validateEtlPipelineProps(v: PropValidator, props: EtlPipelineProps, pipeline: Construct): void {
  const enableStream = props.enableStream ?? true;
  const enableEventBus = props.enableEventBus ?? true;
  const idempotency = claimsRecords(props);
  const archive = enableStream && (props.archiveStream ?? true);
  const timeout = props.transform?.timeout ?? Duration.seconds(60);
  const visibility = props.eventBus?.bufferVisibilityTimeout ?? capDuration(Duration.seconds(timeout.toSeconds() * 6), Duration.hours(12));
  const dataset = props.dataset ?? props.pipelineName;

  v.check(!enableStream && !enableEventBus, 'enableStream and enableEventBus are both false; enable at least one source')
    .check(!enableStream && props.stream !== undefined, 'stream is set but enableStream is false')
    .check(!enableStream && props.kinesisSource !== undefined, 'kinesisSource is set but enableStream is false')
    .check(
      !enableStream && props.archiveStream === true,
      'archiveStream is true but enableStream is false; there is no stream to archive (batch objects are in the raw bucket already)',
    )
    .check(!enableEventBus && props.eventBus !== undefined, 'eventBus is set but enableEventBus is false')
    .check(!enableEventBus && props.sqsSource !== undefined, 'sqsSource is set but enableEventBus is false')
    .check(!idempotency && props.idempotencyTimeToLive !== undefined, `idempotencyTimeToLive is set but ${props.deduplication === 'table' ? "deduplication is 'table' (no idempotency store)" : 'idempotency is false'}`)

    .check(
      props.slos?.batchDeadline !== undefined && props.batchWorkflow === undefined,
      'slos.batchDeadline is set but batchWorkflow is not; the deadline is of the batch workflow\'s daily export',
    )
    .check(
      props.slos?.batchDeadline !== undefined && props.watermarks === false,
      'slos.batchDeadline is set but watermarks is false; the deadline is measured on the batch watermark',
    );
  for (const [prop, value] of [
    ['dataLake', props.dataLake],
    ['stream', props.stream],
    ['eventBus', props.eventBus],
  ] as const) {
    v.check(
      value?.encryptionKey !== undefined,
      `${prop}.encryptionKey is set; the pipeline's one key encrypts everything: set encryptionKey instead`,
    ).check(
      value !== undefined && 'removalPolicy' in value && value.removalPolicy !== undefined,
      `${prop}.removalPolicy is set; the pipeline's removalPolicy applies to every resource: set removalPolicy instead`,
    );
  }
  if (!timeout.isUnresolved() && !visibility.isUnresolved()) {
    v.check(
      visibility.toSeconds() < timeout.toSeconds(),
      `eventBus.bufferVisibilityTimeout is ${visibility.toHumanString()}; it must be at least transform.timeout ` +
        `(${timeout.toHumanString()}), or messages are redelivered while still being processed`,
    );
  }

  // Each construct's own checks, under the path the user wrote.
  validateTransformFunctionProps(
    v.nested(transformPropPath),
    { ...transformPassThrough(props), rawBucket: true },
  );
  validateDataLakeProps(v.nested((p) => (p === 'removalPolicy' ? p : `dataLake.${p}`)), { ...props.dataLake, removalPolicy: props.removalPolicy });
  if (props.schemas) validateSchemaRegistryProps(v.nested('schemas'), props.schemas);
  if (idempotency) {
    validateIdempotencyStoreProps(v.nested((p) => (p === 'timeToLive' ? 'idempotencyTimeToLive' : p)), { timeToLive: props.idempotencyTimeToLive });
  }
  if (enableStream) {
    const { archivePrefix, archiveBufferingInterval, ...stream } = props.stream ?? {};
    v.check(
      !archive && (archivePrefix !== undefined || archiveBufferingInterval !== undefined),
      'stream.archivePrefix and stream.archiveBufferingInterval need the archive; archiveStream is false',
    );
    validateStreamIngestProps(v.nested('stream'), archive ? { ...stream, archivePrefix, archiveBufferingInterval, archiveBucket: true } : stream);
    validateKinesisSourceOptions(v.nested('kinesisSource'), props.kinesisSource ?? {});
  }
  if (enableEventBus) {
    validateEventBusIngestProps(v.nested('eventBus'), props.eventBus ?? {});
    validateSqsSourceOptions(v.nested('sqsSource'), props.sqsSource ?? {});
  }
  if (props.batchWorkflow) {
    validateBatchWorkflowProps(
      v.nested((p) => (p === 'pipelineName' || p === 'dataset' || p === 'runtime' ? p : p === 'transform.schemaRegistry' ? 'schemas' : `batchWorkflow.${p}`)),
      { ...props.batchWorkflow, pipelineName: props.pipelineName, dataset: props.dataset, runtime: props.runtime },
      props.schemas !== undefined,
    );
  }
  validateLakehouseProps(v, props, dataset);
  validateSloObjectives(v.nested('slos'), props.slos ?? {});
  const userDlq = props.kinesisSource?.deadLetterQueue;
  validateAlarmThresholds(
    v.nested('alarmThresholds'),
    props.alarmThresholds ?? {},
    enableStream && userDlq ? [{ name: `kinesisSource.deadLetterQueue (${userDlq.node.path})`, retentionPeriod: userDlq.retentionPeriod }] : [],
  );
  if (props.monthlyBudgetUsd !== undefined) validateCostGuardrailsProps(v, { monthlyBudgetUsd: props.monthlyBudgetUsd });
  validateOperationsProps(v, props);

  // Combinations only the pipeline sees.
  validateBatchPrefix(v, props, archive);
  if (idempotency) validateIdempotencyWindow(v, props, enableStream, enableEventBus);
  validateUniqueNames(v, props, pipeline, dataset);
}

/** The incident timing's and the cost per unit's options, and their switches. */
function validateOperationsProps(v: PropValidator, props: EtlPipelineProps): void {
  v.check(props.recordIncidentTiming === false && props.incidentTiming !== undefined, 'incidentTiming is set but recordIncidentTiming is false');
  validateIncidentTimingProps(v.nested('incidentTiming'), props.incidentTiming ?? {});
  v.check(props.publishCostPerUnit === false && props.costPerUnit !== undefined, 'costPerUnit is set but publishCostPerUnit is false');
  validateCostPerUnitProps(v.nested('costPerUnit'), props.costPerUnit ?? {});
}

/** The batch workflow's prefix must keep away from what the pipeline itself writes to the raw bucket. */
function validateBatchPrefix(v: PropValidator, props: EtlPipelineProps, archive: boolean): void {
  const prefix = props.batchWorkflow?.prefix;
  if (prefix === undefined || Token.isUnresolved(prefix)) return;
  const archivePrefix = props.stream?.archivePrefix ?? STREAM_ARCHIVE_PREFIX;
  const overlaps = (other: string) => prefix.startsWith(other) || other.startsWith(prefix);
  const owned: string[] = [];
  // The archive goes to the raw bucket unless stream.archiveBucket names another one.
  if (archive && props.stream?.archiveBucket === undefined && !Token.isUnresolved(archivePrefix) && overlaps(archivePrefix)) {
    owned.push(`the stream archive (${archivePrefix || '(every key)'})`);
  }
  if (overlaps(CLAIM_CHECK_ROOT)) owned.push(`claim-checked records (${CLAIM_CHECK_ROOT})`);
  v.check(
    owned.length > 0,
    `batchWorkflow.prefix is ${JSON.stringify(prefix)}; it overlaps ${owned.join(' and ')} in the raw bucket: objects the ` +
      'pipeline writes there would start the workflow and be loaded again. Give the batch objects a prefix of their own (default "batch/")',
  );
}

/** A record redelivered after its idempotency claim expired is curated twice: the claim must outlive every replay source. */
function validateIdempotencyWindow(v: PropValidator, props: EtlPipelineProps, enableStream: boolean, enableEventBus: boolean): void {
  const ttl = props.idempotencyTimeToLive ?? Duration.days(30);
  if (ttl.isUnresolved()) return;
  const sources: Array<[string, Duration]> = [];
  if (enableStream) sources.push(['stream.retentionPeriod', props.stream?.retentionPeriod ?? Duration.hours(24)]);
  if (enableEventBus) sources.push(['eventBus.archiveRetention', props.eventBus?.archiveRetention ?? Duration.days(30)]);
  for (const [prop, retention] of sources) {
    if (retention.isUnresolved()) continue;
    v.check(
      ttl.toSeconds() < retention.toSeconds(),
      `idempotencyTimeToLive is ${ttl.toHumanString()}${props.idempotencyTimeToLive ? '' : ' (the default)'}; it must be at least ` +
        `${prop} (${retention.toHumanString()}): a record redelivered or replayed after its claim expired would be curated twice`,
    );
  }
}

/**
 * Names derived from `pipelineName` (and explicit physical names) must be unique: the dashboard
 * and the budget per account, the paused-flag parameter, the `Pipeline` metric dimension, the
 * Glue database and Athena workgroup per account and region.
 */
function validateUniqueNames(v: PropValidator, props: EtlPipelineProps, pipeline: Construct, dataset: string): void {
  const taken = (what: string, name: string | undefined, where: NameScope, prop: string, reason: string) => {
    if (name === undefined) return;
    const other = claimUniqueName(pipeline, what, name, where);
    v.check(
      other !== undefined,
      `${prop} is ${JSON.stringify(name)}; ${other} uses it too (${reason}, unique per ${where === NameScope.ACCOUNT ? 'account' : 'account and region'})`,
    );
  };
  taken(
    'pipelineName',
    props.pipelineName,
    NameScope.ACCOUNT,
    'pipelineName',
    'the dashboard and the budget are named from it per account; the paused-flag parameter and the Pipeline metric dimension per region',
  );
  if (props.batchWorkflow?.pausedParameterName !== undefined) {
    taken('ssm-parameter', props.batchWorkflow.pausedParameterName, NameScope.REGION, 'batchWorkflow.pausedParameterName', 'an SSM parameter name');
  }
  if (props.warehouse) {
    const database = props.warehouse.databaseName ?? (Token.isUnresolved(dataset) ? undefined : `${dataset.replace(/-/g, '_').toLowerCase()}_etl`);
    taken('glue-database', database, NameScope.REGION, props.warehouse.databaseName ? 'warehouse.databaseName' : 'dataset (the warehouse database)', 'a Glue database and Athena workgroup name');
  }
  if (props.eventBus?.eventBusName !== undefined) {
    taken('event-bus', props.eventBus.eventBusName, NameScope.REGION, 'eventBus.eventBusName', 'an EventBridge bus name');
  }
  if (props.schemas?.registryName !== undefined) {
    taken('schema-registry', props.schemas.registryName, NameScope.REGION, 'schemas.registryName', 'an EventBridge schema registry name');
  }
}
