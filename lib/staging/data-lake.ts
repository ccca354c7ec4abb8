import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeRules } from '../core/compliance';
import { createPipelineKey } from '../core/encryption';
import { PropValidator } from '../core/prop-validator';

/** Props for {@link DataLake}. */
export interface DataLakeProps {
  /**
   * KMS key that encrypts the raw, curated and quarantine buckets.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the buckets (and their data) when they leave the stack. Anything other than
   * RETAIN is a data-loss risk and is reported as a warning.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Empty the buckets on stack deletion (adds the aws-cdk-lib auto-delete custom resource).
   * Only allowed with `removalPolicy: RemovalPolicy.DESTROY`.
   * @default false
   */
  readonly autoDeleteObjects?: boolean;

  /**
   * Age at which raw objects move to S3 Standard-IA.
   * @default Duration.days(30)
   */
  readonly rawInfrequentAccessAfter?: Duration;

  /**
   * Age at which raw objects move to S3 Glacier Instant Retrieval (still readable for replay).
   * Must be at least 30 days after `rawInfrequentAccessAfter`.
   * @default Duration.days(90)
   */
  readonly rawArchiveAfter?: Duration;

  /**
   * Age at which raw objects are deleted.
   * @default - never: raw data is the replay source and is retained
   */
  readonly rawExpiration?: Duration;

  /**
   * Age at which quarantined records are deleted.
   * @default - never
   */
  readonly quarantineExpiration?: Duration;

  /**
   * How long overwritten or deleted object versions are kept (all data buckets are versioned).
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * Age at which server access logs are deleted.
   * @default Duration.days(365)
   */
  readonly accessLogsExpiration?: Duration;
}

/** Options for {@link DataLake.onRawObjectCreated}. */
export interface RawObjectCreatedOptions extends events.OnEventOptions {
  /**
   * Only objects whose key starts with this prefix.
   * @default - every object
   */
  readonly prefix?: string;

  /**
   * Only objects whose key ends with this suffix.
   * @default - every object
   */
  readonly suffix?: string;
}

/**
 * A data lake of the library, as other constructs accept it (what `s3.IBucket` is to `s3.Bucket`):
 * implemented by {@link DataLake}.
 */
export interface IDataLake extends IConstruct {
  /** Landing zone for source objects and the stream archive; the replay source. */
  readonly rawBucket: s3.Bucket;
  /** Transformed, partitioned output. */
  readonly curatedBucket: s3.Bucket;
  /** Records that failed deterministically (bad JSON, schema mismatch, transform error), with the reason. */
  readonly quarantineBucket: s3.Bucket;
  /** Server access logs of the three data buckets (SSE-S3: S3 log delivery cannot use KMS). */
  readonly accessLogsBucket: s3.Bucket;
  /** The key that encrypts the data buckets. */
  readonly encryptionKey: kms.IKey;
  /**
   * Creates a rule on the default event bus matching `Object Created` events of the raw bucket,
   * optionally filtered by key prefix and suffix.
   */
  onRawObjectCreated(id: string, options?: RawObjectCreatedOptions): events.Rule;
}

/**
 * The S3 staging layer of a pipeline: raw (landing and replay source), curated (transformed,
 * partitioned output) and quarantine (poison records with their error) buckets, plus a bucket
 * for their server access logs.
 *
 * All data buckets are KMS-encrypted with one key, versioned, TLS-only, private and logged.
 * Raw objects tier down with age and emit object-created events to EventBridge, configured
 * natively on the bucket (no custom-resource Lambda).
 */
export class DataLake extends Construct implements IDataLake {
  /** Landing zone for source objects and the stream archive; the replay source. */
  public readonly rawBucket: s3.Bucket;
  /** Transformed, partitioned output. */
  public readonly curatedBucket: s3.Bucket;
  /** Records that failed deterministically (bad JSON, schema mismatch, transform error), with the reason. */
  public readonly quarantineBucket: s3.Bucket;
  /** Server access logs of the three data buckets (SSE-S3: S3 log delivery cannot use KMS). */
  public readonly accessLogsBucket: s3.Bucket;
  /** The key that encrypts the data buckets. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: DataLakeProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const infrequentAfter = props.rawInfrequentAccessAfter ?? Duration.days(30);
    const archiveAfter = props.rawArchiveAfter ?? Duration.days(90);
    const noncurrentExpiry = props.noncurrentVersionExpiration ?? Duration.days(30);
    const validator = new PropValidator(`DataLake (${this.node.path})`);
    validateDataLakeProps(validator, props);
    validator.throwIfInvalid();
    if (removalPolicy !== RemovalPolicy.RETAIN) {
      Annotations.of(this).addWarningV2(
        'cdk-serverless-etl:dataLakeNotRetained',
        `removalPolicy is ${removalPolicy}: the data buckets are not retained when they leave the stack.`,
      );
    }

    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Data lake key of ${this.node.path}`);
    const common = {
      removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
    };

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        { id: 'expire-logs', expiration: props.accessLogsExpiration ?? Duration.days(365), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    acknowledgeRules(this.accessLogsBucket, {
      ids: ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'HIPAA.Security-S3DefaultEncryptionKMS'],
      reason: 'S3 server access log delivery only supports SSE-S3 target buckets; the logs hold request metadata, not records.',
    });

    const dataBucket = (bucketId: string, logPrefix: string, rules: s3.LifecycleRule[]) => {
      const bucket = new s3.Bucket(this, bucketId, {
        ...common,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.encryptionKey,
        bucketKeyEnabled: true,
        lifecycleRules: [
          { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
          { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: noncurrentExpiry },
          ...rules,
        ],
      });
      this.logAccessTo(bucket, logPrefix);
      return bucket;
    };

    this.rawBucket = dataBucket('Raw', 'raw/', [
      {
        id: 'tier-raw',
        transitions: [
          { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: infrequentAfter },
          { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: archiveAfter },
        ],
        ...(props.rawExpiration ? { expiration: props.rawExpiration } : {}),
      },
    ]);
    this.curatedBucket = dataBucket('Curated', 'curated/', []);
    this.quarantineBucket = dataBucket(
      'Quarantine',
      'quarantine/',
      props.quarantineExpiration ? [{ id: 'expire-quarantine', expiration: props.quarantineExpiration }] : [],
    );

    // Object-created events go to EventBridge through the bucket's own notification configuration,
    // not through `eventBridgeEnabled`, which adds a custom-resource Lambda to every stack.
    const cfnRaw = this.rawBucket.node.defaultChild as s3.CfnBucket;
    cfnRaw.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  }

  /**
   * Server access logging of `bucket` into the access-log bucket, granted by bucket policy to the
   * S3 logging service for this bucket and account only. Configured directly (not through the L2's
   * `serverAccessLogsBucket`) so it does not depend on the app's
   * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` feature flag, which would otherwise switch
   * the log bucket to ACLs.
   */
  private logAccessTo(bucket: s3.Bucket, prefix: string): void {
    (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: this.accessLogsBucket.bucketName,
      logFilePrefix: prefix,
    };
    this.accessLogsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `AllowAccessLogsFrom${bucket.node.id}`,
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogsBucket.arnForObjects(`${prefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
  }

  /**
   * Creates a rule on the default event bus matching `Object Created` events of the raw bucket,
   * optionally filtered by key prefix and suffix.
   */
  public onRawObjectCreated(id: string, options: RawObjectCreatedOptions = {}): events.Rule {
    const { prefix, suffix, ...eventOptions } = options;
    const keyFilters: Array<Record<string, string>> = [];
    if (prefix !== undefined) keyFilters.push({ prefix });
    if (suffix !== undefined) keyFilters.push({ suffix });
    const object =
      prefix !== undefined && suffix !== undefined
        ? { key: [{ wildcard: `${escapeWildcard(prefix)}*${escapeWildcard(suffix)}` }] }
        : keyFilters.length > 0
          ? { key: keyFilters }
          : undefined;
    const rule = new events.Rule(this, id, {
      description: eventOptions.description ?? `Objects created in ${this.node.path}/Raw`,
      ruleName: eventOptions.ruleName,
      crossStackScope: eventOptions.crossStackScope,
      eventPattern: {
        ...eventOptions.eventPattern,
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          ...eventOptions.eventPattern?.detail,
          bucket: { name: [this.rawBucket.bucketName] },
          ...(object ? { object } : {}),
        },
      },
    });
    if (eventOptions.target) rule.addTarget(eventOptions.target);
    return rule;
  }
}

function escapeWildcard(value: string): string {
  return value.replace(/[\\*]/g, (c) => `\\${c}`);
}

/** Checks the props of a {@link DataLake}; adds each problem to `v` (`EtlPipeline` passes its own, under `dataLake`). */
export function validateDataLakeProps(v: PropValidator, props: DataLakeProps): void {
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  const infrequentAfter = props.rawInfrequentAccessAfter ?? Duration.days(30);
  const archiveAfter = props.rawArchiveAfter ?? Duration.days(90);
  v.duration('rawInfrequentAccessAfter', infrequentAfter, Duration.days(30), Duration.days(36500))
    .duration('rawArchiveAfter', archiveAfter, Duration.days(60), Duration.days(36500))
    .duration('noncurrentVersionExpiration', props.noncurrentVersionExpiration, Duration.days(1), Duration.days(36500))
    .duration('accessLogsExpiration', props.accessLogsExpiration, Duration.days(1), Duration.days(36500))
    .duration('quarantineExpiration', props.quarantineExpiration, Duration.days(1), Duration.days(36500))
    .check(
      props.autoDeleteObjects === true && removalPolicy !== RemovalPolicy.DESTROY,
      `${v.path('autoDeleteObjects')} is true; it is only allowed with ${v.path('removalPolicy')} DESTROY (${v.path('removalPolicy')} is ${removalPolicy})`,
    );
  if (!infrequentAfter.isUnresolved() && !archiveAfter.isUnresolved()) {
    v.check(
      archiveAfter.toDays() < infrequentAfter.toDays() + 30,
      `${v.path('rawArchiveAfter')} is ${archiveAfter.toHumanString()}; it must be at least 30 days after ${v.path('rawInfrequentAccessAfter')} ` +
        `(${infrequentAfter.toHumanString()}), as S3 requires objects to stay 30 days in Standard-IA`,
    );
  }
  if (props.rawExpiration && !props.rawExpiration.isUnresolved() && !archiveAfter.isUnresolved()) {
    v.check(
      props.rawExpiration.toDays() <= archiveAfter.toDays(),
      `${v.path('rawExpiration')} is ${props.rawExpiration.toHumanString()}; it must be later than ${v.path('rawArchiveAfter')} (${archiveAfter.toHumanString()})`,
    );
  }
}
