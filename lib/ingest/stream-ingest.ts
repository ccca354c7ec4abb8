import { Annotations, Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { STREAM_ARCHIVE_PREFIX } from '../contract/storage-layout';
import {
  INLINE_POLICY_ACKNOWLEDGEMENT,
  acknowledgeRules,
  bucketObjectsFinding,
} from '../core/compliance';
import { allowLogsToUseKey, createPipelineKey } from '../core/encryption';
import { PropValidator } from '../core/prop-validator';

/** Props for {@link StreamIngest}. */
export interface StreamIngestProps {
  /**
   * KMS key that encrypts the stream (and the archive's log group).
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Capacity mode of the stream.
   * @default kinesis.StreamMode.ON_DEMAND
   */
  readonly streamMode?: kinesis.StreamMode;

  /**
   * Number of shards; only with `streamMode: PROVISIONED` (1 to 10,000).
   * @default 1 when provisioned
   */
  readonly shardCount?: number;

  /**
   * How long records stay readable in the stream (24 hours to 365 days).
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;

  /**
   * What happens to the stream when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Archive every stream record as it arrived to this bucket (Amazon Data Firehose, gzip JSON
   * Lines), so the stream can be replayed beyond its retention.
   * @default - no archive
   */
  readonly archiveBucket?: s3.IBucket;

  /**
   * Key prefix of the archive in `archiveBucket`; objects land under `<prefix>dt=YYYY-MM-DD/hr=HH/`.
   * @default 'stream-archive/'
   */
  readonly archivePrefix?: string;

  /**
   * How long Firehose buffers records before writing an archive object (0 to 900 seconds).
   * @default Duration.minutes(5)
   */
  readonly archiveBufferingInterval?: Duration;

  /**
   * Retention of the archive's delivery-error log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Kinesis enhanced (shard-level) monitoring: these AWS/Kinesis metrics are also published per
   * shard (dimension `ShardId`), and the dashboard shows them per shard. Each is billed as a
   * custom metric per shard, so it is off by default; `IteratorAgeMilliseconds` finds the one
   * shard that lags behind the others (a hot partition key, a poison record), `IncomingRecords`
   * the hot shard.
   * @default - none (stream-level metrics only)
   */
  readonly shardLevelMetrics?: kinesis.ShardLevelMetrics[];
}

/**
 * A Kinesis ingest of the library, as other constructs accept it (what `kinesis.IStream` is to
 * `kinesis.Stream`): implemented by {@link StreamIngest}. `PipelineAlarms` and
 * `PipelineDashboard` take one.
 */
export interface IStreamIngest extends IConstruct {
  /** The ingest stream. */
  readonly stream: kinesis.Stream;
  /** The key that encrypts the stream. */
  readonly encryptionKey: kms.IKey;
  /** The archive delivery stream, when the stream is archived to S3. */
  readonly archive?: firehose.DeliveryStream;
  /** Retention of the stream, for checks by consumers (DLQ retention). */
  readonly retentionPeriod: Duration;
  /** The shard-level metrics enabled (enhanced monitoring); empty when off. */
  readonly shardLevelMetrics: kinesis.ShardLevelMetrics[];
  /**
   * One shard-level metric of the stream, one series per shard (a search expression over the
   * `ShardId` dimension, `Maximum` over 1 minute unless `statistic` says otherwise). Throws unless
   * `shardLevelMetrics` enables it.
   */
  metricPerShard(metricName: kinesis.ShardLevelMetrics, statistic?: string, props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression;
  /** Grants writing records to the stream (PutRecord, PutRecords, and the key's encrypt). */
  grantWrite(grantee: iam.IGrantable): iam.Grant;
  /** Records written to the stream (sum over 1 minute). */
  metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Age of the oldest record not yet read by any consumer (maximum over 1 minute). */
  metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Records rejected because of write throttling, by PutRecord and PutRecords alike (sum over 1 minute). */
  metricWriteThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * A KMS-encrypted Kinesis data stream for record-at-a-time ingest, with an optional raw archive of
 * everything it receives to S3 through Amazon Data Firehose.
 */
export class StreamIngest extends Construct implements IStreamIngest {
  /** The ingest stream. */
  public readonly stream: kinesis.Stream;
  /** The key that encrypts the stream. */
  public readonly encryptionKey: kms.IKey;
  /** The archive delivery stream, when `archiveBucket` is set. */
  public readonly archive?: firehose.DeliveryStream;
  /** Retention of the stream, for checks by consumers (DLQ retention). */
  public readonly retentionPeriod: Duration;
  /** The shard-level metrics enabled (enhanced monitoring); empty when off. */
  public readonly shardLevelMetrics: kinesis.ShardLevelMetrics[];

  constructor(scope: Construct, id: string, props: StreamIngestProps = {}) {
    super(scope, id);
    const streamMode = props.streamMode ?? kinesis.StreamMode.ON_DEMAND;
    this.retentionPeriod = props.retentionPeriod ?? Duration.hours(24);
    const validator = new PropValidator(`StreamIngest (${this.node.path})`);
    validateStreamIngestProps(validator, props);
    validator.throwIfInvalid();

    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Stream key of ${this.node.path}`);
    this.shardLevelMetrics = [...new Set(props.shardLevelMetrics ?? [])];
    this.stream = new kinesis.Stream(this, 'Stream', {
      shardLevelMetrics: this.shardLevelMetrics.length > 0 ? this.shardLevelMetrics : undefined,
      streamMode,
      shardCount: streamMode === kinesis.StreamMode.PROVISIONED ? (props.shardCount ?? 1) : undefined,
      retentionPeriod: this.retentionPeriod,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledgeRules(this.stream, {
      ids: ['AwsSolutions-KDS3'],
      reason: 'Encrypted with the pipeline\'s customer-managed key (rotation on) instead of aws/kinesis, so key policy and audit stay with the pipeline.',
    });
    if (props.removalPolicy !== undefined && props.removalPolicy !== RemovalPolicy.RETAIN) {
      Annotations.of(this).addWarningV2(
        'cdk-serverless-etl:streamNotRetained',
        `removalPolicy is ${props.removalPolicy}: records still in the stream are lost when it leaves the stack.`,
      );
    }

    if (props.archiveBucket) {
      this.archive = this.createArchive(props.archiveBucket, props);
    }
  }

  /** Grants writing records to the stream (PutRecord, PutRecords, and the key's encrypt). */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.stream.grantWrite(grantee);
  }

  /** Records written to the stream (sum over 1 minute). */
  public metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricIncomingRecords({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1), ...props });
  }

  /** Age of the oldest record not yet read by any consumer (maximum over 1 minute). */
  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsIteratorAgeMilliseconds({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /**
   * One shard-level metric of the stream, one series per shard (a search expression over the
   * `ShardId` dimension, `Maximum` over 1 minute unless `statistic` says otherwise). Throws unless
   * `shardLevelMetrics` enables it.
   */
  public metricPerShard(metricName: kinesis.ShardLevelMetrics, statistic: string = cloudwatch.Stats.MAXIMUM, props: cloudwatch.MathExpressionOptions = {}): cloudwatch.MathExpression {
    const enabled = this.shardLevelMetrics.includes(metricName) || this.shardLevelMetrics.includes(kinesis.ShardLevelMetrics.ALL);
    if (!enabled) {
      throw new Error(`StreamIngest (${this.node.path}): ${metricName} is not a shard-level metric of the stream; add it to shardLevelMetrics`);
    }
    const period = props.period ?? Duration.minutes(1);
    return new cloudwatch.MathExpression({
      expression:
        `SEARCH('{AWS/Kinesis,ShardId,StreamName} MetricName="${metricName}" StreamName="${this.stream.streamName}"', ` +
        `'${statistic}', ${period.toSeconds()})`,
      usingMetrics: {},
      label: metricName,
      ...props,
      period,
    });
  }

  /** Records rejected because of write throttling, by PutRecord and PutRecords alike (sum over 1 minute). */
  public metricWriteThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricWriteProvisionedThroughputExceeded({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1), ...props });
  }

  private createArchive(bucket: s3.IBucket, props: StreamIngestProps): firehose.DeliveryStream {
    const prefix = props.archivePrefix ?? STREAM_ARCHIVE_PREFIX;
    allowLogsToUseKey(this.encryptionKey);
    const logGroup = new logs.LogGroup(this, 'ArchiveLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Own roles, each assumable by Firehose for this account only. The destination role is handed
    // to the L2 without policy updates, so its bucket.grantReadWrite (delete, retention and legal
    // hold on the whole bucket) cannot land; it gets exactly what the S3 destination needs instead.
    const firehosePrincipal = () =>
      new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } });
    const sourceRole = new iam.Role(this, 'ArchiveSourceRole', {
      assumedBy: firehosePrincipal(),
      description: `Firehose reading the stream of ${this.node.path}`,
    });
    const destinationRole = new iam.Role(this, 'ArchiveDeliveryRole', {
      assumedBy: firehosePrincipal(),
      description: `Firehose writing the stream archive of ${this.node.path} under ${prefix || '(bucket root)'}`,
    });
    grantArchiveDelivery(destinationRole, bucket, prefix, logGroup);
    const archive = new firehose.DeliveryStream(this, 'Archive', {
      role: sourceRole,
      source: new firehose.KinesisStreamSource(this.stream),
      destination: new firehose.S3Bucket(bucket, {
        role: destinationRole.withoutPolicyUpdates(),
        dataOutputPrefix: `${prefix}dt=!{timestamp:yyyy-MM-dd}/hr=!{timestamp:HH}/`,
        errorOutputPrefix: `${prefix}errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
        compression: firehose.Compression.GZIP,
        bufferingInterval: props.archiveBufferingInterval ?? Duration.minutes(5),
        encryptionKey: bucket.encryptionKey,
        loggingConfig: new firehose.EnableLogging(logGroup),
      }),
    });
    // Firehose checks the role's permissions when the delivery stream is created.
    archive.node.addDependency(destinationRole);
    // One record per line, whatever the producers send, so the archive reads as JSON Lines.
    (archive.node.defaultChild as firehose.CfnDeliveryStream).addPropertyOverride(
      'ExtendedS3DestinationConfiguration.ProcessingConfiguration',
      {
        Enabled: true,
        Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }] }],
      },
    );
    acknowledgeRules(archive, {
      ids: ['AwsSolutions-KDF1'],
      reason:
        'Firehose server-side encryption is not available with a Kinesis stream source, and Firehose does not store ' +
        'its records at rest: they stay in the stream (encrypted with its KMS key), reach Firehose over TLS and are ' +
        'written to S3 with the bucket key (SSE-KMS).',
    });
    acknowledgeRules(sourceRole, INLINE_POLICY_ACKNOWLEDGEMENT);
    acknowledgeRules(destinationRole, INLINE_POLICY_ACKNOWLEDGEMENT, {
      ids: [bucketObjectsFinding(bucket, `${prefix}*`)],
      reason:
        'Firehose names archive objects itself (dated partitions, its own object names) under the archive prefix: ' +
        's3:PutObject and the multipart actions (AbortMultipartUpload, ListMultipartUploadParts) on keys under that ' +
        'prefix only, no read, delete, retention or legal hold.',
    });
    return archive;
  }
}

/**
 * What Firehose needs to deliver to an S3 destination (the documented destination policy,
 * https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3), no more:
 * bucket-level GetBucketLocation, ListBucket and ListBucketMultipartUploads; PutObject (multipart
 * uploads included), AbortMultipartUpload and ListMultipartUploadParts on keys under `prefix`
 * only; the bucket key's GenerateDataKey and Decrypt (SSE-KMS, multipart); its error log group.
 */
function grantArchiveDelivery(role: iam.Role, bucket: s3.IBucket, prefix: string, logGroup: logs.ILogGroup): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [bucket.bucketArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [bucket.arnForObjects(`${prefix}*`)],
    }),
  );
  bucket.encryptionKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
}

/** Checks the props of a {@link StreamIngest}; adds each problem to `v` (`EtlPipeline` passes its own, under `stream`). */
export function validateStreamIngestProps(v: PropValidator, props: Omit<StreamIngestProps, 'archiveBucket'> & { readonly archiveBucket?: unknown }): void {
  const streamMode = props.streamMode ?? kinesis.StreamMode.ON_DEMAND;
  v.check(
    props.shardCount !== undefined && streamMode !== kinesis.StreamMode.PROVISIONED,
    `${v.path('shardCount')} is ${props.shardCount}; it is only allowed with ${v.path('streamMode')} PROVISIONED (${v.path('streamMode')} is ${streamMode})`,
  )
    .integer('shardCount', props.shardCount, 1, 10000)
    .duration('retentionPeriod', props.retentionPeriod ?? Duration.hours(24), Duration.hours(24), Duration.hours(8760))
    .duration('archiveBufferingInterval', props.archiveBufferingInterval, Duration.seconds(0), Duration.seconds(900))
    .pattern('archivePrefix', props.archivePrefix, /^([^/][^!{}]*\/)?$/, 'empty or a key prefix ending in "/" (no leading "/", no "!{")')
    .check(
      props.archiveBucket === undefined && (props.archivePrefix !== undefined || props.archiveBufferingInterval !== undefined),
      `${v.path('archivePrefix')} and ${v.path('archiveBufferingInterval')} need ${v.path('archiveBucket')}; ${v.path('archiveBucket')} is not set`,
    );
  const known: string[] = Object.values(kinesis.ShardLevelMetrics);
  (props.shardLevelMetrics ?? []).forEach((metric, i) => {
    v.check(!known.includes(metric), `${v.path(`shardLevelMetrics[${i}]`)} is ${JSON.stringify(metric)}; it must be one of ${known.join(', ')}`);
  });
}
