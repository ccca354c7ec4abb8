import { Annotations, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { DLQ_ID } from '../contract/stack-outputs';
import { createPipelineKey } from '../core/encryption';
import { PropValidator } from '../core/prop-validator';
import { DeadLetterQueue, IDeadLetterQueue } from '../reliability/dead-letter-queue';
import { RuleScopedSqsQueue } from '../reliability/rule-scoped-queue';

/** Props for {@link EventBusIngest}. */
export interface EventBusIngestProps {
  /**
   * Bring an existing bus instead of creating one. The archive and rules are created on it.
   * @default - a new custom event bus, encrypted with `encryptionKey`
   */
  readonly eventBus?: events.IEventBus;

  /**
   * Name of the new event bus (ignored when `eventBus` is given).
   * @default - a name generated from the construct path
   */
  readonly eventBusName?: string;

  /**
   * KMS key that encrypts the bus, its archive and the queues.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Events that are delivered to the buffer queue. More rules can be added with `addRule`.
   * Required with an existing `eventBus` (which other applications may share); a pattern that
   * selects only by account or region there is accepted with a warning.
   * @default - every event this account puts on the new bus: `{ account: [<this account>] }`
   */
  readonly eventPattern?: events.EventPattern;

  /**
   * How long the archive keeps events for replay (1 to 3,650 days).
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;

  /**
   * Visibility timeout of the buffer queue. Must be at least the consumer's timeout; AWS
   * recommends six times the Lambda function timeout.
   * @default Duration.minutes(6)
   */
  readonly bufferVisibilityTimeout?: Duration;

  /**
   * How long the buffer queue keeps a message (1 minute to 13 days, so its DLQ can keep a
   * dead-lettered message longer).
   * @default Duration.days(4)
   */
  readonly bufferRetentionPeriod?: Duration;

  /**
   * What happens to the buffer queue and the DLQs (and messages in them) when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Receives of a message before the buffer queue moves it to its DLQ (1 to 1,000).
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * Attempts EventBridge makes to deliver an event to the buffer queue before dead-lettering it (0 to 185).
   * @default 185
   */
  readonly deliveryRetryAttempts?: number;

  /**
   * Maximum age of an event EventBridge still tries to deliver (1 minute to 24 hours).
   * @default Duration.hours(24)
   */
  readonly deliveryMaxEventAge?: Duration;
}

/**
 * An EventBridge ingest of the library, as other constructs accept it (what `events.IEventBus` is
 * to `events.EventBus`): implemented by {@link EventBusIngest}. `PipelineAlarms` and
 * `PipelineDashboard` take one.
 */
export interface IEventBusIngest extends IConstruct {
  /** The event bus producers put events on. */
  readonly eventBus: events.IEventBus;
  /** Archive of every event on the bus. */
  readonly archive: events.Archive;
  /** The buffer queue that rules deliver to and the transform consumes. */
  readonly bufferQueue: sqs.Queue;
  /** DLQ of the buffer queue (messages the consumer failed to process). */
  readonly bufferDeadLetterQueue: IDeadLetterQueue;
  /** DLQ of the rules' target (events EventBridge failed to deliver). */
  readonly deliveryDeadLetterQueue: IDeadLetterQueue;
  /** The key that encrypts the bus, archive and queues. */
  readonly encryptionKey: kms.IKey;
  /** Rules delivering to the buffer queue. */
  readonly rules: events.Rule[];
  /** Adds a rule on the bus delivering events that match `eventPattern` to the buffer queue. */
  addRule(id: string, eventPattern: events.EventPattern, description?: string): events.Rule;
  /** Grants putting events on the bus. */
  grantPutEvents(grantee: iam.IGrantable): iam.Grant;
  /** Age of the oldest message waiting in the buffer queue (maximum over 1 minute). */
  metricBufferAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * Event ingest through a custom EventBridge bus: an archive of every event (for replay) and
 * rules that deliver matching events to an SQS buffer queue, which absorbs bursts and feeds a
 * transform at a capped concurrency.
 *
 * Two dead-letter queues: one for events EventBridge could not deliver to the buffer, one for
 * messages the consumer failed `maxReceiveCount` times.
 */
export class EventBusIngest extends Construct implements IEventBusIngest {
  /** The event bus producers put events on. */
  public readonly eventBus: events.IEventBus;
  /** Archive of every event on the bus. */
  public readonly archive: events.Archive;
  /** The buffer queue that rules deliver to and the transform consumes. */
  public readonly bufferQueue: sqs.Queue;
  /** DLQ of the buffer queue (messages the consumer failed to process). */
  public readonly bufferDeadLetterQueue: IDeadLetterQueue;
  /** DLQ of the rules' target (events EventBridge failed to deliver). */
  public readonly deliveryDeadLetterQueue: IDeadLetterQueue;
  /** The key that encrypts the bus, archive and queues. */
  public readonly encryptionKey: kms.IKey;
  /** Rules delivering to the buffer queue. */
  public readonly rules: events.Rule[] = [];
  private readonly target: RuleScopedSqsQueue;

  constructor(scope: Construct, id: string, props: EventBusIngestProps = {}) {
    super(scope, id);
    const bufferRetention = props.bufferRetentionPeriod ?? Duration.days(4);
    const validator = new PropValidator(`EventBusIngest (${this.node.path})`);
    validateEventBusIngestProps(validator, props);
    validator.throwIfInvalid();
    if (props.eventBus && props.eventPattern && isCatchAll(props.eventPattern)) {
      Annotations.of(this).addWarningV2(
        'cdk-serverless-etl:catchAllOnImportedBus',
        `eventPattern matches every event of the account on the imported bus ${props.eventBus.eventBusName}: ` +
          'everything producers put on it is ingested; narrow the pattern (source, detail-type) unless the bus is the pipeline\'s own.',
      );
    }

    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Event ingest key of ${this.node.path}`);
    let archiveSource: events.IEventBus;
    if (props.eventBus) {
      this.eventBus = archiveSource = props.eventBus;
    } else {
      // A literal name and ARN: the key policy statements EventBridge needs name the bus, and a
      // generated (token) name or ARN would make the key and the bus depend on each other.
      const eventBusName = props.eventBusName ?? Names.uniqueResourceName(this, { maxLength: 256, separator: '-' });
      const bus = new events.EventBus(this, 'Bus', {
        eventBusName,
        kmsKey: this.encryptionKey,
        description: `Event ingest bus of ${this.node.path}`,
      });
      this.eventBus = bus;
      archiveSource = events.EventBus.fromEventBusArn(
        this,
        'BusByArn',
        Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName }),
      );
    }

    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: archiveSource,
      description: `Every event on the ingest bus, for replay (${this.node.path})`,
      eventPattern: { account: [Stack.of(this).account] },
      retention: props.archiveRetention ?? Duration.days(30),
      kmsKey: this.encryptionKey,
    });
    this.archive.node.addDependency(this.eventBus);

    this.bufferDeadLetterQueue = new DeadLetterQueue(this, DLQ_ID.buffer, {
      encryptionKey: this.encryptionKey,
      sourceRetentionPeriod: bufferRetention,
      removalPolicy: props.removalPolicy,
      sourceDescription: `the buffer queue of ${this.node.path}`,
    });
    this.bufferQueue = new sqs.Queue(this, 'Buffer', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      retentionPeriod: bufferRetention,
      visibilityTimeout: props.bufferVisibilityTimeout ?? Duration.minutes(6),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deadLetterQueue: { queue: this.bufferDeadLetterQueue.queue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.deliveryDeadLetterQueue = new DeadLetterQueue(this, DLQ_ID.delivery, {
      encryptionKey: this.encryptionKey,
      removalPolicy: props.removalPolicy,
      sourceDescription: `the event rules of ${this.node.path} (events EventBridge could not deliver to the buffer)`,
    });
    this.encryptionKey.grant(
      new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
      'kms:GenerateDataKey',
      'kms:Decrypt',
    );
    // The buffer accepts events from this construct's rules only (aws:SourceArn), not any rule of the account.
    this.target = new RuleScopedSqsQueue(this.bufferQueue, {
      deadLetterQueue: this.deliveryDeadLetterQueue.queue,
      retryAttempts: props.deliveryRetryAttempts ?? 185,
      maxEventAge: props.deliveryMaxEventAge ?? Duration.hours(24),
    });

    this.addRule('Rule', props.eventPattern ?? { account: [Stack.of(this).account] });
  }

  /** Adds a rule on the bus delivering events that match `eventPattern` to the buffer queue. */
  public addRule(id: string, eventPattern: events.EventPattern, description?: string): events.Rule {
    const rule = new events.Rule(this, id, {
      eventBus: this.eventBus,
      eventPattern,
      description: description ?? `Delivers matching events to the buffer queue of ${this.node.path}`,
    });
    rule.addTarget(this.target);
    this.rules.push(rule);
    return rule;
  }

  /** Grants putting events on the bus. */
  public grantPutEvents(grantee: iam.IGrantable): iam.Grant {
    return this.eventBus.grantPutEventsTo(grantee);
  }

  /** Age of the oldest message waiting in the buffer queue (maximum over 1 minute). */
  public metricBufferAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.bufferQueue.metricApproximateAgeOfOldestMessage({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }
}

/** Checks the props of an {@link EventBusIngest}; adds each problem to `v` (`EtlPipeline` passes its own, under `eventBus`). */
export function validateEventBusIngestProps(v: PropValidator, props: EventBusIngestProps): void {
  v.duration('archiveRetention', props.archiveRetention, Duration.days(1), Duration.days(3650))
    .duration('bufferVisibilityTimeout', props.bufferVisibilityTimeout, Duration.seconds(0), Duration.hours(12))
    .duration('bufferRetentionPeriod', props.bufferRetentionPeriod ?? Duration.days(4), Duration.minutes(1), Duration.days(13))
    .integer('maxReceiveCount', props.maxReceiveCount, 1, 1000)
    .integer('deliveryRetryAttempts', props.deliveryRetryAttempts, 0, 185)
    .duration('deliveryMaxEventAge', props.deliveryMaxEventAge, Duration.minutes(1), Duration.hours(24))
    .pattern('eventBusName', props.eventBusName, /^[A-Za-z0-9._-]{1,256}$/, '1 to 256 characters of letters, digits, ".", "_" and "-"')
    .check(
      props.eventBus !== undefined && props.eventBusName !== undefined,
      `${v.path('eventBusName')} is set together with ${v.path('eventBus')}; give one or the other`,
    )
    // The default pattern takes every event of the account: right for the ingest's own bus, not for a shared one.
    .check(
      props.eventBus !== undefined && props.eventPattern === undefined,
      `${v.path('eventBus')} is an existing bus and ${v.path('eventPattern')} is not set; the default pattern ` +
        `({ account: [<this account>] }) would ingest every event on that bus, including other applications' events. ` +
        `Give ${v.path('eventPattern')} naming the pipeline's events (e.g. source or detail-type)`,
    );
}

/** True when a pattern selects nothing but account or region: every event of the account on its bus. */
export function isCatchAll(pattern: events.EventPattern): boolean {
  return Object.entries(pattern).every(([key, value]) => value === undefined || key === 'account' || key === 'region');
}
