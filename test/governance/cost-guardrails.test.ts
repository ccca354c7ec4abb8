import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CostGuardrails, CostGuardrailsProps } from '../../lib/governance/cost-guardrails';
import { AlarmRouting } from '../../lib/observability/alarm-routing';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';

function synth(props: Partial<CostGuardrailsProps> = {}) {
  const stack = testStack();
  const routing = new AlarmRouting(stack, 'Routing');
  const guardrails = new CostGuardrails(stack, 'CostGuardrails', {
    pipelineName: 'orders',
    monthlyBudgetUsd: 250,
    notificationTopic: routing.ticketTopic,
    ...props,
  });
  return { stack, routing, guardrails, template: Template.fromStack(stack) };
}

function budgetOf(template: Template) {
  const budgets = Object.values(template.findResources('AWS::Budgets::Budget'));
  expect(budgets).toHaveLength(1);
  return budgets[0].Properties as {
    Budget: Record<string, unknown>;
    NotificationsWithSubscribers: Array<{ Notification: Record<string, unknown>; Subscribers: unknown[] }>;
  };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('CostGuardrails', () => {
  const { template, routing, guardrails, stack } = synth();
  const ticketRef = { Ref: stack.getLogicalId(routing.ticketTopic.node.defaultChild as never) };

  test('snapshot', () => {
    expect(ownTemplate(guardrails)).toMatchSnapshot();
  });

  test('a monthly USD cost budget on the pipeline tag', () => {
    expect(budgetOf(template).Budget).toEqual({
      BudgetName: 'orders-pipeline-monthly',
      BudgetType: 'COST',
      TimeUnit: 'MONTHLY',
      BudgetLimit: { Amount: 250, Unit: 'USD' },
      CostFilters: { TagKeyValue: ['user:pipeline$orders'] },
    });
    expect(stack.resolve(guardrails.budget.budget)).toMatchObject({ budgetName: 'orders-pipeline-monthly' });
  });

  test('notifies the ticket topic when actual spend passes 80% and forecast spend passes 100%', () => {
    expect(budgetOf(template).NotificationsWithSubscribers).toEqual([
      {
        Notification: { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 80, ThresholdType: 'PERCENTAGE' },
        Subscribers: [{ SubscriptionType: 'SNS', Address: ticketRef }],
      },
      {
        Notification: { NotificationType: 'FORECASTED', ComparisonOperator: 'GREATER_THAN', Threshold: 100, ThresholdType: 'PERCENTAGE' },
        Subscribers: [{ SubscriptionType: 'SNS', Address: ticketRef }],
      },
    ]);
  });

  test('AWS Budgets may publish to the ticket topic it notifies', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ticketRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowBudgetsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: ticketRef,
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ]),
      },
    });
  });

  test('custom thresholds and budget', () => {
    const { template: t } = synth({ monthlyBudgetUsd: 1000, actualThreshold: 0.5, forecastThreshold: 1.5 });
    const budget = budgetOf(t);
    expect(budget.Budget.BudgetLimit).toEqual({ Amount: 1000, Unit: 'USD' });
    expect(budget.NotificationsWithSubscribers.map((n) => [n.Notification.NotificationType, n.Notification.Threshold])).toEqual([
      ['ACTUAL', 50],
      ['FORECASTED', 150],
    ]);
  });

  test('thresholds become percentages without floating-point noise (0.9 → 90, 1.1 → 110)', () => {
    const { template: t } = synth({ actualThreshold: 0.9, forecastThreshold: 1.1 });
    expect(budgetOf(t).NotificationsWithSubscribers.map((n) => n.Notification.Threshold)).toEqual([90, 110]);
  });

  test('another pipeline name and a topic of the user\'s own', () => {
    const stack2 = testStack();
    const topic = sns.Topic.fromTopicArn(stack2, 'Tickets', 'arn:aws:sns:eu-west-1:123456789012:tickets');
    new CostGuardrails(stack2, 'Budget', { pipelineName: 'clicks', monthlyBudgetUsd: 1, notificationTopic: topic });
    const budget = budgetOf(Template.fromStack(stack2));
    expect(budget.Budget).toMatchObject({ BudgetName: 'clicks-pipeline-monthly', CostFilters: { TagKeyValue: ['user:pipeline$clicks'] }, BudgetLimit: { Amount: 1, Unit: 'USD' } });
    for (const n of budget.NotificationsWithSubscribers) {
      expect(n.Subscribers).toEqual([{ SubscriptionType: 'SNS', Address: 'arn:aws:sns:eu-west-1:123456789012:tickets' }]);
    }
  });

  test('the bounds are accepted', () => {
    expect(() => synth({ monthlyBudgetUsd: 1, actualThreshold: 0.1, forecastThreshold: 2 })).not.toThrow();
    expect(() => synth({ monthlyBudgetUsd: 1_000_000, actualThreshold: 2, forecastThreshold: 0.1 })).not.toThrow();
  });

  describe('validation', () => {
    test.each([
      [0, 'monthlyBudgetUsd is 0; it must be from 1 to 1,000,000'],
      [2e6, 'monthlyBudgetUsd is 2,000,000; it must be from 1 to 1,000,000'],
      [-5, 'monthlyBudgetUsd is -5; it must be from 1 to 1,000,000'],
      [Number.NaN, 'monthlyBudgetUsd is NaN; it must be from 1 to 1,000,000'],
    ])('monthlyBudgetUsd %d is rejected', (monthlyBudgetUsd, message) => {
      expect(() => synth({ monthlyBudgetUsd })).toThrow(new Error(`Invalid CostGuardrails (TestStack/CostGuardrails) props:\n  - ${message}`));
    });

    test('every problem in one error naming each prop, its value and the allowed range', () => {
      expect(errorOf(() => synth({ monthlyBudgetUsd: 0, actualThreshold: 0.05, forecastThreshold: 3 }))).toBe(
        'Invalid CostGuardrails (TestStack/CostGuardrails) props:\n' +
          '  - monthlyBudgetUsd is 0; it must be from 1 to 1,000,000\n' +
          '  - actualThreshold is 0.05; it must be from 0.1 to 2\n' +
          '  - forecastThreshold is 3; it must be from 0.1 to 2',
      );
    });

    test('nothing is created when the props are invalid', () => {
      const stack2 = testStack();
      const topic = sns.Topic.fromTopicArn(stack2, 'Tickets', 'arn:aws:sns:eu-west-1:123456789012:tickets');
      expect(() => new CostGuardrails(stack2, 'Budget', { pipelineName: 'orders', monthlyBudgetUsd: 0, notificationTopic: topic })).toThrow();
      Template.fromStack(stack2).resourceCountIs('AWS::Budgets::Budget', 0);
    });
  });
});
