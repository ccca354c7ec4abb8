import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AlarmRouting, AlarmSeverity } from '../../lib/observability/alarm-routing';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { logicalId, propsOf, resourcesOfType, topicActions } from './fixtures';

const ACCOUNT = '123456789012';

function metric(name: string) {
  return new cloudwatch.Metric({ namespace: 'Test', metricName: name, dimensionsMap: { Pipeline: 'orders' }, period: Duration.minutes(1) });
}

describe('AlarmRouting', () => {
  describe('default: two topics of its own', () => {
    const stack = testStack();
    const routing = new AlarmRouting(stack, 'Routing', { displayName: 'orders pipeline' });
    const template = Template.fromStack(stack);
    const topics = [routing.pageTopic, routing.ticketTopic];

    test('snapshot', () => {
      expect(ownTemplate(routing)).toMatchSnapshot();
    });

    test('creates a page topic and a ticket topic with one rotating KMS key', () => {
      template.resourceCountIs('AWS::SNS::Topic', 2);
      template.resourceCountIs('AWS::KMS::Key', 1);
      const [keyId] = Object.keys(resourcesOfType(template, 'AWS::KMS::Key'));
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
      expect(propsOf(template, routing.pageTopic)).toEqual({ DisplayName: 'orders pipeline pages', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      expect(propsOf(template, routing.ticketTopic)).toEqual({ DisplayName: 'orders pipeline tickets', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      expect(routing.pageTopic).not.toBe(routing.ticketTopic);
    });

    test('display names default to the construct id', () => {
      const s = testStack();
      const r = new AlarmRouting(s, 'Alerts');
      const t = Template.fromStack(s);
      expect(propsOf(t, r.pageTopic).DisplayName).toBe('Alerts pages');
      expect(propsOf(t, r.ticketTopic).DisplayName).toBe('Alerts tickets');
    });

    test.each([0, 1])('topic %i: denies publishing without TLS and lets only this account\'s Budgets publish', (i) => {
      const topicId = logicalId(topics[i]);
      const policies = Object.values(resourcesOfType(template, 'AWS::SNS::TopicPolicy')).filter(
        (p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topicId }]),
      );
      expect(policies).toHaveLength(1);
      const statements = (policies[0].Properties.PolicyDocument as { Statement: unknown[] }).Statement;
      expect(statements).toHaveLength(2);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sns:Publish',
          Principal: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: { Ref: topicId },
        }),
      );
      expect(statements).toContainEqual({
        Sid: 'AllowBudgetsToPublish',
        Effect: 'Allow',
        Action: 'sns:Publish',
        Principal: { Service: 'budgets.amazonaws.com' },
        Resource: { Ref: topicId },
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      });
    });

    test('CloudWatch and Budgets of this account only may use the topics\' key', () => {
      const [key] = Object.values(resourcesOfType(template, 'AWS::KMS::Key'));
      const statements = (key.Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
      const services = statements.filter((s) => JSON.stringify(s.Principal).match(/cloudwatch\.amazonaws\.com|budgets\.amazonaws\.com/));
      expect(services.length).toBeGreaterThan(0);
      const granted = new Set<string>();
      for (const s of services) {
        expect(s.Effect).toBe('Allow');
        expect(s.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });
        expect([s.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
        for (const p of [(s.Principal as { Service: string | string[] }).Service].flat()) granted.add(p);
      }
      expect([...granted].sort()).toEqual(['budgets.amazonaws.com', 'cloudwatch.amazonaws.com']);
    });
  });

  test('uses the given key for its topics and creates none', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'PipelineKey', { enableKeyRotation: true });
    const routing = new AlarmRouting(stack, 'Routing', { encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::SNS::Topic', 2);
    for (const topic of [routing.pageTopic, routing.ticketTopic]) {
      expect(propsOf(template, topic).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId(key), 'Arn'] });
    }
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: Match.arrayWith(['cloudwatch.amazonaws.com']) },
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          }),
        ]),
      },
    });
  });

  test('brings its own topics: no topic, no key, no topic policy created', () => {
    const stack = testStack();
    const pager = sns.Topic.fromTopicArn(stack, 'Pager', `arn:aws:sns:eu-west-1:${ACCOUNT}:pager`);
    const tickets = sns.Topic.fromTopicArn(stack, 'Tickets', `arn:aws:sns:eu-west-1:${ACCOUNT}:tickets`);
    const routing = new AlarmRouting(stack, 'Routing', { pageTopic: pager, ticketTopic: tickets });
    const page = new cloudwatch.Alarm(stack, 'PageAlarm', { metric: metric('A'), threshold: 0, evaluationPeriods: 1 });
    const ticket = new cloudwatch.Alarm(stack, 'TicketAlarm', { metric: metric('B'), threshold: 0, evaluationPeriods: 1 });
    routing.route(page, AlarmSeverity.PAGE);
    routing.route(ticket, AlarmSeverity.TICKET);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(routing.pageTopic).toBe(pager);
    expect(routing.ticketTopic).toBe(tickets);
    expect(propsOf(template, page)).toMatchObject({ AlarmActions: [pager.topicArn], OKActions: [pager.topicArn] });
    expect(propsOf(template, ticket)).toMatchObject({ AlarmActions: [tickets.topicArn], OKActions: [tickets.topicArn] });
  });

  test('brings its own page topic only: creates the ticket topic', () => {
    const stack = testStack();
    const pager = sns.Topic.fromTopicArn(stack, 'Pager', `arn:aws:sns:eu-west-1:${ACCOUNT}:pager`);
    const routing = new AlarmRouting(stack, 'Routing', { pageTopic: pager });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(routing.pageTopic).toBe(pager);
    expect(propsOf(template, routing.ticketTopic).DisplayName).toBe('Routing tickets');
  });

  describe('route()', () => {
    const stack = testStack();
    const routing = new AlarmRouting(stack, 'Routing');
    const page = new cloudwatch.Alarm(stack, 'PageAlarm', { metric: metric('A'), threshold: 0, evaluationPeriods: 1 });
    const ticket = new cloudwatch.Alarm(stack, 'TicketAlarm', { metric: metric('B'), threshold: 0, evaluationPeriods: 1 });
    const composite = new cloudwatch.CompositeAlarm(stack, 'Composite', { alarmRule: cloudwatch.AlarmRule.allOf(page, ticket) });
    const unrouted = new cloudwatch.Alarm(stack, 'Unrouted', { metric: metric('C'), threshold: 0, evaluationPeriods: 1 });
    routing.route(page, AlarmSeverity.PAGE);
    routing.route(ticket, AlarmSeverity.TICKET);
    routing.route(composite, AlarmSeverity.PAGE);
    const template = Template.fromStack(stack);

    test('page alarms notify the page topic on ALARM and OK', () => {
      expect(propsOf(template, page).AlarmActions).toEqual(topicActions(routing.pageTopic));
      expect(propsOf(template, page).OKActions).toEqual(topicActions(routing.pageTopic));
    });

    test('ticket alarms notify the ticket topic on ALARM and OK', () => {
      expect(propsOf(template, ticket).AlarmActions).toEqual(topicActions(routing.ticketTopic));
      expect(propsOf(template, ticket).OKActions).toEqual(topicActions(routing.ticketTopic));
    });

    test('composite alarms are routed the same way', () => {
      expect(propsOf(template, composite).AlarmActions).toEqual(topicActions(routing.pageTopic));
      expect(propsOf(template, composite).OKActions).toEqual(topicActions(routing.pageTopic));
    });

    test('alarms not routed get no actions', () => {
      expect(propsOf(template, unrouted).AlarmActions).toBeUndefined();
      expect(propsOf(template, unrouted).OKActions).toBeUndefined();
    });

    test('`alarms` lists every routed alarm with its severity, in routing order', () => {
      expect(routing.alarms).toEqual([
        { alarm: page, severity: AlarmSeverity.PAGE },
        { alarm: ticket, severity: AlarmSeverity.TICKET },
        { alarm: composite, severity: AlarmSeverity.PAGE },
      ]);
    });
  });

  test('severities are "page" and "ticket"', () => {
    expect(AlarmSeverity.PAGE).toBe('page');
    expect(AlarmSeverity.TICKET).toBe('ticket');
  });
});
