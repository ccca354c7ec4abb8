/**
 * Reads the data-plane resources a synthesized template declares (buckets, queues, streams,
 * tables, event buses and rules, secrets, functions and their event source mappings, state machines,
 * SSM parameters) into plain
 * descriptions the local run can create on the emulators, each with a deterministic local name.
 * References between resources stay as template values: {@link LocalReferences} resolves them.
 */
import { createHash } from 'node:crypto';
import type { Template } from './cloud-assembly';

/** Fields every local resource has. */
export interface LocalResourceBase {
  readonly logicalId: string;
  /** Construct path (without the stack name), or the logical id. */
  readonly path: string;
  /** Physical name on the emulators. */
  readonly name: string;
}

/** An S3 bucket. */
export interface LocalBucket extends LocalResourceBase {
  /** Object-created events go to the account's default EventBridge bus. */
  readonly eventBridgeEnabled: boolean;
}

/** An SQS queue. */
export interface LocalQueue extends LocalResourceBase {
  /** Queue attributes the emulator supports (visibility timeout, retention, delay, size). */
  readonly attributes: Record<string, string>;
  readonly fifo: boolean;
  /** The RedrivePolicy, with the DLQ still as a template value. */
  readonly redrive?: { readonly deadLetterTargetArn: unknown; readonly maxReceiveCount: number };
}

/** A Kinesis data stream. */
export interface LocalStream extends LocalResourceBase {
  /** Shards: the template's ShardCount, else {@link ON_DEMAND_SHARDS} (kinesalite has no on-demand mode). */
  readonly shardCount: number;
  readonly mode: 'ON_DEMAND' | 'PROVISIONED';
}

/** A DynamoDB table. */
export interface LocalTable extends LocalResourceBase {
  readonly keySchema: Array<{ AttributeName: string; KeyType: string }>;
  readonly attributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  readonly globalSecondaryIndexes?: unknown[];
  /** TTL attribute (not applied: dynalite has no UpdateTimeToLive, items never expire locally). */
  readonly timeToLiveAttribute?: string;
}

/** An EventBridge bus. */
export type LocalEventBus = LocalResourceBase;

/** A target of an EventBridge rule. */
export interface LocalRuleTarget {
  readonly id: string;
  /** The target ARN, as a template value. */
  readonly arn: unknown;
  /** The target's dead-letter queue ARN, as a template value. */
  readonly deadLetterArn?: unknown;
  readonly inputPath?: string;
  readonly input?: string;
  /** `InputTransformer`: paths by variable name, and the template (a template value). */
  readonly inputTransformer?: { readonly inputPathsMap: Record<string, string>; readonly inputTemplate: unknown };
}

/** An EventBridge rule with an event pattern. */
export interface LocalRule extends LocalResourceBase {
  /** The bus, as a template value; absent for the default bus. */
  readonly eventBusName?: unknown;
  readonly eventPattern?: Record<string, unknown>;
  readonly enabled: boolean;
  readonly targets: LocalRuleTarget[];
}

/** A Secrets Manager secret. */
export interface LocalSecret extends LocalResourceBase {
  /** The literal SecretString, if the template has one. */
  readonly secretString?: string;
  /** GenerateSecretString settings: a random value is generated for the run. */
  readonly generate?: { readonly length: number; readonly excludePunctuation: boolean };
}

/** A Step Functions state machine; its definition stays a template value until resolved. */
export interface LocalStateMachine extends LocalResourceBase {
  readonly type: 'STANDARD' | 'EXPRESS';
  /** `DefinitionString` (a string or intrinsics), when the template has one. */
  readonly definitionString?: unknown;
  /** `Definition` (an object), when the template has one. */
  readonly definition?: unknown;
  /** `DefinitionSubstitutions`: `${name}` in the definition is replaced by each (resolved) value. */
  readonly definitionSubstitutions?: Record<string, unknown>;
  /** Set when the definition is in S3 (`DefinitionS3Location`): not run locally. */
  readonly definitionInS3: boolean;
}

/** An SSM parameter (served by the in-process Parameter Store stand-in). */
export interface LocalParameter extends LocalResourceBase {
  readonly type: string;
  /** `Value`, as a template value. */
  readonly value: unknown;
}

/** A Lambda function and where its bundled code is in the cloud assembly. */
export interface LocalFunction extends LocalResourceBase {
  /** `file.export` as in the template (e.g. `index.handler`). */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** `ReservedConcurrentExecutions`: the most environments it runs in at once, when set. */
  readonly reservedConcurrentExecutions?: number;
  /** Asset directory name in the cloud assembly (`asset.<hash>`), from metadata or Code.S3Key. */
  readonly assetPath?: string;
  /** Inline code (Code.ZipFile), when there is no asset. */
  readonly inlineCode?: string;
  /** Environment.Variables, values still as template values. */
  readonly environment: Record<string, unknown>;
}

/** A Lambda event source mapping, with the settings the local run honours. */
export interface LocalEventSourceMapping {
  readonly logicalId: string;
  readonly path: string;
  readonly functionName: unknown;
  readonly eventSourceArn: unknown;
  readonly enabled: boolean;
  readonly batchSize?: number;
  readonly maximumBatchingWindowInSeconds?: number;
  readonly maximumRetryAttempts?: number;
  readonly bisectBatchOnFunctionError?: boolean;
  readonly maximumRecordAgeInSeconds?: number;
  readonly reportBatchItemFailures: boolean;
  readonly onFailureDestination?: unknown;
  readonly maximumConcurrency?: number;
  readonly parallelizationFactor?: number;
  readonly startingPosition?: string;
}

/** Everything the local run creates or runs, plus what it does not emulate. */
export interface LocalResources {
  readonly stackName: string;
  readonly buckets: LocalBucket[];
  readonly queues: LocalQueue[];
  readonly streams: LocalStream[];
  readonly tables: LocalTable[];
  readonly eventBuses: LocalEventBus[];
  readonly rules: LocalRule[];
  readonly secrets: LocalSecret[];
  readonly functions: LocalFunction[];
  readonly eventSourceMappings: LocalEventSourceMapping[];
  readonly stateMachines: LocalStateMachine[];
  readonly parameters: LocalParameter[];
  /** Resource types in the template the local run does not emulate, with counts. */
  readonly notEmulated: Array<{ type: string; count: number }>;
}

/** Shards given to an ON_DEMAND stream (kinesalite needs a ShardCount). */
export const ON_DEMAND_SHARDS = 2;

/**
 * Types that need no emulation: alarms, logs, versions; and the IAM and KMS resources and resource
 * policies, which the local run enforces (local/iam) rather than creates.
 */
const CONTROL_PLANE_TYPES = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::RolePolicy',
  'AWS::SecretsManager::ResourcePolicy',
  'AWS::KMS::Key',
  'AWS::KMS::Alias',
  'AWS::S3::BucketPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::Events::EventBusPolicy',
  'AWS::Logs::LogGroup',
  'AWS::Logs::LogStream',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::Lambda::Version',
  'AWS::Lambda::Alias',
  'AWS::Lambda::Permission',
  'AWS::CDK::Metadata',
]);

const HANDLED_TYPES = new Set([
  'AWS::S3::Bucket',
  'AWS::SQS::Queue',
  'AWS::Kinesis::Stream',
  'AWS::DynamoDB::Table',
  'AWS::Events::EventBus',
  'AWS::Events::Rule',
  'AWS::SecretsManager::Secret',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::StepFunctions::StateMachine',
  'AWS::SSM::Parameter',
  // On DuckDB, read by the Athena stand-in (local/lakehouse).
  'AWS::Glue::Database',
  'AWS::Glue::Table',
]);

/** Reads the local resources of one stack's template. */
export function readLocalResources(template: Template, stackName: string): LocalResources {
  const result: LocalResources = {
    stackName,
    buckets: [],
    queues: [],
    streams: [],
    tables: [],
    eventBuses: [],
    rules: [],
    secrets: [],
    functions: [],
    eventSourceMappings: [],
    stateMachines: [],
    parameters: [],
    notEmulated: [],
  };
  const skipped = new Map<string, number>();
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const p = (resource.Properties ?? {}) as Record<string, unknown>;
    const rawPath = resource.Metadata?.['aws:cdk:path'];
    const path = typeof rawPath === 'string' ? rawPath.replace(/^[^/]+\//, '').replace(/\/Resource$/, '') : logicalId;
    const base = { logicalId, path };
    switch (resource.Type) {
      case 'AWS::S3::Bucket': {
        const config = p.NotificationConfiguration as { EventBridgeConfiguration?: { EventBridgeEnabled?: boolean } } | undefined;
        result.buckets.push({
          ...base,
          name: literal(p.BucketName) ?? physicalName(stackName, logicalId, 63, true),
          eventBridgeEnabled: config?.EventBridgeConfiguration?.EventBridgeEnabled === true,
        });
        break;
      }
      case 'AWS::SQS::Queue': {
        const fifo = p.FifoQueue === true || p.FifoQueue === 'true';
        const name = literal(p.QueueName) ?? physicalName(stackName, logicalId, fifo ? 75 : 80, false) + (fifo ? '.fifo' : '');
        const redrive = p.RedrivePolicy as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | undefined;
        result.queues.push({
          ...base,
          name,
          fifo,
          attributes: queueAttributes(p),
          redrive: redrive?.deadLetterTargetArn
            ? { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount ?? 10) }
            : undefined,
        });
        break;
      }
      case 'AWS::Kinesis::Stream': {
        const mode = (p.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED';
        const shards = Number(p.ShardCount);
        result.streams.push({
          ...base,
          name: literal(p.Name) ?? physicalName(stackName, logicalId, 128, false),
          mode,
          shardCount: Number.isInteger(shards) && shards > 0 ? shards : ON_DEMAND_SHARDS,
        });
        break;
      }
      case 'AWS::DynamoDB::Table':
        result.tables.push({
          ...base,
          name: literal(p.TableName) ?? physicalName(stackName, logicalId, 255, false),
          keySchema: p.KeySchema as LocalTable['keySchema'],
          attributeDefinitions: (p.AttributeDefinitions ?? []) as LocalTable['attributeDefinitions'],
          globalSecondaryIndexes: p.GlobalSecondaryIndexes as unknown[] | undefined,
          timeToLiveAttribute: (p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined)?.AttributeName,
        });
        break;
      case 'AWS::Events::EventBus':
        result.eventBuses.push({ ...base, name: literal(p.Name) ?? physicalName(stackName, logicalId, 256, false) });
        break;
      case 'AWS::Events::Rule':
        result.rules.push({
          ...base,
          name: literal(p.Name) ?? physicalName(stackName, logicalId, 64, false),
          eventBusName: p.EventBusName,
          eventPattern: p.EventPattern as Record<string, unknown> | undefined,
          enabled: p.State === undefined || p.State === 'ENABLED',
          targets: ((p.Targets ?? []) as Array<Record<string, unknown>>).map((t) => ({
            id: String(t.Id),
            arn: t.Arn,
            deadLetterArn: (t.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn,
            inputPath: literal(t.InputPath),
            input: literal(t.Input),
            inputTransformer: inputTransformer(t.InputTransformer),
          })),
        });
        break;
      case 'AWS::SecretsManager::Secret': {
        const generate = p.GenerateSecretString as { PasswordLength?: number; ExcludePunctuation?: boolean } | undefined;
        result.secrets.push({
          ...base,
          name: literal(p.Name) ?? physicalName(stackName, logicalId, 256, false),
          secretString: literal(p.SecretString),
          generate: generate ? { length: Number(generate.PasswordLength ?? 32), excludePunctuation: generate.ExcludePunctuation === true } : undefined,
        });
        break;
      }
      case 'AWS::Lambda::Function': {
        const code = (p.Code ?? {}) as { S3Key?: unknown; ZipFile?: unknown };
        const assetFromMetadata = resource.Metadata?.['aws:asset:path'];
        const s3Key = literal(code.S3Key);
        result.functions.push({
          ...base,
          name: literal(p.FunctionName) ?? physicalName(stackName, logicalId, 64, false),
          handler: literal(p.Handler) ?? 'index.handler',
          runtime: literal(p.Runtime) ?? 'unknown',
          timeoutSeconds: Number(p.Timeout ?? 3),
          memorySize: Number(p.MemorySize ?? 128),
          reservedConcurrentExecutions: optionalNumber(p.ReservedConcurrentExecutions),
          assetPath:
            typeof assetFromMetadata === 'string' ? assetFromMetadata : s3Key ? `asset.${s3Key.replace(/\.zip$/, '')}` : undefined,
          inlineCode: literal(code.ZipFile),
          environment: ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>,
        });
        break;
      }
      case 'AWS::Lambda::EventSourceMapping': {
        const scaling = p.ScalingConfig as { MaximumConcurrency?: number } | undefined;
        result.eventSourceMappings.push({
          ...base,
          functionName: p.FunctionName,
          eventSourceArn: p.EventSourceArn,
          enabled: p.Enabled !== false,
          batchSize: optionalNumber(p.BatchSize),
          maximumBatchingWindowInSeconds: optionalNumber(p.MaximumBatchingWindowInSeconds),
          maximumRetryAttempts: optionalNumber(p.MaximumRetryAttempts),
          bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === undefined ? undefined : p.BisectBatchOnFunctionError === true,
          maximumRecordAgeInSeconds: optionalNumber(p.MaximumRecordAgeInSeconds),
          reportBatchItemFailures: ((p.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
          onFailureDestination: (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination,
          maximumConcurrency: optionalNumber(scaling?.MaximumConcurrency),
          parallelizationFactor: optionalNumber(p.ParallelizationFactor),
          startingPosition: literal(p.StartingPosition),
        });
        break;
      }
      case 'AWS::StepFunctions::StateMachine':
        result.stateMachines.push({
          ...base,
          name: literal(p.StateMachineName) ?? physicalName(stackName, logicalId, 80, false),
          type: p.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
          definitionString: p.DefinitionString,
          definition: p.Definition,
          definitionSubstitutions: p.DefinitionSubstitutions as Record<string, unknown> | undefined,
          definitionInS3: p.DefinitionS3Location !== undefined,
        });
        break;
      case 'AWS::SSM::Parameter':
        result.parameters.push({
          ...base,
          // Without a Name, CloudFormation generates one (CFN-<logical id>-<random>).
          name: literal(p.Name) ?? `CFN-${logicalId}`,
          type: literal(p.Type) ?? 'String',
          value: p.Value,
        });
        break;
      default:
        if (!CONTROL_PLANE_TYPES.has(resource.Type) && !HANDLED_TYPES.has(resource.Type)) {
          skipped.set(resource.Type, (skipped.get(resource.Type) ?? 0) + 1);
        }
    }
  }
  result.notEmulated.push(...[...skipped].map(([type, count]) => ({ type, count })).sort((a, b) => a.type.localeCompare(b.type)));
  return result;
}

/**
 * A deterministic physical name like CloudFormation's (`<stack>-<logicalId>`), shortened with a
 * hash when longer than `maxLength`, lower-cased for S3.
 */
export function physicalName(stackName: string, logicalId: string, maxLength: number, lowerCase: boolean): string {
  let name = `${stackName}-${logicalId}`;
  if (name.length > maxLength) {
    const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
    name = `${name.slice(0, maxLength - hash.length - 1)}-${hash}`;
  }
  return lowerCase ? name.toLowerCase() : name;
}

function queueAttributes(p: Record<string, unknown>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds']) {
    if (typeof p[name] === 'number' || typeof p[name] === 'string') attributes[name] = String(p[name]);
  }
  if (p.FifoQueue === true || p.FifoQueue === 'true') attributes.FifoQueue = 'true';
  if (p.ContentBasedDeduplication === true || p.ContentBasedDeduplication === 'true') attributes.ContentBasedDeduplication = 'true';
  return attributes;
}

function inputTransformer(value: unknown): LocalRuleTarget['inputTransformer'] {
  const t = value as { InputPathsMap?: Record<string, unknown>; InputTemplate?: unknown } | undefined;
  if (!t || t.InputTemplate === undefined) return undefined;
  const paths = Object.fromEntries(Object.entries(t.InputPathsMap ?? {}).map(([k, v]) => [k, String(v)]));
  return { inputPathsMap: paths, inputTemplate: t.InputTemplate };
}

function literal(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
