import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { RUNTIME_DEFAULTS, RUNTIME_ENV } from '../contract/environment';
import { kinesisDlqId } from '../contract/stack-outputs';
import { claimCheckPrefix, lineagePrefix } from '../contract/storage-layout';
import {
  INLINE_POLICY_ACKNOWLEDGEMENT,
  acknowledgeRules,
  bucketObjectsFinding,
  noVpcAcknowledgement,
} from '../core/compliance';
import { allowLogsToUseKey, createPipelineKey } from '../core/encryption';
import { latestNodeRuntime, nodeRuntimeProblem } from '../core/lambda-runtime';
import { validatePipelineNames } from '../core/name-rules';
import { PropValidator, formatNumber, resolutionNote } from '../core/prop-validator';
import { DeadLetterQueue, IDeadLetterQueue } from '../reliability/dead-letter-queue';
import type { IIdempotencyStore } from '../reliability/idempotency-store';
import type { ISchemaRegistry } from '../schema/schema-registry';
import { runtimeCode, runtimeSource } from './runtime-code';
import { transformExportProblem } from './transform-exports';

/** The module name the runtime imports the user's transform by (aliased by esbuild). */
const USER_TRANSFORM_MODULE = '@cdk-serverless-etl/user-transform';
/** The module name the runtime imports the compiled schemas by (aliased by esbuild). */
const SCHEMA_BUNDLE_MODULE = '@cdk-serverless-etl/schema-bundle';
/** The module name the entry imports the runtime by (bundled once per synth, shared by every function). */
const RUNTIME_MODULE = '@cdk-serverless-etl/runtime';
const LAMBDA_DIR = path.join(__dirname, '..', '..', 'lambda');
const HANDLER_ENTRY = path.join(LAMBDA_DIR, 'handlers', 'transform-handler');
const NO_SCHEMAS_MODULE = path.join(LAMBDA_DIR, 'runtime', 'no-schemas');
const RUNTIME_ENTRY = path.join(LAMBDA_DIR, 'runtime', 'batch-handler');
const TRANSFORM_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/**
 * How the transform's function runs: memory, timeout, concurrency, logs and environment
 * (`EtlPipelineProps.transform`; a {@link TransformFunction} takes them among its props).
 */
export interface TransformSettings {
  /**
   * Memory of the function in MiB (128 to 10,240).
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Timeout of one invocation (1 second to 15 minutes).
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;

  /**
   * Caps the function's concurrency (0 to 1,000). Off by default: reserving concurrency fails
   * deployment in accounts whose concurrency quota is low; each source is capped instead
   * (SQS `maxConcurrency`, Kinesis shards × `parallelizationFactor`).
   * @default - no reserved concurrency
   */
  readonly reservedConcurrency?: number;

  /**
   * Provisioned concurrency of the `live` alias (0 to 1,000), which all event sources invoke.
   * @default 0
   */
  readonly provisionedConcurrency?: number;

  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Extra environment variables for the transform. Names the runtime uses cannot be overridden.
   * @default - none
   */
  readonly environment?: { [key: string]: string };
}

/**
 * Everything a caller configures about what the transform does: its module, the records it reads,
 * where it writes them besides S3, and the Lambda runtime it runs on. `EtlPipelineProps` extends
 * it; {@link TransformFunctionProps} adds how the function runs ({@link TransformSettings}) and what
 * a composite wires in (buckets, schemas, store, key).
 */
export interface TransformFunctionOptions {
  /**
   * Path to the user's transform module (TypeScript or JavaScript), which exports
   * `transform(record, context)` by that name (checked at synth). It is bundled with the runtime
   * by esbuild. A relative path resolves against the current directory of the synth (where
   * `cdk synth` runs the app: the directory of `cdk.json`); `path.join(__dirname, ...)` is
   * independent of it.
   */
  readonly transformEntry: string;

  /**
   * Dataset name (1 to 128 of a-z, 0-9, "_", "-"): the first key segment of every object the
   * function writes (curated, quarantine, lineage, claim checks).
   * @default - the pipeline name
   */
  readonly dataset?: string;

  /**
   * Stage name: the `Stage` metric dimension and log field.
   * @default 'transform'
   */
  readonly stage?: string;

  /**
   * Field of each input record that holds its unique id (the idempotency key).
   * @default - the SHA-256 of the record's canonical JSON
   */
  readonly idField?: string;

  /**
   * Field of each input record that holds its version (e.g. `revision`, `updatedAt`, a sequence
   * number), for sources that send corrections: records are then deduplicated by id and version,
   * so a redelivery of a version is a duplicate and another version of a curated id is a record of
   * its own (the current table keeps the newest, by its `versionField`). A record without the
   * field is deduplicated by its id alone. Needs `idField`.
   * @default - records are deduplicated by id: the first version of an id curated wins
   */
  readonly recordVersionField?: string;

  /**
   * Field of each input record that holds its event time (ISO-8601), used for partitioning.
   * @default 'time'
   */
  readonly eventTimeField?: string;

  /**
   * How far past its receive time a record's event time may be (1 second to 7 days); a later event
   * time falls back to the receive time (see `TransformFunctionProps.firstPartitionDate`).
   * @default Duration.minutes(15)
   */
  readonly maxEventTimeSkew?: Duration;

  /**
   * Size above which a curated record is claim-checked to the raw bucket (1 KiB to 5 MiB): stored
   * there under `claim-check/<dataset>/` and referenced from curated.
   * @default 262144 (256 KiB)
   */
  readonly maxRecordBytes?: number;

  /**
   * A DynamoDB table curated records are also written to (one item per record, keyed by record id,
   * written with conditional puts so retries and redeliveries never overwrite or duplicate).
   * @default - curated records go to S3 only
   */
  readonly sinkTable?: dynamodb.ITable;

  /**
   * Partition key attribute (string) of `sinkTable`, which receives the record id (with a backslash
   * and `#` escaped by a backslash); the n-th extra output of a fan-out gets `<id>#<n>`.
   * @default 'id'
   */
  readonly sinkTableKey?: string;

  /**
   * Secret holding the key of the PII hash (`"x-pii": "hash"` fields). Rotating it changes every
   * hash (joins across the change break), so it is not rotated automatically.
   * @default - a new secret when the schemas have hashed fields
   */
  readonly piiSecret?: secretsmanager.ISecret;

  /**
   * Lambda runtime of the function (in an `EtlPipeline`, of its every function: the batch
   * workflow's steps too): a Node.js runtime from `nodejs20.x`. The bundle (the user's transform
   * included) is compiled for it.
   * @default - the newest Node.js runtime the installed aws-cdk-lib knows (the highest `nodejsNN.x`
   *   in `lambda.Runtime.ALL`, which cdk-nag's latest-runtime rules require)
   */
  readonly runtime?: lambda.Runtime;
}

/** Props for {@link TransformFunction}: the options and settings, and what the function reads and writes. */
export interface TransformFunctionProps extends TransformFunctionOptions, TransformSettings {
  /** Pipeline name (2 to 63 of a-z, 0-9, "-"): the `Pipeline` metric dimension and log field. */
  readonly pipelineName: string;

  /** Bucket curated records are written to (under `<dataset>/`). */
  readonly curatedBucket: s3.IBucket;

  /** Bucket quarantined records are written to (under `<dataset>/`). */
  readonly quarantineBucket: s3.IBucket;

  /**
   * Schemas the records are validated against, and whose `"x-pii"` fields are masked before the
   * transform sees them. Validators are compiled at synth and bundled into the function.
   * @default - no validation, no masking
   */
  readonly schemaRegistry?: ISchemaRegistry;

  /**
   * Idempotency store: records already curated (redeliveries, retries, replays) are skipped.
   * @default - no store: retries overwrite their own objects, but a replayed record is curated again
   */
  readonly idempotencyStore?: IIdempotencyStore;

  /**
   * Bucket for claim-checked records (see `maxRecordBytes`).
   * @default - no claim check: large records are written to curated as they are
   */
  readonly rawBucket?: s3.IBucket;

  /**
   * Earliest event time a record keeps, as `YYYY-MM-DD` (UTC): the warehouse's `firstPartitionDate`,
   * before which its partition projection reads nothing. A record whose event time is earlier (or,
   * see `maxEventTimeSkew`, too far in the future) is partitioned by its receive time instead and
   * counted in the `EventTimeOutOfBounds` metric, so no record lands where queries cannot see it.
   * @default '2024-01-01' (the ServerlessWarehouse default)
   */
  readonly firstPartitionDate?: string;

  /**
   * KMS key for the function's log group and its dead-letter queues.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;
}

/** Default age at which a Kinesis record stops being retried: 6 hours below a 24-hour stream retention. */
export const DEFAULT_KINESIS_MAX_RECORD_AGE = Duration.hours(18);

/** Options for {@link TransformFunction.addKinesisSource}. */
export interface KinesisSourceOptions {
  /**
   * Records per invocation (1 to 10,000).
   * @default 100
   */
  readonly batchSize?: number;

  /**
   * How long to gather records before invoking (0 to 300 seconds).
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Concurrent batches per shard (1 to 10). Records of one partition key stay in order.
   * @default 1
   */
  readonly parallelizationFactor?: number;

  /**
   * Split a failing batch in two and retry each half, isolating a poison record.
   * @default true
   */
  readonly bisectBatchOnError?: boolean;

  /**
   * Oldest record still processed; older records go to the DLQ (60 seconds to 7 days), as shard and
   * sequence pointers. Keep it below the stream's retention with a margin, so the records a pointer
   * names are still in the stream when an operator reads them (or replay them from the archive).
   * @default Duration.hours(18) (6 hours below the shortest stream retention, 24 hours)
   */
  readonly maxRecordAge?: Duration;

  /**
   * Retries of a failing batch before it goes to the DLQ (0 to 10,000). By default retries are
   * bounded by `maxRecordAge` only, so an outage of a dependency is ridden out for that long
   * instead of dead-lettering everything in flight after a few minutes.
   * @default - unlimited: retried until the records are `maxRecordAge` old
   */
  readonly retryAttempts?: number;

  /**
   * Where a new mapping starts reading.
   * @default lambda.StartingPosition.TRIM_HORIZON (nothing already in the stream is skipped)
   */
  readonly startingPosition?: lambda.StartingPosition;

  /**
   * On-failure destination for batches that exhausted their retries or record age.
   * @default - a new DeadLetterQueue
   */
  readonly deadLetterQueue?: IDeadLetterQueue;
}

/** Options for {@link TransformFunction.addSqsSource}. */
export interface SqsSourceOptions {
  /**
   * Messages per invocation (1 to 10,000; above 10 needs `maxBatchingWindow`).
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * How long to gather messages before invoking (0 to 300 seconds).
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Most concurrent invocations this queue drives (2 to 1,000): the backpressure cap.
   * @default 5
   */
  readonly maxConcurrency?: number;
}

/**
 * A transform function of the library, as other constructs accept it (what `lambda.IFunction` is
 * to `lambda.Function`): implemented by {@link TransformFunction}. The batch workflow and its
 * fragments, the alarms, the dashboard and the SLOs take one.
 */
export interface ITransformFunction extends IConstruct {
  /** The function. */
  readonly function: lambda.Function;
  /** The `live` alias: event sources invoke it, and provisioned concurrency is set on it. */
  readonly alias: lambda.Alias;
  /** The function's log group. */
  readonly logGroup: logs.LogGroup;
  /** The function's execution role. */
  readonly role: iam.Role;
  /** The key of the log group and DLQs. */
  readonly encryptionKey: kms.IKey;
  /** Dead-letter queues created for sources, in the order the sources were added. */
  readonly deadLetterQueues: IDeadLetterQueue[];
  /**
   * The event source mappings of the sources added (`addKinesisSource`, `addSqsSource`), in that
   * order: what a pause for schema drift disables, so the stream and bus records wait in their source.
   */
  readonly eventSourceMappings: lambda.IEventSourceMapping[];
  /** The secret keying the PII hash, when the schemas have hashed fields. */
  readonly piiSecret?: secretsmanager.ISecret;
  /** The schemas the runtime validates against, when given. */
  readonly schemaRegistry?: ISchemaRegistry;
  /** Pipeline name: the `Pipeline` metric dimension. */
  readonly pipelineName: string;
  /** Stage name: the `Stage` metric dimension. */
  readonly stage: string;
  /** The function's Lambda runtime. */
  readonly runtime: lambda.Runtime;
  /**
   * Lets the runtime read the objects of `bucket` whose keys match `keyPatterns` (e.g. `batch/*`):
   * `s3:GetObject` on those keys only, and the bucket key's `kms:Decrypt`.
   */
  grantReadObjects(bucket: s3.IBucket, ...keyPatterns: string[]): void;
  /**
   * Invokes the transform for records of a Kinesis stream, with partial batch failures and an
   * on-failure DLQ.
   * @returns the DLQ that receives batches that exhausted their retries
   */
  addKinesisSource(stream: kinesis.IStream, options?: KinesisSourceOptions): IDeadLetterQueue;
  /** Invokes the transform for messages of an SQS queue, with partial batch failures and a concurrency cap. */
  addSqsSource(queue: sqs.IQueue, options?: SqsSourceOptions): void;
  /** Errors of the live alias (sum over 1 minute). */
  metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Throttles of the live alias (sum over 1 minute). */
  metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Duration of the live alias (p99 over 1 minute by default). */
  metricDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * A Lambda function that runs the cdk-serverless-etl runtime around a user's transform module,
 * bundled together by the local esbuild (never Docker). arm64, the newest Node.js runtime, X-Ray tracing, JSON
 * logs to a KMS-encrypted log group with retention, a least-privilege role of its own and a `live`
 * alias that every event source invokes (optionally with provisioned concurrency).
 *
 * Sources are added with `addKinesisSource` and `addSqsSource`; both report partial batch
 * failures, so only the records that failed transiently are retried.
 */
export class TransformFunction extends Construct implements ITransformFunction {
  /** The function. */
  public readonly function: lambda.Function;
  /** The `live` alias: event sources invoke it, and provisioned concurrency is set on it. */
  public readonly alias: lambda.Alias;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The function's execution role. */
  public readonly role: iam.Role;
  /** The key of the log group and DLQs. */
  public readonly encryptionKey: kms.IKey;
  /** Dead-letter queues created for sources, in the order the sources were added. */
  public readonly deadLetterQueues: IDeadLetterQueue[] = [];
  /** The event source mappings of the sources added, in order (see {@link ITransformFunction.eventSourceMappings}). */
  public readonly eventSourceMappings: lambda.IEventSourceMapping[] = [];
  /** The secret keying the PII hash, when the schemas have hashed fields. */
  public readonly piiSecret?: secretsmanager.ISecret;
  /** The schemas the runtime validates against, when given. */
  public readonly schemaRegistry?: ISchemaRegistry;
  /** Pipeline name. */
  public readonly pipelineName: string;
  /** Stage name. */
  public readonly stage: string;
  /** The function's Lambda runtime. */
  public readonly runtime: lambda.Runtime;
  private readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: TransformFunctionProps) {
    super(scope, id);
    const transformEntry = path.resolve(props.transformEntry);
    this.timeout = props.timeout ?? Duration.seconds(RUNTIME_DEFAULTS.functionTimeoutSeconds);
    this.pipelineName = props.pipelineName;
    this.stage = props.stage ?? RUNTIME_DEFAULTS.stage;
    this.schemaRegistry = props.schemaRegistry;
    const validator = new PropValidator(`TransformFunction (${this.node.path})`);
    validateTransformFunctionProps(validator, props);
    validator.throwIfInvalid();

    this.runtime = props.runtime ?? latestNodeRuntime();
    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Transform key of ${this.node.path}`);
    allowLogsToUseKey(this.encryptionKey);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An own role instead of the AWS managed AWSLambdaBasicExecutionRole: logs to this group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);

    const environment = this.runtimeEnvironment(props, transformEntry);
    // A key for hashed fields, and for ids derived from an idField marked x-pii (even if redacted).
    const needsPiiKey = props.schemaRegistry?.hasHashedFields || (props.idField !== undefined && props.schemaRegistry?.marksPii(props.idField));
    this.piiSecret = props.piiSecret ?? (needsPiiKey ? this.createPiiSecret() : undefined);
    if (this.piiSecret) environment[RUNTIME_ENV.piiSecretArn] = this.piiSecret.secretArn;
    this.warnOfReservedEnvironment(props, environment);
    this.function = this.createFunction(props, transformEntry, environment);
    this.alias = new lambda.Alias(this, 'Live', {
      aliasName: 'live',
      version: this.function.currentVersion,
      provisionedConcurrentExecutions: props.provisionedConcurrency || undefined,
    });

    const dataset = props.dataset ?? props.pipelineName;
    this.grantDataAccess(props, dataset);
    this.piiSecret?.grantRead(this.role);
    this.acknowledgeDesignFindings(props, dataset);
  }

  /** The variables the runtime reads (names in `RUNTIME_ENV`), the PII secret's ARN aside. */
  private runtimeEnvironment(props: TransformFunctionProps, transformEntry: string): Record<string, string> {
    return {
      [RUNTIME_ENV.pipeline]: props.pipelineName,
      [RUNTIME_ENV.stage]: this.stage,
      [RUNTIME_ENV.curatedBucket]: props.curatedBucket.bucketName,
      [RUNTIME_ENV.quarantineBucket]: props.quarantineBucket.bucketName,
      [RUNTIME_ENV.dataset]: props.dataset ?? props.pipelineName,
      [RUNTIME_ENV.eventTimeField]: props.eventTimeField ?? RUNTIME_DEFAULTS.eventTimeField,
      [RUNTIME_ENV.transformVersion]: fileVersion(transformEntry),
      [RUNTIME_ENV.maxRecordBytes]: String(props.maxRecordBytes ?? RUNTIME_DEFAULTS.maxRecordBytes),
      [RUNTIME_ENV.eventTimeEarliest]: props.firstPartitionDate ?? RUNTIME_DEFAULTS.eventTimeEarliest,
      [RUNTIME_ENV.eventTimeMaxSkewSeconds]: String(props.maxEventTimeSkew?.toSeconds() ?? RUNTIME_DEFAULTS.eventTimeMaxSkewSeconds),
      // Sizes the runtime's SDK timeouts: a hung call fails well before the invocation does.
      [RUNTIME_ENV.functionTimeoutSeconds]: String(this.timeout.toSeconds()),
      ...(props.idField ? { [RUNTIME_ENV.idField]: props.idField } : {}),
      ...(props.recordVersionField ? { [RUNTIME_ENV.recordVersionField]: props.recordVersionField } : {}),
      ...(props.rawBucket ? { [RUNTIME_ENV.rawBucket]: props.rawBucket.bucketName } : {}),
      ...(props.sinkTable ? { [RUNTIME_ENV.sinkTable]: props.sinkTable.tableName, [RUNTIME_ENV.sinkTableKey]: props.sinkTableKey ?? RUNTIME_DEFAULTS.sinkTableKey } : {}),
      ...(props.idempotencyStore
        ? {
            [RUNTIME_ENV.idempotencyTable]: props.idempotencyStore.table.tableName,
            [RUNTIME_ENV.idempotencyTtlSeconds]: String(props.idempotencyStore.timeToLive.toSeconds()),
            // A claim younger than one invocation (and a margin) may still be being written.
            [RUNTIME_ENV.claimInFlightSeconds]: String(this.timeout.toSeconds() + 30),
          }
        : {}),
      POWERTOOLS_SERVICE_NAME: props.pipelineName,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
  }

  /** Warns when `environment` sets a variable the runtime controls (its value is ignored). */
  private warnOfReservedEnvironment(props: TransformFunctionProps, runtimeEnvironment: Record<string, string>): void {
    const overridden = Object.keys(props.environment ?? {}).filter((k) => k in runtimeEnvironment || Object.values(RUNTIME_ENV).includes(k as never));
    if (overridden.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-serverless-etl:reservedEnvironment',
        `environment sets ${overridden.join(', ')}, which the runtime controls; those values are ignored.`,
      );
    }
  }

  /** The function: the runtime's handler bundled with the user's transform and the schema bundle. */
  private createFunction(props: TransformFunctionProps, transformEntry: string, runtimeEnvironment: Record<string, string>): lambda.Function {
    return new lambda.Function(this, 'Function', {
      code: runtimeCode({
        handlerEntry: runtimeSource(HANDLER_ENTRY),
        aliases: {
          [USER_TRANSFORM_MODULE]: transformEntry,
          [SCHEMA_BUNDLE_MODULE]: props.schemaRegistry ? props.schemaRegistry.bundle() : runtimeSource(NO_SCHEMAS_MODULE),
        },
        sharedModules: { [RUNTIME_MODULE]: runtimeSource(RUNTIME_ENTRY) },
        runtime: this.runtime,
      }),
      handler: 'index.handler',
      runtime: this.runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: this.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrency,
      description: `cdk-serverless-etl transform of pipeline ${props.pipelineName} (${this.stage})`,
      environment: { ...props.environment, ...runtimeEnvironment },
    });
  }

  /** Writes under the dataset's prefixes, the sink table, and the idempotency claims with the HeadObject they need. */
  private grantDataAccess(props: TransformFunctionProps, dataset: string): void {
    grantPutUnderPrefix(this.role, props.curatedBucket, `${dataset}/*`, `${lineagePrefix(dataset)}*`);
    grantPutUnderPrefix(this.role, props.quarantineBucket, `${dataset}/*`);
    if (props.rawBucket) {
      grantPutUnderPrefix(this.role, props.rawBucket, `${claimCheckPrefix(dataset)}*`);
    }
    if (props.sinkTable) {
      props.sinkTable.grant(this.role, 'dynamodb:PutItem');
      props.sinkTable.encryptionKey?.grant(this.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    }
    if (props.idempotencyStore) {
      props.idempotencyStore.grantClaims(this.role);
      // HeadObject: is the curated or quarantine object a claim points to really there (or was its write lost)?
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [props.curatedBucket.arnForObjects(`${dataset}/*`), props.quarantineBucket.arnForObjects(`${dataset}/*`)],
        }),
      );
      // Without s3:ListBucket, S3 answers HeadObject of a missing key 403, not 404: a stale claim
      // (its object never written) would look like a denial. Listing only under the HEADed prefix.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [...new Set([props.curatedBucket.bucketArn, props.quarantineBucket.bucketArn])],
          conditions: { StringLike: { 's3:prefix': [`${dataset}/*`] } },
        }),
      );
      props.curatedBucket.encryptionKey?.grant(this.role, 'kms:Decrypt');
      props.quarantineBucket.encryptionKey?.grant(this.role, 'kms:Decrypt');
    }
  }

  private createPiiSecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'PiiHashKey', {
      description: `Key of the keyed hash of PII fields in pipeline ${this.pipelineName}; rotating it changes every hash`,
      encryptionKey: this.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Only this function reads the key: every other principal (of this account or any) is denied
    // GetSecretValue whatever its IAM policies allow; administrators can still change this policy.
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheTransformRoleReadsTheKey',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.role.roleArn } },
      }),
    );
    acknowledgeRules(secret, {
      ids: ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled', 'HIPAA.Security-SecretsManagerRotationEnabled'],
      reason:
        'The secret keys the hash of PII fields: rotating it changes every hash and breaks joins between data hashed ' +
        'before and after, so re-keying is a deliberate, planned operation rather than a schedule.',
    });
    return secret;
  }

  private acknowledgeDesignFindings(props: TransformFunctionProps, dataset: string): void {
    const objectPatterns = [`${dataset}/*`];
    acknowledgeRules(
      this.function,
      {
        ids: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'Serverless-LambdaDLQ'],
        reason:
          'Invoked only synchronously by event source mappings, never asynchronously: failed batches go to the ' +
          "Kinesis mapping's on-failure DLQ or the SQS source's redrive DLQ; an async-invoke DLQ would stay empty.",
      },
      noVpcAcknowledgement(
        [
          'Amazon S3',
          ...(props.idempotencyStore || props.sinkTable ? ['Amazon DynamoDB'] : []),
          ...(this.piiSecret ? ['AWS Secrets Manager'] : []),
          'AWS X-Ray',
        ],
        true,
      ),
    );
    if (props.reservedConcurrency === undefined) {
      acknowledgeRules(this.function, {
        ids: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
        reason:
          'Concurrency is capped per event source (SQS maxConcurrency, Kinesis shards x parallelizationFactor). ' +
          'reservedConcurrency is opt-in: reserving concurrency fails deployment in accounts with a low concurrency quota.',
      });
    }
    acknowledgeRules(this.role, INLINE_POLICY_ACKNOWLEDGEMENT, {
      ids: [
        'AwsSolutions-IAM5[Resource::*]',
        ...objectPatterns.map((p) => bucketObjectsFinding(props.curatedBucket, p)),
        bucketObjectsFinding(props.curatedBucket, `${lineagePrefix(dataset)}*`),
        ...objectPatterns.map((p) => bucketObjectsFinding(props.quarantineBucket, p)),
        ...(props.rawBucket ? [bucketObjectsFinding(props.rawBucket, `${claimCheckPrefix(dataset)}*`)] : []),
      ],
      reason:
        's3:PutObject only (and s3:GetObject for HeadObject on curated and quarantine), on object keys under the dataset, lineage and ' +
        'claim-check prefixes (object names are derived per batch at run time); X-Ray PutTraceSegments and ' +
        'PutTelemetryRecords support only Resource "*".',
    });
  }

  /**
   * Lets the runtime read the JSON Lines objects that `{ s3Object: { bucket, key } }` events name
   * (the batch workflow's ranges, reprocessing): `s3:GetObject` on keys matching `keyPatterns`
   * only (e.g. `batch/*`), and the bucket key's `kms:Decrypt`. Nothing else of the bucket is
   * readable: grant only the prefixes the pipeline ingests, never the stream archive.
   */
  public grantReadObjects(bucket: s3.IBucket, ...keyPatterns: string[]): void {
    if (keyPatterns.length === 0) return;
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: keyPatterns.map((k) => bucket.arnForObjects(k)) }));
    bucket.encryptionKey?.grant(this.role, 'kms:Decrypt');
    acknowledgeRules(this.role, {
      ids: keyPatterns.filter((k) => k.includes('*')).map((k) => bucketObjectsFinding(bucket, k)),
      reason:
        's3:GetObject on the objects the pipeline ingests (the batch prefix, a scheduled key\'s dated pattern): their ' +
        'names are the producers\' own, known only at run time; nothing else of the bucket.',
    });
  }

  /**
   * Invokes the transform (through the `live` alias) for records of a Kinesis stream, with partial
   * batch failures, bisect on error, retries bounded by record age, and an SQS on-failure DLQ.
   * @returns the DLQ that receives batches that exhausted their retries
   */
  public addKinesisSource(stream: kinesis.IStream, options: KinesisSourceOptions = {}): IDeadLetterQueue {
    const v = new PropValidator(`TransformFunction.addKinesisSource (${this.node.path})`);
    validateKinesisSourceOptions(v, options);
    v.throwIfInvalid();
    const dlq =
      options.deadLetterQueue ??
      new DeadLetterQueue(this, kinesisDlqId(this.deadLetterQueues.length + 1), {
        encryptionKey: this.encryptionKey,
        sourceDescription: `the Kinesis source of ${this.node.path} (batch metadata: shard and sequence range)`,
      });
    this.deadLetterQueues.push(dlq);
    const source = new sources.KinesisEventSource(stream, {
      startingPosition: options.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      batchSize: options.batchSize ?? 100,
      maxBatchingWindow: options.maxBatchingWindow ?? Duration.seconds(1),
      parallelizationFactor: options.parallelizationFactor ?? 1,
      bisectBatchOnError: options.bisectBatchOnError ?? true,
      // Retries bounded by record age, not a small count: see KinesisSourceOptions.retryAttempts.
      maxRecordAge: options.maxRecordAge ?? DEFAULT_KINESIS_MAX_RECORD_AGE,
      retryAttempts: options.retryAttempts,
      reportBatchItemFailures: true,
      onFailure: dlq.asEventSourceDestination(),
    });
    this.alias.addEventSource(source);
    this.eventSourceMappings.push(this.mappingOf(source.eventSourceMappingId));
    return dlq;
  }

  /**
   * Invokes the transform (through the `live` alias) for messages of an SQS queue, with partial
   * batch failures and a concurrency cap. Failed messages return to the queue and move to its
   * redrive DLQ after its `maxReceiveCount`; give the queue one (see EventBusIngest).
   */
  public addSqsSource(queue: sqs.IQueue, options: SqsSourceOptions = {}): void {
    const batchSize = options.batchSize ?? 10;
    const v = new PropValidator(`TransformFunction.addSqsSource (${this.node.path})`);
    validateSqsSourceOptions(v, options);
    if (queue instanceof sqs.Queue && !queue.deadLetterQueue) {
      Annotations.of(this).addWarningV2(
        'cdk-serverless-etl:sqsSourceWithoutDlq',
        `queue ${queue.node.path} has no redrive DLQ: messages that keep failing are retried until they expire.`,
      );
    }
    v.throwIfInvalid();
    const source = new sources.SqsEventSource(queue, {
      batchSize,
      maxBatchingWindow: options.maxBatchingWindow,
      maxConcurrency: options.maxConcurrency ?? 5,
      reportBatchItemFailures: true,
    });
    this.alias.addEventSource(source);
    const mapping = this.mappingOf(source.eventSourceMappingId);
    this.eventSourceMappings.push(mapping);
    acknowledgeRules(mapping, {
      ids: ['Serverless-LambdaEventSourceMappingDestination'],
      reason: "SQS event source mappings have no on-failure destination: failed messages move to the queue's redrive DLQ.",
    });
  }

  /** The mapping `addEventSource` created on the alias, by its id. */
  private mappingOf(id: string): lambda.EventSourceMapping {
    const mapping = this.alias.node.children.find((c): c is lambda.EventSourceMapping => c instanceof lambda.EventSourceMapping && c.eventSourceMappingId === id);
    if (!mapping) throw new Error(`${this.node.path}: the event source mapping ${id} is not on the live alias`);
    return mapping;
  }

  /** Errors of the live alias (sum over 1 minute). */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.alias.metricErrors({ period: Duration.minutes(1), ...props });
  }

  /** Throttles of the live alias (sum over 1 minute). */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.alias.metricThrottles({ period: Duration.minutes(1), ...props });
  }

  /** Duration of the live alias (p99 over 1 minute by default). */
  public metricDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.alias.metricDuration({ statistic: cloudwatch.Stats.p(99), period: Duration.minutes(1), ...props });
  }
}

/** A short content hash of the transform file: the transform code version written for lineage. */
function fileVersion(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12);
}

/** PutObject only, under the given key patterns, plus the bucket key's data key for SSE-KMS. */
function grantPutUnderPrefix(role: iam.IRole, bucket: s3.IBucket, ...keyPatterns: string[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: keyPatterns.map((k) => bucket.arnForObjects(k)) }),
  );
  bucket.encryptionKey?.grant(role, 'kms:GenerateDataKey');
}

/**
 * Checks the props of a {@link TransformFunction} (and that its module exports `transform`); adds
 * each problem to `v`. `EtlPipeline` calls it with its own validator, so problems name the
 * pipeline's props.
 */
export function validateTransformFunctionProps(
  v: PropValidator,
  props: Omit<TransformFunctionProps, 'curatedBucket' | 'quarantineBucket' | 'rawBucket' | 'sinkTable'> & {
    readonly rawBucket?: unknown;
    readonly sinkTable?: unknown;
  },
): void {
  const transformEntry = path.resolve(props.transformEntry);
  const timeout = props.timeout ?? Duration.seconds(RUNTIME_DEFAULTS.functionTimeoutSeconds);
  const given = `${v.path('transformEntry')} is ${JSON.stringify(props.transformEntry)}`;
  if (!TRANSFORM_EXTENSIONS.includes(path.extname(transformEntry))) {
    v.check(true, `${given}; it must be a ${TRANSFORM_EXTENSIONS.join(', ')} file`);
  } else if (!fs.statSync(transformEntry, { throwIfNoEntry: false })?.isFile()) {
    v.check(true, `${given}; no such file${resolutionNote(props.transformEntry, transformEntry)}`);
  } else {
    const problem = transformExportProblem(transformEntry);
    v.check(problem !== undefined, `${given}; ${problem} (file ${transformEntry})`);
  }
  validatePipelineNames(v, props);
  v.pattern('stage', props.stage, /^[A-Za-z][A-Za-z0-9-]{0,63}$/, '1 to 64 characters of letters, digits and "-", starting with a letter')
    .pattern('idField', props.idField, /^[^\s]{1,256}$/, 'a non-empty field name without spaces')
    .pattern('recordVersionField', props.recordVersionField, /^[^\s]{1,256}$/, 'a non-empty field name without spaces')
    .check(
      props.recordVersionField !== undefined && props.idField === undefined,
      `${v.path('recordVersionField')} is ${JSON.stringify(props.recordVersionField)} but ${v.path('idField')} is not set; ` +
        'without an id field a record id is the hash of the whole record, which differs per version already: set idField, or leave recordVersionField unset',
    )
    .check(
      props.recordVersionField !== undefined && props.recordVersionField === props.idField,
      `${v.path('recordVersionField')} is ${JSON.stringify(props.recordVersionField)}, the same field as ${v.path('idField')}; it must name the field holding the version`,
    )
    .integer('maxRecordBytes', props.maxRecordBytes, 1024, 5 * 1024 * 1024)
    .pattern('sinkTableKey', props.sinkTableKey, /^[^\s]{1,255}$/, 'a non-empty attribute name without spaces')
    .check(props.sinkTableKey !== undefined && props.sinkTable === undefined, `${v.path('sinkTableKey')} is set but ${v.path('sinkTable')} is not`)
    .check(
      props.maxRecordBytes !== undefined && props.rawBucket === undefined,
      `${v.path('maxRecordBytes')} is set but ${v.path('rawBucket')} is not; the claim check needs ${v.path('rawBucket')}`,
    )
    .pattern('eventTimeField', props.eventTimeField, /^[^\s]{1,256}$/, 'a non-empty field name without spaces')
    .pattern('firstPartitionDate', props.firstPartitionDate, /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a date as YYYY-MM-DD')
    .duration('maxEventTimeSkew', props.maxEventTimeSkew, Duration.seconds(1), Duration.days(7))
    .integer('memorySize', props.memorySize, 128, 10240)
    .duration('timeout', timeout, Duration.seconds(1), Duration.minutes(15))
    .integer('reservedConcurrency', props.reservedConcurrency, 0, 1000)
    .integer('provisionedConcurrency', props.provisionedConcurrency, 0, 1000);
  if (props.reservedConcurrency !== undefined && props.provisionedConcurrency !== undefined) {
    v.check(
      props.provisionedConcurrency > props.reservedConcurrency,
      `${v.path('provisionedConcurrency')} is ${formatNumber(props.provisionedConcurrency)}; it must not exceed ` +
        `${v.path('reservedConcurrency')} (${formatNumber(props.reservedConcurrency)})`,
    );
  }
  const runtimeProblem = nodeRuntimeProblem(v.path('runtime'), props.runtime);
  v.check(runtimeProblem !== undefined, runtimeProblem ?? '');
}

/** Checks the options of {@link TransformFunction.addKinesisSource}; adds each problem to `v`. */
export function validateKinesisSourceOptions(v: PropValidator, options: KinesisSourceOptions): void {
  v.integer('batchSize', options.batchSize, 1, 10000)
    .duration('maxBatchingWindow', options.maxBatchingWindow, Duration.seconds(0), Duration.seconds(300))
    .integer('parallelizationFactor', options.parallelizationFactor, 1, 10)
    .duration('maxRecordAge', options.maxRecordAge, Duration.seconds(60), Duration.days(7))
    .integer('retryAttempts', options.retryAttempts, 0, 10000);
}

/** Checks the options of {@link TransformFunction.addSqsSource}; adds each problem to `v`. */
export function validateSqsSourceOptions(v: PropValidator, options: SqsSourceOptions): void {
  const batchSize = options.batchSize ?? 10;
  v.integer('batchSize', batchSize, 1, 10000)
    .duration('maxBatchingWindow', options.maxBatchingWindow, Duration.seconds(0), Duration.seconds(300))
    .integer('maxConcurrency', options.maxConcurrency, 2, 1000);
  if (!Token.isUnresolved(batchSize)) {
    v.check(
      batchSize > 10 && options.maxBatchingWindow === undefined,
      `${v.path('batchSize')} is ${formatNumber(batchSize)}; above 10 it needs ${v.path('maxBatchingWindow')}`,
    );
  }
}
