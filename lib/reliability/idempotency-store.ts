import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { IDEMPOTENCY_TABLE } from '../contract/storage-layout';
import { acknowledgeRules } from '../core/compliance';
import { createPipelineKey } from '../core/encryption';
import { PropValidator } from '../core/prop-validator';

/** Props for {@link IdempotencyStore}. */
export interface IdempotencyStoreProps {
  /**
   * KMS key that encrypts the table.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long a record id is remembered (1 hour to 365 days). Redeliveries and replays of a record
   * within this window never reach curated twice; choose it longer than the longest replay window
   * (stream retention, event archive retention, raw reprocessing you expect).
   * @default Duration.days(30)
   */
  readonly timeToLive?: Duration;

  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An idempotency store of the library, as other constructs accept it (what `dynamodb.ITable` is to
 * `dynamodb.Table`): implemented by {@link IdempotencyStore}. `TransformFunction` and
 * `PipelineAlarms` take one.
 */
export interface IIdempotencyStore extends IConstruct {
  /** The table (partition key `id`, TTL attribute `expiresAt`). */
  readonly table: dynamodb.Table;
  /** The key that encrypts the table. */
  readonly encryptionKey: kms.IKey;
  /** How long a record id is remembered. */
  readonly timeToLive: Duration;
  /** Grants what the runtime sends: BatchGetItem and conditional PutItem, and the key's Decrypt and GenerateDataKey. */
  grantClaims(grantee: iam.IGrantable): iam.Grant;
  /** Requests to the table that were throttled (sum over 1 minute). */
  metricThrottledRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * The idempotency store of a pipeline: a DynamoDB table (on-demand, point-in-time recovery, KMS,
 * TTL) keyed by record id, remembering which curated object each record went to. The runtime
 * reads it in batches of 100 and writes one item per new record, so redeliveries and replays
 * never reach curated twice.
 */
export class IdempotencyStore extends Construct implements IIdempotencyStore {
  /** The table (partition key `id`, TTL attribute `expiresAt`). */
  public readonly table: dynamodb.Table;
  /** The key that encrypts the table. */
  public readonly encryptionKey: kms.IKey;
  /** How long a record id is remembered. */
  public readonly timeToLive: Duration;

  constructor(scope: Construct, id: string, props: IdempotencyStoreProps = {}) {
    super(scope, id);
    this.timeToLive = props.timeToLive ?? Duration.days(30);
    const validator = new PropValidator(`IdempotencyStore (${this.node.path})`);
    validateIdempotencyStoreProps(validator, props);
    validator.throwIfInvalid();

    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Idempotency store key of ${this.node.path}`);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: IDEMPOTENCY_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: IDEMPOTENCY_TABLE.timeToLiveAttribute,
      removalPolicy,
    });
    if (removalPolicy !== RemovalPolicy.RETAIN) {
      Annotations.of(this).addWarningV2(
        'cdk-serverless-etl:idempotencyStoreNotRetained',
        `removalPolicy is ${removalPolicy}: after the table is deleted, replays and redeliveries can duplicate curated records.`,
      );
    }
    acknowledgeRules(this.table, {
      ids: ['NIST.800.53.R5-DynamoDBInBackupPlan', 'HIPAA.Security-DynamoDBInBackupPlan'],
      reason:
        'The table holds short-lived deduplication state (record id → curated object, expiring by TTL), not data: ' +
        'point-in-time recovery covers it, and a backup plan would restore claims for objects that may no longer exist.',
    });
  }

  /**
   * Grants what the runtime sends: BatchGetItem (lookups) and conditional PutItem (claims), and
   * the key's Decrypt and GenerateDataKey (no GetItem, batch writes, scans, deletes or table
   * administration).
   */
  public grantClaims(grantee: iam.IGrantable): iam.Grant {
    this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
    return this.table.grant(grantee, 'dynamodb:BatchGetItem', 'dynamodb:PutItem');
  }

  /** Requests to the table that were throttled (sum over 1 minute). */
  public metricThrottledRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/DynamoDB',
      metricName: 'ThrottledRequests',
      dimensionsMap: { TableName: this.table.tableName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(1),
      ...props,
    });
  }
}

/** Checks the props of an {@link IdempotencyStore}; adds each problem to `v` (`EtlPipeline` passes its own: `timeToLive` is its `idempotencyTimeToLive`). */
export function validateIdempotencyStoreProps(v: PropValidator, props: IdempotencyStoreProps): void {
  v.duration('timeToLive', props.timeToLive ?? Duration.days(30), Duration.hours(1), Duration.days(365));
}
