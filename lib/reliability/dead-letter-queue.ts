import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeRules } from '../core/compliance';
import { PropValidator } from '../core/prop-validator';

/** SQS keeps a message for at most 14 days. */
const MAX_SQS_RETENTION = Duration.days(14);

/** Props for {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /**
   * KMS key that encrypts the messages.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long a dead-lettered message is kept. Must be longer than `sourceRetentionPeriod`, so a
   * message is never lost to the DLQ's own expiry before its source's copy would have expired.
   * @default Duration.days(14) (the SQS maximum)
   */
  readonly retentionPeriod?: Duration;

  /**
   * Retention of the queue or stream that feeds this DLQ, used to check `retentionPeriod`.
   * @default - no check
   */
  readonly sourceRetentionPeriod?: Duration;

  /**
   * What happens to the queue (and the messages in it) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * What feeds this DLQ, written into the depth alarm's description (for the on-call reader).
   * @default 'its source'
   */
  readonly sourceDescription?: string;
}

/**
 * A dead-letter queue of the library, as other constructs accept it (what `sqs.IQueue` is to
 * `sqs.Queue`): implemented by {@link DeadLetterQueue}.
 */
export interface IDeadLetterQueue extends IConstruct {
  /** The dead-letter queue. */
  readonly queue: sqs.Queue;
  /** The key that encrypts the queue. */
  readonly encryptionKey: kms.IKey;
  /** Alarm in ALARM while at least one message is visible in the queue. */
  readonly depthAlarm: cloudwatch.Alarm;
  /** How long the queue keeps a message before SQS deletes it. */
  readonly retentionPeriod: Duration;
  /** Number of messages available in the DLQ (maximum over 1 minute). */
  metricMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Age of the oldest message in the DLQ (maximum over 1 minute). */
  metricOldestMessageAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** This queue as the on-failure destination of an event source mapping (Kinesis, DynamoDB streams). */
  asEventSourceDestination(): lambda.IEventSourceDlq;
  /** Grants reading and deleting messages, e.g. to an operator or a redrive tool. */
  grantConsumeMessages(grantee: iam.IGrantable): iam.Grant;
}

/**
 * A KMS-encrypted, TLS-only SQS dead-letter queue with an alarm on any message in it.
 *
 * Every asynchronous edge of a pipeline ends in one of these; a message here means a record the
 * pipeline gave up on after its retry bound, so the depth alarm fires on the first message.
 */
export class DeadLetterQueue extends Construct implements IDeadLetterQueue {
  /** The dead-letter queue. */
  public readonly queue: sqs.Queue;
  /** The key that encrypts the queue. */
  public readonly encryptionKey: kms.IKey;
  /** Alarm in ALARM while at least one message is visible in the queue. */
  public readonly depthAlarm: cloudwatch.Alarm;
  /** How long the queue keeps a message before SQS deletes it. */
  public readonly retentionPeriod: Duration;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps = {}) {
    super(scope, id);
    const retentionPeriod = props.retentionPeriod ?? MAX_SQS_RETENTION;
    const validator = new PropValidator(`DeadLetterQueue (${this.node.path})`);
    validateDeadLetterQueueProps(validator, props);
    validator.throwIfInvalid();
    this.retentionPeriod = retentionPeriod;

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', { enableKeyRotation: true });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      retentionPeriod,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (props.removalPolicy !== undefined && props.removalPolicy !== RemovalPolicy.RETAIN) {
      Annotations.of(this).addWarningV2(
        'cdk-serverless-etl:deadLetterQueueNotRetained',
        `removalPolicy is ${props.removalPolicy}: dead-lettered records are lost when the queue leaves the stack.`,
      );
    }
    acknowledgeRules(this.queue, {
      ids: ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      reason: 'This queue is itself a dead-letter queue (the end of a retry path); a DLQ of a DLQ would only move the problem.',
    });
    this.depthAlarm = this.metricMessagesVisible().createAlarm(this, 'DepthAlarm', {
      alarmDescription:
        `Messages are waiting in the dead-letter queue of ${props.sourceDescription ?? 'its source'}: ` +
        'records the pipeline gave up on after retries. Inspect, fix the cause, then redrive.',
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Number of messages available in the DLQ (maximum over 1 minute). */
  public metricMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Age of the oldest message in the DLQ (maximum over 1 minute). */
  public metricOldestMessageAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /**
   * This queue as the on-failure destination of an event source mapping (Kinesis, DynamoDB
   * streams). Unlike aws-cdk-lib's `SqsDlq`, which grants the function `grantSendMessages` (with
   * the key's Encrypt and ReEncrypt), the function's role gets only what sending needs:
   * `sqs:SendMessage` on this queue, and the key's `kms:GenerateDataKey` and `kms:Decrypt`.
   */
  public asEventSourceDestination(): lambda.IEventSourceDlq {
    return {
      bind: (_target, targetHandler) => {
        this.queue.grant(targetHandler, 'sqs:SendMessage');
        this.encryptionKey.grant(targetHandler, 'kms:GenerateDataKey', 'kms:Decrypt');
        return { destination: this.queue.queueArn };
      },
    };
  }

  /** Grants reading and deleting messages, e.g. to an operator or a redrive tool. */
  public grantConsumeMessages(grantee: iam.IGrantable): iam.Grant {
    return this.queue.grantConsumeMessages(grantee);
  }
}

/** Checks the props of a {@link DeadLetterQueue}; adds each problem to `v`. */
export function validateDeadLetterQueueProps(v: PropValidator, props: DeadLetterQueueProps): void {
  const retentionPeriod = props.retentionPeriod ?? MAX_SQS_RETENTION;
  v.duration('retentionPeriod', retentionPeriod, Duration.minutes(1), MAX_SQS_RETENTION);
  if (props.sourceRetentionPeriod && !props.sourceRetentionPeriod.isUnresolved() && !retentionPeriod.isUnresolved()) {
    v.check(
      retentionPeriod.toSeconds() <= props.sourceRetentionPeriod.toSeconds() &&
        retentionPeriod.toSeconds() < MAX_SQS_RETENTION.toSeconds(),
      `${v.path('retentionPeriod')} is ${retentionPeriod.toHumanString()}; it must be longer than the source's retention ` +
        `(${props.sourceRetentionPeriod.toHumanString()}), up to ${MAX_SQS_RETENTION.toHumanString()}`,
    );
  }
}
