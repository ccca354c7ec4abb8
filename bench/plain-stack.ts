/**
 * The reference pipeline written by hand with plain aws-cdk-lib (no cdk-serverless-etl
 * constructs): the same resource types and counts as ClickstreamPipelineStack (KMS key, four
 * buckets with policies, schema registry, idempotency table, Kinesis stream with a Firehose
 * archive, EventBridge bus/archive/rule, SQS buffer and DLQs, SNS alarm topic, alarms, secret) and
 * the same function code bundled by a plain `NodejsFunction` (local esbuild, aliases as the
 * library passes them). `bundler: 'in-process'` swaps NodejsFunction's `npx esbuild` spawn for
 * esbuild's API called in-process (Code.fromAsset with local bundling): the proposed fix.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, StackProps, DockerImage } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as esbuild from 'esbuild';
import { Construct } from 'constructs';

const ROOT = path.join(__dirname, '..');

export interface PlainPipelineStackProps extends StackProps {
  readonly transformEntry: string;
  readonly schemaModule: string;
  readonly schemaJson: string;
  readonly pipelineName: string;
  readonly bundler?: 'npx' | 'in-process';
}

export class PlainPipelineStack extends Stack {
  constructor(scope: Construct, id: string, props: PlainPipelineStackProps) {
    super(scope, id, props);
    const key = new kms.Key(this, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
    const accessLogs = new s3.Bucket(this, 'AccessLogs', { encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
    const bucket = (bid: string) =>
      new s3.Bucket(this, bid, {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: key,
        bucketKeyEnabled: true,
        enforceSSL: true,
        versioned: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${bid.toLowerCase()}/`,
        lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      });
    const raw = bucket('Raw');
    const curated = bucket('Curated');
    const quarantine = bucket('Quarantine');

    const registry = new eventschemas.CfnRegistry(this, 'Registry', { registryName: `${props.pipelineName}-schemas` });
    new eventschemas.CfnSchema(this, 'SchemaV1', { registryName: registry.attrRegistryName, type: 'JSONSchemaDraft4', content: props.schemaJson });

    const table = new dynamodb.Table(this, 'Idempotency', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const secret = new secretsmanager.Secret(this, 'PiiKey', { encryptionKey: key, generateSecretString: { passwordLength: 48, excludePunctuation: true } });
    secret.grantRead(role);

    const environment = {
      PIPELINE_NAME: props.pipelineName,
      CURATED_BUCKET: curated.bucketName,
      QUARANTINE_BUCKET: quarantine.bucketName,
      RAW_BUCKET: raw.bucketName,
      DATASET: props.pipelineName,
      RECORD_ID_FIELD: 'eventId',
      EVENT_TIME_FIELD: 'eventTime',
      IDEMPOTENCY_TABLE: table.tableName,
      PII_SECRET_ARN: secret.secretArn,
    };
    const common = {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(60),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment,
    };
    const handlerEntry = path.join(ROOT, 'lambda/handlers/transform-handler.ts');
    const aliases = { '@cdk-serverless-etl/user-transform': props.transformEntry, '@cdk-serverless-etl/schema-bundle': props.schemaModule };
    const fn =
      props.bundler === 'in-process'
        ? new lambda.Function(this, 'Function', {
            ...common,
            handler: 'index.handler',
            code: lambda.Code.fromAsset(path.dirname(props.transformEntry), {
              assetHash: undefined,
              bundling: {
                image: DockerImage.fromRegistry('unused-local-bundling'),
                local: {
                  tryBundle(outputDir: string) {
                    esbuild.buildSync({
                      entryPoints: [handlerEntry],
                      outfile: path.join(outputDir, 'index.js'),
                      bundle: true,
                      minify: true,
                      platform: 'node',
                      target: 'node24',
                      format: 'cjs',
                      external: ['@aws-sdk/*'],
                      alias: aliases,
                      logLevel: 'warning',
                    });
                    return true;
                  },
                },
              },
            }),
          })
        : new nodejs.NodejsFunction(this, 'Function', {
            ...common,
            entry: handlerEntry,
            handler: 'handler',
            bundling: {
              forceDockerBundling: false,
              minify: true,
              sourceMap: false,
              target: 'node24',
              format: nodejs.OutputFormat.CJS,
              esbuildArgs: Object.fromEntries(Object.entries(aliases).map(([k, v]) => [`--alias:${k}`, v])),
            },
          });
    curated.grantPut(role);
    quarantine.grantPut(role);
    raw.grantReadWrite(role);
    table.grantReadWriteData(role);
    const alias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: fn.currentVersion });

    const stream = new kinesis.Stream(this, 'Stream', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key, streamMode: kinesis.StreamMode.ON_DEMAND });
    const firehoseRole = new iam.Role(this, 'FirehoseRole', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') });
    stream.grantRead(firehoseRole);
    raw.grantWrite(firehoseRole);
    const fhLogs = new logs.LogGroup(this, 'FirehoseLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const fhStream = new logs.LogStream(this, 'FirehoseLogStream', { logGroup: fhLogs });
    fhLogs.grantWrite(firehoseRole);
    new firehose.CfnDeliveryStream(this, 'Archive', {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: stream.streamArn, roleArn: firehoseRole.roleArn },
      extendedS3DestinationConfiguration: {
        bucketArn: raw.bucketArn,
        roleArn: firehoseRole.roleArn,
        prefix: 'stream/',
        cloudWatchLoggingOptions: { enabled: true, logGroupName: fhLogs.logGroupName, logStreamName: fhStream.logStreamName },
      },
    });
    const dlq = (qid: string) => new sqs.Queue(this, qid, { encryptionMasterKey: key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    const kinesisDlq = dlq('KinesisDlq');
    const bufferDlq = dlq('BufferDlq');
    const deliveryDlq = dlq('DeliveryDlq');
    const buffer = new sqs.Queue(this, 'Buffer', {
      encryptionMasterKey: key,
      enforceSSL: true,
      visibilityTimeout: Duration.minutes(6),
      deadLetterQueue: { queue: bufferDlq, maxReceiveCount: 5 },
    });
    alias.addEventSource(
      new sources.KinesisEventSource(stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 500,
        parallelizationFactor: 2,
        bisectBatchOnError: true,
        retryAttempts: 3,
        reportBatchItemFailures: true,
        onFailure: new sources.SqsDlq(kinesisDlq),
      }),
    );
    alias.addEventSource(new sources.SqsEventSource(buffer, { batchSize: 100, maxBatchingWindow: Duration.seconds(2), maxConcurrency: 10, reportBatchItemFailures: true }));

    const bus = new events.EventBus(this, 'Bus', { eventBusName: `${props.pipelineName}-bus` });
    bus.archive('Archive2', { eventPattern: { source: ['com.example.storefront'] }, retention: Duration.days(30) });
    new events.Rule(this, 'ToBuffer', {
      eventBus: bus,
      eventPattern: { source: ['com.example.storefront'], detailType: ['ClickstreamEvent'] },
      targets: [new targets.SqsQueue(buffer, { deadLetterQueue: deliveryDlq })],
    });
    const topic = new sns.Topic(this, 'Alarms', { masterKey: key, enforceSSL: true });
    for (const q of [kinesisDlq, bufferDlq, deliveryDlq]) {
      new cloudwatch.Alarm(this, `${q.node.id}Depth`, {
        metric: q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      }).addAlarmAction(new cwActions.SnsAction(topic));
    }
  }
}
