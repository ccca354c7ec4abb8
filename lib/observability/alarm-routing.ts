import { Stack, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { ALARM_TAG } from '../contract/metrics';
import { createPipelineKey } from '../core/encryption';

/** How urgently an alarm needs a human. */
export enum AlarmSeverity {
  /** Wake someone up: data is being lost or will be late within the hour. */
  PAGE = 'page',
  /** Handle in working hours: a trend that will hurt if left alone. */
  TICKET = 'ticket',
}

/** An alarm and the severity it was routed with. */
export interface RoutedAlarm {
  /** The alarm. */
  readonly alarm: cloudwatch.IAlarm;
  /** Its severity. */
  readonly severity: AlarmSeverity;
}

/** Props for {@link AlarmRouting}. */
export interface AlarmRoutingProps {
  /**
   * Topic for page-severity alarms (subscribe the pager). Bring your own to route to an existing
   * on-call integration.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly pageTopic?: sns.ITopic;

  /**
   * Topic for ticket-severity alarms and budget notifications.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly ticketTopic?: sns.ITopic;

  /**
   * KMS key of the topics this construct creates.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Name used in the topics' display names.
   * @default - the construct id
   */
  readonly displayName?: string;
}

/**
 * An alarm routing of the library, as other constructs accept it: implemented by
 * {@link AlarmRouting}. `PipelineSlos` and `PipelineAlarms` route their alarms through one.
 */
export interface IAlarmRouting extends IConstruct {
  /** Topic of page-severity alarms. */
  readonly pageTopic: sns.ITopic;
  /** Topic of ticket-severity alarms and budget notifications. */
  readonly ticketTopic: sns.ITopic;
  /** Every alarm routed so far, with its severity (for dashboards and tests). */
  readonly alarms: RoutedAlarm[];
  /** Sends the alarm's ALARM and OK notifications to the topic of its severity. */
  route(alarm: cloudwatch.AlarmBase, severity: AlarmSeverity): void;
}

/**
 * Routes alarms by severity to a page topic and a ticket topic. Created topics are KMS-encrypted
 * and TLS-only, and CloudWatch (and AWS Budgets) of this account may publish to them.
 */
export class AlarmRouting extends Construct implements IAlarmRouting {
  /** Topic of page-severity alarms. */
  public readonly pageTopic: sns.ITopic;
  /** Topic of ticket-severity alarms and budget notifications. */
  public readonly ticketTopic: sns.ITopic;
  private readonly routed: RoutedAlarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmRoutingProps = {}) {
    super(scope, id);
    const name = props.displayName ?? id;
    let key = props.encryptionKey;
    const topic = (topicId: string, label: string) => {
      key ??= createPipelineKey(this, 'Key', `Alarm topics of ${this.node.path}`);
      return this.createTopic(topicId, `${name} ${label}`, key);
    };
    this.pageTopic = props.pageTopic ?? topic('PageTopic', 'pages');
    this.ticketTopic = props.ticketTopic ?? topic('TicketTopic', 'tickets');
  }

  /**
   * Sends the alarm's ALARM and OK notifications to the topic of its severity, and tags the alarm
   * with it (`alarm-severity`: what the incident-timing recorder attributes state changes by).
   */
  public route(alarm: cloudwatch.AlarmBase, severity: AlarmSeverity): void {
    Tags.of(alarm).add(ALARM_TAG.severity, severity);
    const action = new cwActions.SnsAction(severity === AlarmSeverity.PAGE ? this.pageTopic : this.ticketTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.routed.push({ alarm, severity });
  }

  /** Every alarm routed so far, with its severity (for dashboards and tests). */
  public get alarms(): RoutedAlarm[] {
    return [...this.routed];
  }

  private createTopic(id: string, displayName: string, key: kms.IKey): sns.Topic {
    const topic = new sns.Topic(this, id, { displayName, masterKey: key, enforceSSL: true });
    const sameAccount = { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } };
    for (const service of ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com']) {
      const principal = new iam.ServicePrincipal(service).withConditions(sameAccount);
      key.grant(principal, 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowBudgetsToPublish',
        principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: sameAccount,
      }),
    );
    return topic;
  }
}
