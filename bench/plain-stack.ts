/**
 * The library's pipeline written by hand with plain aws-cdk-lib (no cdk-serverless-etl
 * constructs), resource for resource: the same CloudFormation resource types with the same counts
 * as the library's stacks, and properties of similar size (key and bucket policies, IAM policies,
 * metric-math alarms, dashboard widgets, the state machine definition), so the synth benchmark
 * compares like with like.
 *
 * Without options it mirrors one `EtlPipeline` of the scale series (77 resources): KMS key, four
 * buckets with policies (access logs, raw with EventBridge notifications, curated, quarantine),
 * schema registry and schema, idempotency table, PII-hash secret, the transform function with its
 * role, log group, version, live alias and two event source mappings, a Kinesis stream with a
 * Firehose archive (two roles), an EventBridge bus with archive and rule, the SQS buffer and three
 * DLQs, page and ticket SNS topics, burn-rate SLO alarms (metric math, composite page and ticket
 * alarms), operational alarms and a three-row dashboard (`plain/observability.ts`).
 * With `batchWorkflow`, `warehouse`, `monthlyBudgetUsd` and `staleAfter` it mirrors the reference
 * ClickstreamPipelineStack (105 resources): the batch workflow of `plain/batch-workflow.ts` (a
 * second function bundled from `lambda/handlers/check-object.ts`, a Step Functions state machine
 * with a Distributed Map, its rules, DLQ, paused flag and alarms), a Glue database and table with
 * an Athena workgroup and results bucket, a monthly budget and a no-new-data alarm.
 *
 * Functions are bundled from the same handler code by a plain `NodejsFunction` (local esbuild, one
 * `npx esbuild` spawn per function; the runtime, the user's transform and the compiled schemas go
 * into each function's one bundle through esbuild aliases, where the library ships the runtime as a
 * shared module built once per synth); `bundler: 'in-process'` uses esbuild's API in-process
 * instead (`Code.fromAsset` with local bundling): the proposed fix.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { addBatchWorkflow } from './plain/batch-workflow';
import { plainFunction, type PlainBundler } from './plain/function';
import { addObservability, alarmTopics, type WatchedDlq } from './plain/observability';

const ROOT = path.join(__dirname, '..');

/** The warehouse table's columns (those of the reference stack, plus the claim-check columns). */
const WAREHOUSE_COLUMNS: glue.CfnTable.ColumnProperty[] = [
  { name: 'eventid', type: 'string', comment: 'unique event id' },
  { name: 'eventtime', type: 'string', comment: 'ISO-8601 event time' },
  { name: 'eventtype', type: 'string', comment: 'page_view, click, add_to_cart or purchase' },
  { name: 'userkey', type: 'string', comment: 'pseudonymous user key (keyed hash)' },
  { name: 'sessionid', type: 'string' },
  { name: 'host', type: 'string' },
  { name: 'path', type: 'string' },
  { name: 'referrerhost', type: 'string' },
  { name: 'isconversion', type: 'boolean' },
  { name: 'properties', type: 'map<string,string>' },
  { name: 'schemaversion', type: 'string' },
  { name: 'pipeline', type: 'string' },
  { name: 'recordid', type: 'string', comment: 'record id of a claim-checked record' },
  { name: 'claimcheck', type: 'struct<bucket:string,key:string,bytes:bigint>', comment: 'where an oversize record is stored' },
];

export interface PlainPipelineStackProps extends StackProps {
  readonly transformEntry: string;
  readonly schemaModule: string;
  readonly schemaJson: string;
  readonly pipelineName: string;
  /** @default pipelineName with "-" as "_" */
  readonly dataset?: string;
  /** @default 'npx' */
  readonly bundler?: PlainBundler;
  /**
   * The batch workflow (S3 object created → Step Functions with a Distributed Map over the transform).
   * @default false
   */
  readonly batchWorkflow?: boolean;
  /**
   * A Glue database and table over curated, an Athena workgroup and its results bucket.
   * @default false
   */
  readonly warehouse?: boolean;
  /**
   * A monthly cost budget notifying the ticket topic.
   * @default - no budget
   */
  readonly monthlyBudgetUsd?: number;
  /**
   * Alarm when nothing reaches curated for this long.
   * @default - no such alarm
   */
  readonly staleAfter?: Duration;
}

export class PlainPipelineStack extends Stack {
  constructor(scope: Construct, id: string, props: PlainPipelineStackProps) {
    super(scope, id, props);
    // What `cdk init` projects get in cdk.json: access logs delivered through the bucket policy
    // (an ACL would contradict BucketOwnerEnforced).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { pipelineName } = props;
    const dataset = props.dataset ?? pipelineName.replace(/-/g, '_');
    const bundler = props.bundler ?? 'npx';
    Tags.of(this).add('pipeline', pipelineName);

    // --- Key, data lake ---
    const key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: `Pipeline ${pipelineName}: data at rest`, removalPolicy: RemovalPolicy.RETAIN });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` } },
      }),
    );
    const abortUploads: s3.LifecycleRule = { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) };
    const secure = {
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...secure,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(1) }, abortUploads],
    });
    const bucket = (bid: string, logPrefix: string, lifecycleRules: s3.LifecycleRule[]) =>
      new s3.Bucket(this, bid, {
        ...secure,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: key,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: logPrefix,
        lifecycleRules,
      });
    const expireNoncurrent: s3.LifecycleRule = { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) };
    const raw = bucket('Raw', 'raw/', [
      abortUploads,
      expireNoncurrent,
      {
        id: 'tier-raw',
        transitions: [
          { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
          { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
        ],
      },
    ]);
    // Native S3 → EventBridge notifications (`eventBridgeEnabled` would add a custom-resource Lambda).
    (raw.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    const curated = bucket('Curated', 'curated/', [abortUploads, expireNoncurrent]);
    const quarantine = bucket('Quarantine', 'quarantine/', [abortUploads, expireNoncurrent]);

    const registry = new eventschemas.CfnRegistry(this, 'Registry', { registryName: `${pipelineName}-schemas`, description: `Record schemas of pipeline ${pipelineName}` });
    new eventschemas.CfnSchema(this, 'SchemaV1', {
      registryName: registry.attrRegistryName,
      schemaName: `${pipelineName}-schemas-v1`,
      description: 'Version 1 of the record schema (clickstream-v1.json)',
      type: 'JSONSchemaDraft4',
      content: JSON.stringify(JSON.parse(props.schemaJson)),
    });
    const table = new dynamodb.Table(this, 'Idempotency', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- Transform function ---
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Execution role of the transform of pipeline ${pipelineName}` });
    logGroup.grantWrite(role);
    const secret = new secretsmanager.Secret(this, 'PiiKey', {
      description: `Key of the keyed hash of PII fields in pipeline ${pipelineName}; rotating it changes every hash`,
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    const transformVersion = createHash('sha256').update(fs.readFileSync(props.transformEntry)).digest('hex').slice(0, 12);
    const fn = plainFunction(this, 'Function', {
      entry: path.join(ROOT, 'lambda/handlers/transform-handler.ts'),
      // The runtime bundled into the one file (the library ships it as a shared module of the bundle).
      aliases: {
        '@cdk-serverless-etl/runtime': path.join(ROOT, 'lambda/runtime/batch-handler.ts'),
        '@cdk-serverless-etl/user-transform': props.transformEntry,
        '@cdk-serverless-etl/schema-bundle': props.schemaModule,
      },
      bundler,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(60),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      description: `Transform of pipeline ${pipelineName}`,
      environment: {
        PIPELINE_NAME: pipelineName,
        PIPELINE_STAGE: 'transform',
        POWERTOOLS_SERVICE_NAME: pipelineName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        CURATED_BUCKET: curated.bucketName,
        QUARANTINE_BUCKET: quarantine.bucketName,
        RAW_BUCKET: raw.bucketName,
        DATASET: dataset,
        RECORD_ID_FIELD: 'eventId',
        EVENT_TIME_FIELD: 'eventTime',
        IDEMPOTENCY_TABLE: table.tableName,
        IDEMPOTENCY_TTL_SECONDS: String(Duration.days(30).toSeconds()),
        CLAIM_IN_FLIGHT_SECONDS: '90',
        MAX_RECORD_BYTES: String(256 * 1024),
        PII_SECRET_ARN: secret.secretArn,
        TRANSFORM_VERSION: transformVersion,
      },
    });
    const allow = (actions: string[], resources: string[]) => role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    allow(['s3:PutObject'], [curated.arnForObjects(`${dataset}/*`), curated.arnForObjects(`_lineage/${dataset}/*`)]);
    key.grant(role, 'kms:GenerateDataKey');
    allow(['s3:PutObject'], [quarantine.arnForObjects(`${dataset}/*`)]);
    allow(['s3:PutObject'], [raw.arnForObjects(`claim-check/${dataset}/*`)]);
    allow(['s3:GetObject'], [raw.arnForObjects('*')]);
    key.grant(role, 'kms:Decrypt');
    key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    table.grant(role, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:GetItem');
    allow(['s3:GetObject'], [curated.arnForObjects(`${dataset}/*`), quarantine.arnForObjects(`${dataset}/*`)]);
    secret.grantRead(role);
    const alias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: fn.currentVersion });

    // --- Kinesis ingest with a Firehose archive to raw ---
    const stream = new kinesis.Stream(this, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
      streamMode: kinesis.StreamMode.ON_DEMAND,
      retentionPeriod: Duration.hours(24),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const archiveLogs = new logs.LogGroup(this, 'ArchiveLogs', { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    const archive = new firehose.DeliveryStream(this, 'Archive', {
      source: new firehose.KinesisStreamSource(stream),
      destination: new firehose.S3Bucket(raw, {
        dataOutputPrefix: 'stream-archive/dt=!{timestamp:yyyy-MM-dd}/hr=!{timestamp:HH}/',
        errorOutputPrefix: 'stream-archive/errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        compression: firehose.Compression.GZIP,
        bufferingInterval: Duration.minutes(5),
        encryptionKey: key,
        loggingConfig: new firehose.EnableLogging(archiveLogs),
      }),
    });
    (archive.node.defaultChild as firehose.CfnDeliveryStream).addPropertyOverride('ExtendedS3DestinationConfiguration.ProcessingConfiguration', {
      Enabled: true,
      Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }] }],
    });

    // --- Queues ---
    const dlq = (qid: string) =>
      new sqs.Queue(this, qid, {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: key,
        dataKeyReuse: Duration.hours(1),
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy: RemovalPolicy.RETAIN,
      });
    const kinesisDlq = dlq('KinesisDlq');
    const bufferDlq = dlq('BufferDlq');
    const deliveryDlq = dlq('DeliveryDlq');
    const buffer = new sqs.Queue(this, 'Buffer', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.minutes(6),
      deadLetterQueue: { queue: bufferDlq, maxReceiveCount: 5 },
    });
    alias.addEventSource(
      new sources.KinesisEventSource(stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 500,
        maxBatchingWindow: Duration.seconds(1),
        parallelizationFactor: 2,
        bisectBatchOnError: true,
        retryAttempts: 3,
        maxRecordAge: Duration.days(1),
        reportBatchItemFailures: true,
        onFailure: new sources.SqsDlq(kinesisDlq),
      }),
    );
    alias.addEventSource(new sources.SqsEventSource(buffer, { batchSize: 100, maxBatchingWindow: Duration.seconds(2), maxConcurrency: 10, reportBatchItemFailures: true }));

    // --- EventBridge ingest: bus, archive, rule to the buffer ---
    const busName = `${pipelineName}-bus`;
    const bus = new events.EventBus(this, 'Bus', { eventBusName: busName, kmsKey: key, description: `Event ingest bus of pipeline ${pipelineName}` });
    const archiveSource = events.EventBus.fromEventBusArn(this, 'BusByArn', this.formatArn({ service: 'events', resource: 'event-bus', resourceName: busName }));
    const eventArchive = new events.Archive(this, 'EventArchive', {
      sourceEventBus: archiveSource,
      description: `Every event on the ingest bus of pipeline ${pipelineName}, for replay`,
      eventPattern: { account: [this.account] },
      retention: Duration.days(30),
      kmsKey: key,
    });
    eventArchive.node.addDependency(bus);
    new events.Rule(this, 'ToBuffer', {
      eventBus: bus,
      description: `Delivers matching events to the buffer queue of pipeline ${pipelineName}`,
      eventPattern: { source: ['com.example.storefront'], detailType: ['ClickstreamEvent'] },
      targets: [new targets.SqsQueue(buffer, { deadLetterQueue: deliveryDlq, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });

    // --- Batch workflow, warehouse, budget (the reference stack) ---
    const topics = alarmTopics(this, pipelineName, key);
    const dlqs: WatchedDlq[] = [
      { queue: kinesisDlq, label: 'KinesisDlq', description: 'the Kinesis source of the transform (batch metadata: shard and sequence range)' },
      { queue: bufferDlq, label: 'BufferDlq', description: 'the buffer queue of the event bus ingest' },
      { queue: deliveryDlq, label: 'DeliveryDlq', description: 'the event rules of the event bus ingest (events EventBridge could not deliver to the buffer)' },
    ];
    const workflow = props.batchWorkflow
      ? addBatchWorkflow(new Construct(this, 'BatchWorkflow'), { pipelineName, dataset, key, raw, curated, quarantine, transform: fn, alias, bundler })
      : undefined;
    if (workflow) dlqs.push({ queue: workflow.dlq, label: 'WorkflowDlq', description: `the batch workflow of pipeline ${pipelineName} (failed, timed-out and paused runs: object and error)` });
    if (props.warehouse) this.addWarehouse(pipelineName, dataset, key, accessLogs, curated);
    if (props.monthlyBudgetUsd !== undefined) {
      new budgets.CfnBudget(this, 'Budget', {
        budget: {
          budgetName: `${pipelineName}-pipeline-monthly`,
          budgetType: 'COST',
          timeUnit: 'MONTHLY',
          budgetLimit: { amount: props.monthlyBudgetUsd, unit: 'USD' },
          costFilters: { TagKeyValue: [`user:pipeline$${pipelineName}`] },
        },
        notificationsWithSubscribers: [
          { notification: { comparisonOperator: 'GREATER_THAN', notificationType: 'ACTUAL', threshold: 80, thresholdType: 'PERCENTAGE' }, subscribers: [{ address: topics.ticket.topicArn, subscriptionType: 'SNS' }] },
          { notification: { comparisonOperator: 'GREATER_THAN', notificationType: 'FORECASTED', threshold: 100, thresholdType: 'PERCENTAGE' }, subscribers: [{ address: topics.ticket.topicArn, subscriptionType: 'SNS' }] },
        ],
        resourceTags: [{ key: 'pipeline', value: pipelineName }],
      });
    }

    // --- Alarms and dashboard ---
    const dashboard = addObservability(this, { pipelineName, topics, transform: fn, alias, stream, buffer, dlqs, stateMachine: workflow?.stateMachine, staleAfter: props.staleAfter });

    const outputs: Array<[string, string, string]> = [
      ['RawBucketName', 'Raw bucket: landing zone and replay source', raw.bucketName],
      ['CuratedBucketName', 'Curated bucket: transformed, partitioned output', curated.bucketName],
      ['QuarantineBucketName', 'Quarantine bucket: records that failed deterministically', quarantine.bucketName],
      ['PageTopicArn', 'SNS topic of page-severity alarms: subscribe the pager', topics.page.topicArn],
      ['TicketTopicArn', 'SNS topic of ticket-severity alarms and budget notifications', topics.ticket.topicArn],
      ['IdempotencyTableName', 'Idempotency store (record id → curated object)', table.tableName],
      ['SchemaRegistryName', 'EventBridge Schemas registry of the record schemas', registry.attrRegistryName],
      ['TransformFunctionName', 'Transform function (invoked through its live alias)', fn.functionName],
      ['StreamName', 'Kinesis ingest stream', stream.streamName],
      ['StreamArn', 'Kinesis ingest stream ARN', stream.streamArn],
      ['EventBusName', 'EventBridge ingest bus', bus.eventBusName],
      ['EventArchiveName', 'EventBridge archive (replay source)', eventArchive.archiveName],
      ['DashboardName', 'CloudWatch dashboard of the pipeline', dashboard.dashboardName],
      ['BufferQueueUrl', 'SQS buffer queue between the bus and the transform', buffer.queueUrl],
      ...dlqs.map((d): [string, string, string] => [`${d.label}Url`, `Dead-letter queue of ${d.description}`, d.queue.queueUrl]),
    ];
    if (workflow) outputs.push(['StateMachineArn', 'Step Functions batch workflow (re-run: start-execution with {"bucket","key"})', workflow.stateMachine.stateMachineArn]);
    for (const [oid, description, value] of outputs) new CfnOutput(this, oid, { description, value });
  }

  private addWarehouse(pipelineName: string, dataset: string, key: kms.IKey, accessLogs: s3.IBucket, curated: s3.IBucket): void {
    const results = new s3.Bucket(this, 'AthenaResults', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        { id: 'expire-results', expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    const databaseName = `${dataset}_etl`;
    const database = new glue.CfnDatabase(this, 'GlueDatabase', { catalogId: this.account, databaseInput: { name: databaseName, description: `Curated data of ${pipelineName}` } });
    const tableTable = new glue.CfnTable(this, 'GlueTable', {
      catalogId: this.account,
      databaseName,
      tableInput: {
        name: dataset,
        description: `Curated ${dataset} records (gzip JSON Lines, partitioned by event time)`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2024-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'projection.hr.type': 'integer',
          'projection.hr.range': '0,23',
          'projection.hr.digits': '2',
          'storage.location.template': `s3://${curated.bucketName}/${dataset}/dt=\${dt}/hr=\${hr}/`,
        },
        partitionKeys: [
          { name: 'dt', type: 'string', comment: 'event date (UTC), YYYY-MM-DD' },
          { name: 'hr', type: 'string', comment: 'event hour (UTC), 00-23' },
        ],
        storageDescriptor: {
          columns: WAREHOUSE_COLUMNS,
          location: `s3://${curated.bucketName}/${dataset}/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'false' } },
        },
      },
    });
    tableTable.node.addDependency(database);
    const workGroupName = `${pipelineName}-etl`;
    new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: workGroupName,
      description: `Queries over ${dataset}: encrypted results, 10 GiB scan limit per query`,
      recursiveDeleteOption: false,
      state: 'ENABLED',
      workGroupConfiguration: {
        bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        enforceWorkGroupConfiguration: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn },
          outputLocation: `s3://${results.bucketName}/results/`,
        },
      },
    });
    for (const [oid, description, value] of [
      ['WarehouseDatabase', 'Glue database of the curated table', databaseName],
      ['WarehouseTable', 'Glue table over the curated data (partition projection)', dataset],
      ['AthenaWorkGroup', 'Athena workgroup for queries (encrypted results, scan limit)', workGroupName],
    ]) {
      new CfnOutput(this, oid, { description, value });
    }
  }
}
