import { Names } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * An SQS queue as the target of EventBridge rules, whose queue policy lets EventBridge send to it
 * for those rules only: one `sqs:SendMessage` statement per rule, conditioned on the rule's ARN
 * (`aws:SourceArn`). aws-cdk-lib's `targets.SqsQueue` conditions a KMS-encrypted queue on
 * `aws:SourceAccount` instead, so any rule of the account (on any bus) could write to it.
 *
 * EventBridge also needs `kms:GenerateDataKey` and `kms:Decrypt` on the queue's key, which this
 * target does not grant (the key policy is the key owner's): the library's constructs grant it.
 */
export class RuleScopedSqsQueue implements events.IRuleTarget {
  /**
   * @param queue the queue the rules deliver to
   * @param props as for `targets.SqsQueue` (message, DLQ, retry policy, message group)
   */
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly props: targets.SqsQueueProps = {},
  ) {}

  /** Adds the rule's statement to the queue policy (and to its DLQ's); returns the target. */
  public bind(rule: events.IRule, _id?: string): events.RuleTargetConfig {
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `AllowOnlyEventRule${Names.nodeUniqueId(rule.node)}`,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    if (this.props.deadLetterQueue) targets.addToDeadLetterQueueResourcePolicy(rule, this.props.deadLetterQueue);
    return {
      ...targets.bindBaseTargetConfig(this.props),
      arn: this.queue.queueArn,
      input: this.props.message,
      targetResource: this.queue,
      sqsParameters: this.props.messageGroupId ? { messageGroupId: this.props.messageGroupId } : undefined,
    };
  }
}
