import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { BATCH_WORKFLOW_EVENT_SOURCE, BatchWorkflowEventType } from '../contract/events';
import { RUNTIME_DEFAULTS, RUNTIME_ENV } from '../contract/environment';
import { LAKEHOUSE_COLUMNS } from '../contract/lakehouse/columns';
import { currentTableColumns, type CurrentTablePartitionField, type CurrentTableSqlSpec } from '../contract/lakehouse/sql';
import { DLQ_ID } from '../contract/stack-outputs';
import { currentTablePrefix } from '../contract/storage-layout';
import { INLINE_POLICY_ACKNOWLEDGEMENT, acknowledgeRules, bucketObjectsFinding, flatResource } from '../core/compliance';
import { publishedDocUrl } from '../core/docs';
import { allowLogsToUseKey, createPipelineKey } from '../core/encryption';
import { PropValidator } from '../core/prop-validator';
import { DeadLetterQueue, IDeadLetterQueue } from '../reliability/dead-letter-queue';
import { RuleScopedSqsQueue } from '../reliability/rule-scoped-queue';
import type { IServerlessWarehouse } from '../staging/serverless-warehouse';
import type { ITransformFunction } from '../transform/transform-function';
import { createIcebergTable, createLiveView, createSourceTable, type CurrentTableLayout } from './glue-tables';
import { grantTableQueries } from './query-access';
import { createMaintenanceDefinition, createMergeDefinition } from './merge-workflow';
import { createMergeStepsFunction } from './merge-steps-function';
import { LAKEHOUSE_TABLE_COLUMNS, columnsFromJsonSchema, type TableColumn } from './table-columns';

/** Settings of a {@link CurrentTable} (what EtlPipeline's `currentTable` takes). */
export interface CurrentTableOptions {
  /**
   * The JSON Schema of the transform's output records: a file (resolved against the current
   * directory) or the parsed schema. Each top-level property becomes a column (see
   * docs/decisions.md for the type mapping); nothing is declared by hand.
   */
  readonly outputSchema: string | { readonly [keyword: string]: unknown };
  /**
   * The output field whose value is the table key (one row per value).
   * @default - the record id (`idField`, or the payload hash)
   */
  readonly key?: string;
  /**
   * An output field ordering the versions of a key (e.g. `updatedAt`, a sequence number): the
   * newest wins, then the newest event time, then the latest processing.
   * @default - event time, then processing time
   */
  readonly versionField?: string;
  /**
   * The Iceberg partition spec, over the table's columns (reserved `_etl_…` ones included):
   * `year`, `month`, `day`, `hour` of a timestamp or date column, `identity`, `bucket`, `truncate`.
   * The reserved columns are strings (times as ISO-8601 UTC text): `truncate` width 10 of
   * `_etl_event_time` is its day.
   * @default - the day of the event time: `[{ column: '_etl_event_time', transform: 'truncate', width: 10 }]`
   */
  readonly partitionBy?: CurrentTablePartitionField[];
  /**
   * Table name (lower case letters, digits, `_`); the MERGE's source is `<tableName>_source`, the
   * view of live rows `<tableName>_live`.
   * @default - the dataset with `-` replaced by `_`, plus `_current`
   */
  readonly tableName?: string;
  /**
   * When pending curated objects are merged, besides after each batch workflow run.
   * @default Schedule.rate(Duration.minutes(15))
   */
  readonly mergeSchedule?: events.Schedule;
  /**
   * When the table is compacted (OPTIMIZE … BIN_PACK) and old snapshots expire (VACUUM).
   * @default Schedule.cron({ hour: '3', minute: '30' }) (daily, 03:30 UTC)
   */
  readonly maintenanceSchedule?: events.Schedule;
  /**
   * Curated objects per MERGE round (1 to 1,000); an execution runs rounds until none are pending.
   * @default 200
   */
  readonly maxObjectsPerMerge?: number;
  /**
   * Snapshots younger than this are kept by VACUUM (time travel, concurrent readers): 1 hour to 90 days.
   * @default Duration.days(5)
   */
  readonly snapshotRetention?: Duration;
  /**
   * The merge backlog alarm fires when the oldest pending object is older than this (15 minutes to 14 days).
   * @default Duration.hours(1)
   */
  readonly maxMergeBacklogAge?: Duration;
  /**
   * Receives of a pending object's message before it goes to the merge DLQ (2 to 100): each
   * failed merge is one receive.
   * @default 5
   */
  readonly maxMergeAttempts?: number;
}

/** Props for {@link CurrentTable}. */
export interface CurrentTableProps extends CurrentTableOptions {
  /** Pipeline name: the `BatchCompleted` events that trigger a merge, descriptions. */
  readonly pipelineName: string;
  /** The dataset: the curated objects under `<dataset>/` are merged; the table lives under `_current/<dataset>/`. */
  readonly dataset: string;
  /**
   * The curated bucket. A bucket of the same app gets EventBridge notifications turned on; an
   * imported one must have them on already.
   */
  readonly curatedBucket: s3.IBucket;
  /** The warehouse: its Glue database holds the tables, its workgroup runs the MERGE and maintenance. */
  readonly warehouse: IServerlessWarehouse;
  /**
   * First day the source table's partition projection reads (YYYY-MM-DD): the warehouse's.
   * @default '2024-01-01'
   */
  readonly firstPartitionDate?: string;
  /**
   * KMS key of the merge queue, its DLQ and the log groups.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the state machines' and the steps function's log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Lambda runtime of the merge steps function.
   * @default - the newest Node.js runtime aws-cdk-lib knows
   */
  readonly runtime?: lambda.Runtime;
}

/** A current table of the library, as other constructs accept it: implemented by {@link CurrentTable}. */
export interface ICurrentTable extends IConstruct {
  /** The table's name, database and columns, as the SQL builders take them. */
  readonly spec: CurrentTableSqlSpec;
  /** The Iceberg table. */
  readonly table: glue.CfnTable;
  /** The merge state machine. */
  readonly mergeStateMachine: sfn.StateMachine;
  /** The maintenance state machine. */
  readonly maintenanceStateMachine: sfn.StateMachine;
  /** Pending curated objects. */
  readonly mergeQueue: sqs.Queue;
  /** Objects whose merge failed maxMergeAttempts times, and undeliverable events. */
  readonly mergeDeadLetterQueue: IDeadLetterQueue;
  /** Failed merges, merge backlog age, failed maintenance. */
  readonly alarms: cloudwatch.Alarm[];
  /** Sets the transform's environment so its curated lines carry the lakehouse columns. */
  configureTransform(transform: ITransformFunction): void;
}

/** Reasonable Athena query time before a MERGE or maintenance statement is given up (and retried). */
const QUERY_TIMEOUT = Duration.minutes(30);

/**
 * A current table of a dataset: an Apache Iceberg table in the Glue Data Catalog with one row per
 * key, the newest version winning and deleted keys kept as tombstones, kept up to date from the
 * curated objects by Athena `MERGE INTO` (see docs/architecture.md, The lakehouse).
 *
 * Merge tracking is exact: each curated object created under `<dataset>/` becomes a message of the
 * merge queue (EventBridge), the merge state machine (on `mergeSchedule` and after each batch
 * workflow run) takes a bounded set of them, runs the MERGE over exactly those objects, waits for
 * it (`.sync`) and deletes the messages only once it committed. A failed merge leaves them to come
 * back; after `maxMergeAttempts` they go to the merge DLQ. Merging an object twice changes nothing
 * (newest wins, ties broken by position, tombstones keep deleted keys deleted). The maintenance
 * state machine compacts (OPTIMIZE … BIN_PACK) and expires snapshots (VACUUM) on its own schedule.
 * Alarms: failed merge executions, merge backlog age, failed maintenance; the DLQ's depth alarm.
 */
export class CurrentTable extends Construct implements ICurrentTable {
  public readonly spec: CurrentTableSqlSpec;
  public readonly table: glue.CfnTable;
  /** The curated JSON Lines table the MERGE reads (all columns, reserved ones included). */
  public readonly sourceTable: glue.CfnTable;
  /** The view of live rows (`<table>_live`). */
  public readonly liveView: glue.CfnTable;
  /** Every column of the table, in table order. */
  public readonly columns: TableColumn[];
  public readonly mergeStateMachine: sfn.StateMachine;
  public readonly maintenanceStateMachine: sfn.StateMachine;
  public readonly mergeQueue: sqs.Queue;
  public readonly mergeDeadLetterQueue: IDeadLetterQueue;
  /** The function of the merge's own steps (collect pending objects, acknowledge merged ones). */
  public readonly stepsFunction: lambda.Function;
  public readonly alarms: cloudwatch.Alarm[];
  /** The output field of the table key, when `key` is set. */
  public readonly keyField?: string;
  /** The output field ordering a key's versions, when `versionField` is set. */
  public readonly versionField?: string;
  /** The key of the queues and log groups. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: CurrentTableProps) {
    super(scope, id);
    const validator = new PropValidator(`CurrentTable (${this.node.path})`);
    const derived = validateCurrentTableProps(validator, props);
    validator.throwIfInvalid();
    const data = derived as TableColumn[];
    const stack = Stack.of(this);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const tableName = props.tableName ?? defaultTableName(props.dataset);
    this.keyField = props.key;
    this.versionField = props.versionField;
    this.spec = {
      database: props.warehouse.databaseName,
      table: tableName,
      sourceTable: `${tableName}_source`,
      columns: data.map((c) => ({ name: c.name, type: c.type, ...(c.sourceType ? { sourceType: c.sourceType } : {}) })),
      ...(props.versionField ? { versionColumn: props.versionField.toLowerCase() } : {}),
      // The event time is ISO-8601 UTC text (RESERVED_TABLE_COLUMNS): its first 10 characters are the day.
      partitionBy: props.partitionBy ?? [{ column: LAKEHOUSE_COLUMNS.eventTime, transform: 'truncate', width: 10 }],
    };
    const byName = new Map([...LAKEHOUSE_TABLE_COLUMNS, ...data].map((c) => [c.name, c]));
    this.columns = currentTableColumns(this.spec).map((c) => byName.get(c.name) as TableColumn);

    const bucket = props.curatedBucket.bucketName;
    const layout: CurrentTableLayout = {
      catalogId: stack.account,
      spec: this.spec,
      columns: this.columns,
      sourceLocation: `s3://${bucket}/${props.dataset}/`,
      tableLocation: `s3://${bucket}/${currentTablePrefix(props.dataset)}`,
      firstPartitionDate: props.firstPartitionDate ?? RUNTIME_DEFAULTS.eventTimeEarliest,
      properties: icebergProperties(props.snapshotRetention ?? Duration.days(5)),
    };
    this.sourceTable = createSourceTable(this, 'SourceTable', layout);
    this.table = createIcebergTable(this, 'Table', layout);
    this.liveView = createLiveView(this, 'LiveView', layout);
    for (const t of [this.sourceTable, this.table, this.liveView]) t.addResourceDependency(props.warehouse.database);
    this.liveView.addResourceDependency(this.table);

    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Current table key of ${this.node.path}`);
    allowLogsToUseKey(this.encryptionKey);
    this.mergeDeadLetterQueue = new DeadLetterQueue(this, DLQ_ID.merge, {
      encryptionKey: this.encryptionKey,
      sourceDescription: `the current table ${this.node.path} (curated objects whose MERGE failed ${props.maxMergeAttempts ?? 5} times, undeliverable merge events)`,
    });
    this.mergeQueue = new sqs.Queue(this, 'MergeQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      // Longer than a merge round (its queries time out after QUERY_TIMEOUT, retried twice): a
      // message reappears only when its merge did not finish.
      visibilityTimeout: Duration.hours(2),
      retentionPeriod: Duration.days(7),
      deadLetterQueue: { queue: this.mergeDeadLetterQueue.queue, maxReceiveCount: props.maxMergeAttempts ?? 5 },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stepsFunction = createMergeStepsFunction(this, {
      pipelineName: props.pipelineName,
      queue: this.mergeQueue,
      encryptionKey: this.encryptionKey,
      logRetention: retention,
      runtime: props.runtime,
    });

    const query = { workGroupName: props.warehouse.workGroupName, database: this.spec.database, timeout: QUERY_TIMEOUT };
    this.mergeStateMachine = this.stateMachine('Merge', retention, `merges pending curated objects into ${tableName}`,
      createMergeDefinition(this, { ...query, stepsFunction: this.stepsFunction, spec: this.spec, maxObjects: props.maxObjectsPerMerge ?? 200 }));
    this.maintenanceStateMachine = this.stateMachine('Maintenance', retention, `compacts ${tableName} and expires its old snapshots`,
      createMaintenanceDefinition(this, { ...query, spec: this.spec }));
    for (const machine of [this.mergeStateMachine, this.maintenanceStateMachine]) {
      grantTableQueries(machine, {
        warehouse: props.warehouse,
        curatedBucket: props.curatedBucket,
        dataset: props.dataset,
        tableNames: [this.spec.sourceTable, this.spec.table],
      });
    }

    enableEventBridgeNotifications(props.curatedBucket);
    this.encryptionKey.grant(
      new iam.ServicePrincipal('events.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      'kms:GenerateDataKey',
      'kms:Decrypt',
    );
    this.createRules(props);
    this.alarms = this.createAlarms(props);
    this.acknowledgeDesignFindings(props);
  }

  /**
   * Sets the transform's environment so its curated lines carry the lakehouse columns, keyed by
   * `key`; a claim-checked line keeps the key and version fields.
   */
  public configureTransform(transform: ITransformFunction): void {
    transform.function.addEnvironment(RUNTIME_ENV.currentTable, 'true');
    if (this.keyField) transform.function.addEnvironment(RUNTIME_ENV.currentTableKey, this.keyField);
    if (this.versionField) transform.function.addEnvironment(RUNTIME_ENV.currentTableVersionField, this.versionField);
  }

  /** Age of the oldest curated object not merged yet (maximum over 5 minutes). */
  public metricBacklogAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.mergeQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum', ...props });
  }

  private stateMachine(id: string, retention: logs.RetentionDays, job: string, definition: sfn.IChainable): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention, encryptionKey: this.encryptionKey, removalPolicy: RemovalPolicy.RETAIN });
    return new sfn.StateMachine(this, `${id}StateMachine`, {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `cdk-serverless-etl current table: ${job}`,
    });
  }

  private createRules(props: CurrentTableProps): void {
    const dlq = this.mergeDeadLetterQueue.queue;
    const start = (machine: sfn.IStateMachine) => new targets.SfnStateMachine(machine, { deadLetterQueue: dlq, retryAttempts: 185, maxEventAge: Duration.hours(24) });
    new events.Rule(this, 'ObjectCreated', {
      description: `Queues each curated object of ${props.dataset} for the MERGE into ${this.spec.table}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.curatedBucket.bucketName] }, object: { key: [{ wildcard: `${props.dataset}/*.jsonl.gz` }] } },
      },
      targets: [
        new RuleScopedSqsQueue(this.mergeQueue, {
          message: events.RuleTargetInput.fromObject({
            bucket: events.EventField.fromPath('$.detail.bucket.name'),
            key: events.EventField.fromPath('$.detail.object.key'),
          }),
          deadLetterQueue: dlq,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
    new events.Rule(this, 'MergeSchedule', {
      description: `Merges pending curated objects into ${this.spec.table} on a schedule`,
      schedule: props.mergeSchedule ?? events.Schedule.rate(Duration.minutes(15)),
      targets: [start(this.mergeStateMachine)],
    });
    new events.Rule(this, 'MergeAfterBatch', {
      description: `Merges into ${this.spec.table} after each batch workflow run of ${props.pipelineName}`,
      eventPattern: { source: [BATCH_WORKFLOW_EVENT_SOURCE], detailType: [BatchWorkflowEventType.COMPLETED], detail: { pipeline: [props.pipelineName] } },
      targets: [start(this.mergeStateMachine)],
    });
    new events.Rule(this, 'MaintenanceSchedule', {
      description: `Compacts ${this.spec.table} and expires its old snapshots`,
      schedule: props.maintenanceSchedule ?? events.Schedule.cron({ hour: '3', minute: '30' }),
      targets: [start(this.maintenanceStateMachine)],
    });
  }

  private createAlarms(props: CurrentTableProps): cloudwatch.Alarm[] {
    const period = Duration.minutes(5);
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, anchor: string, meaning: string) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${meaning}. Runbook: ${publishedDocUrl('runbooks.md', anchor)}`,
      });
    const backlog = props.maxMergeBacklogAge ?? Duration.hours(1);
    return [
      alarm('MergeFailedAlarm', this.mergeStateMachine.metricFailed({ period }), 0, 'current-table-merge-failed',
        `Merges into ${this.spec.table} failed: the table lags the curated data (nothing is lost; the objects are merged again)`),
      alarm('MergeBacklogAlarm', this.metricBacklogAge(), backlog.toSeconds(), 'current-table-merge-backlog',
        `The oldest curated object not merged into ${this.spec.table} is older than ${backlog.toHumanString()}`),
      alarm('MaintenanceFailedAlarm', this.maintenanceStateMachine.metricFailed({ period }), 0, 'current-table-maintenance-failed',
        `Compaction or snapshot expiry of ${this.spec.table} failed: queries slow down and storage grows until it runs`),
    ];
  }

  private acknowledgeDesignFindings(props: CurrentTableProps): void {
    const objects = [
      bucketObjectsFinding(props.curatedBucket, `${props.dataset}/*`),
      bucketObjectsFinding(props.curatedBucket, `${currentTablePrefix(props.dataset)}*`),
      bucketObjectsFinding(props.warehouse.resultsBucket, 'results/*'),
    ];
    const reason =
      'Athena runs the MERGE and maintenance with this role\'s credentials: it reads the dataset\'s curated objects ' +
      '(names derived from input positions at run time), reads, writes and deletes (VACUUM) the Iceberg table\'s files under ' +
      '_current/<dataset>/ (named by Iceberg), and writes query results under results/ of the warehouse\'s results bucket. ' +
      'Written by aws-cdk-lib: X-Ray and CloudWatch Logs delivery actions support only Resource "*"';
    acknowledgeRules(this.mergeStateMachine.role, INLINE_POLICY_ACKNOWLEDGEMENT, {
      ids: ['AwsSolutions-IAM5[Resource::*]', `AwsSolutions-IAM5[Resource::${flatResource(this, `${this.stepsFunction.functionArn}:*`)}]`, ...objects],
      reason: `${reason}; lambda:InvokeFunction on the merge steps function and its qualified ARNs.`,
    });
    acknowledgeRules(this.maintenanceStateMachine.role, INLINE_POLICY_ACKNOWLEDGEMENT, { ids: ['AwsSolutions-IAM5[Resource::*]', ...objects], reason: `${reason}.` });
    // The roles EventBridge starts them with (aws-cdk-lib's, one per state machine, under it).
    for (const machine of [this.mergeStateMachine, this.maintenanceStateMachine]) acknowledgeRules(machine, INLINE_POLICY_ACKNOWLEDGEMENT);
  }
}

/** The table's name by default: the dataset with `-` replaced by `_`, plus `_current`. */
function defaultTableName(dataset: string): string {
  return `${dataset.replace(/-/g, '_').toLowerCase()}_current`;
}

/**
 * Iceberg table properties: Parquet with zstd, snapshots expired by VACUUM after `retention`.
 * Athena's VACUUM reads its own property names (`vacuum_max_snapshot_age_seconds`, default 5 days;
 * `vacuum_min_snapshots_to_keep`; `vacuum_max_metadata_files_to_keep`: Athena user guide, "VACUUM");
 * the Iceberg names are set too, for other engines (Spark's `expire_snapshots`) reading the table.
 */
function icebergProperties(retention: Duration): { [name: string]: string } {
  return {
    'write.format.default': 'parquet',
    'write.parquet.compression-codec': 'zstd',
    vacuum_max_snapshot_age_seconds: String(retention.toSeconds()),
    vacuum_min_snapshots_to_keep: '1',
    vacuum_max_metadata_files_to_keep: '100',
    'history.expire.max-snapshot-age-ms': String(retention.toMilliseconds()),
    'history.expire.min-snapshots-to-keep': '1',
    'write.metadata.delete-after-commit.enabled': 'true',
    'write.metadata.previous-versions-max': '100',
  };
}

/**
 * Turns on the bucket's EventBridge notifications (its own notification configuration, no
 * custom resource), when it is a bucket of this app; an imported bucket must have them on.
 */
function enableEventBridgeNotifications(bucket: s3.IBucket): void {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket)) return;
  const existing = (cfn.notificationConfiguration ?? {}) as s3.CfnBucket.NotificationConfigurationProperty;
  cfn.notificationConfiguration = { ...existing, eventBridgeConfiguration: { eventBridgeEnabled: true } };
}

const GLUE_NAME = /^[a-z0-9_]{1,255}$/;

/**
 * Checks the props of a {@link CurrentTable} (`EtlPipeline` passes its validator, under
 * `currentTable`) and returns the data columns derived from the output schema (undefined when it
 * could not be read).
 */
export function validateCurrentTableProps(v: PropValidator, props: CurrentTableOptions & { readonly dataset?: string }): TableColumn[] | undefined {
  const schema = readSchema(v, props.outputSchema);
  let columns: TableColumn[] | undefined;
  if (schema !== undefined) {
    const result = columnsFromJsonSchema(schema, v.path('outputSchema'));
    if (result.ok) columns = result.columns;
    else result.problems.forEach((p) => v.check(true, p));
  }
  const byField = new Map((columns ?? []).map((c) => [c.field, c]));
  for (const [prop, field] of [['key', props.key], ['versionField', props.versionField]] as const) {
    if (field === undefined || columns === undefined) continue;
    const column = byField.get(field);
    v.check(!column, `${v.path(prop)} is ${JSON.stringify(field)}, not a property of outputSchema (${[...byField.keys()].join(', ')})`);
    v.check(column?.json === true, `${v.path(prop)} is ${JSON.stringify(field)}, an object or array; it must be a string, integer, number or boolean`);
  }
  const base = props.dataset === undefined || Token.isUnresolved(props.dataset) ? undefined : defaultTableName(props.dataset);
  const name = props.tableName ?? base;
  if (name !== undefined) {
    v.pattern('tableName', name, GLUE_NAME, '1 to 255 characters of a-z, 0-9 and "_"');
    v.check(name.length > 249, `${v.path('tableName')} is ${name.length} characters; at most 249 (its source table adds "_source")`);
  }
  if (props.maxObjectsPerMerge !== undefined) v.integer('maxObjectsPerMerge', props.maxObjectsPerMerge, 1, 1000);
  if (props.maxMergeAttempts !== undefined) v.integer('maxMergeAttempts', props.maxMergeAttempts, 2, 100);
  if (props.snapshotRetention !== undefined) v.duration('snapshotRetention', props.snapshotRetention, Duration.hours(1), Duration.days(90));
  if (props.maxMergeBacklogAge !== undefined) v.duration('maxMergeBacklogAge', props.maxMergeBacklogAge, Duration.minutes(15), Duration.days(14));
  const names = new Set([...LAKEHOUSE_TABLE_COLUMNS, ...(columns ?? [])].map((c) => c.name));
  (props.partitionBy ?? []).forEach((p, i) => {
    v.check(columns !== undefined && !names.has(p.column), `${v.path(`partitionBy[${i}].column`)} is ${JSON.stringify(p.column)}, not a column of the table`);
    const sized = p.transform === 'bucket' || p.transform === 'truncate';
    v.check(
      sized ? !(Number.isInteger(p.width) && (p.width as number) > 0) : p.width !== undefined,
      sized ? `${v.path(`partitionBy[${i}].width`)} must be a positive integer for ${p.transform}` : `${v.path(`partitionBy[${i}].width`)} is set; only bucket and truncate take a width`,
    );
    const column = [...LAKEHOUSE_TABLE_COLUMNS, ...(columns ?? [])].find((c) => c.name === p.column);
    v.check(
      ['year', 'month', 'day', 'hour'].includes(p.transform) && column !== undefined && column.type !== 'timestamp' && column.type !== 'date',
      `${v.path(`partitionBy[${i}].transform`)} is ${p.transform}, but ${p.column} is a ${column?.type} column; ${p.transform} needs a timestamp or date (a date-time or date string in outputSchema)`,
    );
  });
  return columns;
}

function readSchema(v: PropValidator, schema: CurrentTableOptions['outputSchema']): unknown {
  if (typeof schema !== 'string') return schema;
  const file = path.resolve(schema);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    v.check(true, `${v.path('outputSchema')} is ${JSON.stringify(schema)} (${file}); it cannot be read as JSON: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
