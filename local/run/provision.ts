/**
 * Creates a stack's data-plane resources on the emulators, as CloudFormation would create them on
 * AWS: buckets, queues (DLQs first, then queues with their RedrivePolicy), Kinesis streams
 * (ShardCount), DynamoDB tables (key schema, indexes), EventBridge buses and rules with SQS and
 * state machine targets (and their dead-letter queues). Returns the references that resolve to them.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AssemblyStack } from '../template/cloud-assembly';
import { busEnvironmentOf, busNameOf, DEFAULT_BUS, type BusTarget, type LocalEventBridge } from '../services/event-bus';
import type { RuleDelivery } from '../iam/in-process';
import { environmentOf, LocalReferences } from '../template/references';
import type { LocalResources } from '../template/template-resources';

/** Clients of the emulators a provisioning needs. */
export interface ProvisionClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
}

/** Starts state machine executions for rule targets (the local Step Functions). */
export interface ExecutionStarter {
  /** Starts an execution of the state machine with this ARN; throws when it cannot (as StartExecution fails). */
  startExecution(stateMachineArn: string, input: string): unknown;
}

/** A stack as created on the emulators. */
export interface ProvisionedStack {
  readonly stack: AssemblyStack;
  readonly resources: LocalResources;
  readonly refs: LocalReferences;
  /** Queue URLs by logical id. */
  readonly queueUrls: ReadonlyMap<string, string>;
  /** Things that are declared but not wired locally, for the report. */
  readonly notes: string[];
}

/**
 * Authorizes a rule's delivery to a target or its dead-letter queue before it is made; throws when
 * EventBridge may not deliver (the delivery then fails as on AWS).
 */
export type DeliveryGuard = (delivery: RuleDelivery) => void;

/**
 * Creates `resources` on the emulators and their rules on `eventBridge`, in the stack's own
 * account and region (its references, ARNs, buses and rules; {@link environmentOf}). Deliveries of
 * the rules pass `authorizeDelivery` first (IAM); an event its dead-letter queue refuses is lost.
 */
export async function provisionStack(
  stack: AssemblyStack,
  resources: LocalResources,
  clients: ProvisionClients,
  eventBridge: LocalEventBridge,
  stepFunctions?: ExecutionStarter,
  authorizeDelivery?: DeliveryGuard,
): Promise<ProvisionedStack> {
  const notes: string[] = [];
  const queueUrls = new Map<string, string>();
  const environment = environmentOf(stack);
  const { account, region } = environment;
  const preliminary = new LocalReferences(stack.template, resources, { account, region });

  await Promise.all(resources.buckets.map((b) => clients.s3.send(new CreateBucketCommand({ Bucket: b.name }))));

  // Queues: a queue is created once the DLQ of its RedrivePolicy exists.
  const queueArns = new Map<string, string>();
  let remaining = [...resources.queues];
  while (remaining.length > 0) {
    const ready = remaining.filter((q) => {
      if (!q.redrive) return true;
      const dlq = preliminary.target(q.redrive.deadLetterTargetArn);
      return dlq === undefined || queueArns.has(dlq.logicalId);
    });
    if (ready.length === 0) throw new Error(`Redrive policies form a cycle: ${remaining.map((q) => q.path).join(', ')}`);
    for (const q of ready) {
      const attributes = { ...q.attributes };
      if (q.redrive) {
        const dlq = preliminary.target(q.redrive.deadLetterTargetArn);
        if (dlq) attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: queueArns.get(dlq.logicalId), maxReceiveCount: q.redrive.maxReceiveCount });
        else notes.push(`${q.path}: its dead-letter queue is not in the stack; redrive is not emulated`);
      }
      const url = (await clients.sqs.send(new CreateQueueCommand({ QueueName: q.name, Attributes: attributes }))).QueueUrl as string;
      queueUrls.set(q.logicalId, url);
      const arn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      queueArns.set(q.logicalId, arn as string);
    }
    remaining = remaining.filter((q) => !ready.includes(q));
  }

  for (const s of resources.streams) {
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: s.name, ShardCount: s.shardCount }));
  }
  for (const s of resources.streams) await waitForStream(clients.kinesis, s.name);

  for (const t of resources.tables) {
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: t.name,
        KeySchema: t.keySchema as never,
        AttributeDefinitions: t.attributeDefinitions as never,
        GlobalSecondaryIndexes: t.globalSecondaryIndexes as never,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    if (t.timeToLiveAttribute) notes.push(`${t.path}: TTL on "${t.timeToLiveAttribute}" is not applied (dynalite has no UpdateTimeToLive)`);
  }

  const refs = new LocalReferences(stack.template, resources, { account, region, queueUrls });
  for (const bus of resources.eventBuses) eventBridge.createEventBus(bus.name, environment);
  for (const rule of resources.rules) {
    if (!rule.enabled) continue;
    if (!rule.eventPattern) {
      notes.push(`${rule.path}: scheduled rules are not run locally`);
      continue;
    }
    const inert = sourcesNeverEmitted(rule.eventPattern);
    if (inert) {
      notes.push(`${rule.path}: matches only ${inert} events, which the local run never emits (the service is not emulated); its targets are left idle`);
      continue;
    }
    const targets: BusTarget[] = [];
    const ruleArn = refs.getAtt(rule.logicalId, 'Arn');
    const guard = (targetId: string, kind: 'queue' | 'stateMachine', logicalId: string) =>
      authorizeDelivery?.({ ruleArn, ruleName: rule.name, targetId, target: { kind, arn: refs.arnOf(logicalId), url: queueUrls.get(logicalId) }, environment });
    const send = (logicalId: string, body: string, attributes: Record<string, string> = {}) =>
      clients.sqs
        .send(
          new SendMessageCommand({
            QueueUrl: queueUrls.get(logicalId),
            MessageBody: body,
            MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
          }),
        )
        .then(() => undefined);
    for (const t of rule.targets) {
      const target = refs.target(t.arn);
      let deliver: BusTarget['deliver'];
      if (target?.kind === 'queue') {
        deliver = async (payload) => {
          guard(t.id, 'queue', target.logicalId);
          await send(target.logicalId, payload);
        };
      } else if (target?.kind === 'stateMachine' && stepFunctions) {
        const arn = refs.arnOf(target.logicalId);
        deliver = async (payload) => {
          guard(t.id, 'stateMachine', target.logicalId);
          stepFunctions.startExecution(arn, payload);
        };
      } else {
        notes.push(`${rule.path}: target ${t.id} (${describeTarget(refs, t.arn)}) is not wired locally; only SQS and state machine targets are`);
        continue;
      }
      const dlq = t.deadLetterArn === undefined ? undefined : refs.target(t.deadLetterArn);
      targets.push({
        id: t.id,
        inputPath: t.inputPath,
        input: t.input,
        inputTransformer: t.inputTransformer && { inputPathsMap: t.inputTransformer.inputPathsMap, inputTemplate: refs.resolveString(t.inputTransformer.inputTemplate) },
        deliver,
        deadLetter:
          dlq?.kind === 'queue'
            ? async (payload, error) => {
                try {
                  guard(t.id, 'queue', dlq.logicalId);
                } catch {
                  return; // EventBridge may not send to the dead-letter queue either: the event is lost
                }
                await send(dlq.logicalId, payload, {
                  RULE_ARN: ruleArn,
                  TARGET_ARN: refs.arnOf(target.logicalId),
                  ERROR_CODE: error.name || 'SQSError',
                  ERROR_MESSAGE: error.message.slice(0, 256),
                });
              }
            : undefined,
      });
    }
    const busName = rule.eventBusName === undefined ? DEFAULT_BUS : refs.resolveString(rule.eventBusName);
    // Patterns may name resources (`{"Ref": <bucket>}`): resolve them to the emulated names.
    const eventPattern = refs.resolve(rule.eventPattern) as typeof rule.eventPattern;
    eventBridge.putRule({ name: rule.name, eventBusName: busNameOf(busName), eventPattern, targets }, busEnvironmentOf(busName) ?? environment);
  }
  return { stack, resources, refs, queueUrls, notes };
}

/** AWS event sources no emulator of the local run emits (CloudWatch alarms are not emulated). */
const SOURCES_NEVER_EMITTED = new Set(['aws.cloudwatch']);

/** The pattern's sources when every one is a source the local run never emits, else undefined. */
function sourcesNeverEmitted(pattern: Record<string, unknown>): string | undefined {
  const sources = pattern.source;
  if (!Array.isArray(sources) || sources.length === 0) return undefined;
  return sources.every((s) => typeof s === 'string' && SOURCES_NEVER_EMITTED.has(s)) ? sources.join(', ') : undefined;
}

function describeTarget(refs: LocalReferences, arn: unknown): string {
  try {
    return refs.resolveString(arn);
  } catch {
    return JSON.stringify(arn);
  }
}

async function waitForStream(kinesis: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const out = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (out.StreamDescription?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Kinesis stream ${name} did not become ACTIVE`);
}
