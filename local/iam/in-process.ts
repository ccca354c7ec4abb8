/**
 * The calls the local run makes in-process on behalf of AWS services, authorized as AWS does:
 *
 * - an event source mapping polls with the function's execution role: Kinesis `DescribeStream`,
 *   `DescribeStreamSummary`, `ListShards`, `GetShardIterator`, `GetRecords` (with `kms:Decrypt`
 *   of an encrypted stream), SQS `ReceiveMessage` (`kms:Decrypt`), `DeleteMessage`,
 *   `GetQueueAttributes`, and `SendMessage` to its on-failure destination. (The local poller also
 *   changes the visibility of failed messages, standing in for their visibility timeout; Lambda does
 *   not call that, so it is not checked.) A refused poll stops the mapping: its records stay in the
 *   source, reported as blocked.
 * - a state machine's tasks run as its role: `lambda:InvokeFunction` on the function as named
 *   (a qualified ARN for an alias), `ssm:GetParameter(s)`/`PutParameter`/`DeleteParameter`,
 *   `sqs:SendMessage` (with KMS), `events:PutEvents` on each entry's bus. A refused task fails
 *   with the error Step Functions reports (`Lambda.AWSLambdaException`, `SQS.AmazonSQSException`,
 *   `Ssm.SsmException`, `EventBridge.AmazonEventBridgeException`).
 * - a rule delivers to an SQS target as `events.amazonaws.com` (the queue policy must allow it,
 *   with `aws:SourceArn` the rule), to a state machine as the target's `RoleArn`
 *   (`states:StartExecution`). A refused delivery fails as `NO_PERMISSIONS` and goes to the target's
 *   dead-letter queue, itself authorized the same way; an event neither can take is lost.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { BusEnvironment, PutEventsEntry } from '../services/event-bus';
import type { LocalParameterStore } from '../services/parameter-store';
import type { TaskServices } from '../services/state-machine';
import { AccessDeniedError, type Actor, type IamAuthorizer, type Refusal } from './authorizer';
import { kmsChecks, type IamCheck } from './request-checks';
import type { ResourceDirectory } from './resource-directory';

/** SDK clients an event source mapping polls with. */
export interface PollingClients {
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
}

/** A command as the SDK sends it. */
interface Command {
  readonly input: Record<string, unknown>;
}

/** A client whose `send` first authorizes each command with `checksOf` (commands it returns undefined for pass unchecked). */
function guardedClient<T extends { send(command: never): Promise<unknown> }>(client: T, authorize: (command: Command, name: string) => void): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return (command: Command & object, ...rest: unknown[]) => {
        const name = command.constructor.name.replace(/Command$/, '');
        try {
          authorize(command, name);
        } catch (error) {
          return Promise.reject(error);
        }
        return (target.send as (...args: unknown[]) => Promise<unknown>).call(target, command, ...rest);
      };
    },
  });
}

/** Throws the refusal (as `name`) when `checks` are not all allowed. */
function enforce(authorizer: IamAuthorizer, actor: Actor, operation: string, checks: readonly IamCheck[], errorName: (refusal: Refusal) => string, message = (r: Refusal) => r.message): void {
  const refusal = authorizer.authorize(actor, operation, checks);
  if (refusal) {
    const error = new AccessDeniedError(refusal, errorName(refusal));
    error.message = message(refusal);
    throw error;
  }
}

/**
 * The clients an event source mapping of `functionArn` polls with, authorized as the function's
 * role (`label` names the mapping in the report); the given clients when the role is not in the app.
 */
export function mappingClients(authorizer: IamAuthorizer, directory: ResourceDirectory, functionArn: string, sessionName: string, label: string, clients: PollingClients): PollingClients {
  if (!authorizer.active) return clients;
  const actor = authorizer.roleSession(authorizer.policies.functionRoles.get(functionArn), sessionName, label);
  if (!actor) return clients;
  const env = { account: actor.principal.account, region: actor.region };
  let stream: string | undefined;
  const kinesis = guardedClient(clients.kinesis, (command, name) => {
    const input = command.input;
    if (typeof input.StreamName === 'string' || typeof input.StreamARN === 'string') stream = String(input.StreamARN ?? input.StreamName);
    if (!stream) return;
    const entry = directory.stream(stream, env);
    const on = (action: string): IamCheck => ({ action, resource: entry.arn, resourceAccount: entry.account });
    const checks: Record<string, IamCheck[]> = {
      ListShards: [on('kinesis:DescribeStream'), on('kinesis:DescribeStreamSummary'), on('kinesis:ListShards')],
      GetShardIterator: [on('kinesis:GetShardIterator')],
      GetRecords: [on('kinesis:GetRecords'), ...kmsChecks(directory, entry, ['kms:Decrypt'], 'kinesis', { 'aws:kinesis:arn': entry.arn })],
    };
    if (!checks[name]) return authorizer.recordUnmapped(label, `kinesis:${name}`, 'not a call of a Kinesis event source mapping');
    enforce(authorizer, actor, `kinesis:${name}`, checks[name], (r) => (r.check.kms ? 'KMSAccessDeniedException' : 'AccessDeniedException'));
  });
  const sqs = guardedClient(clients.sqs, (command, name) => {
    if (typeof command.input.QueueUrl !== 'string') return;
    const entry = directory.queue(command.input.QueueUrl, env);
    const on = (action: string): IamCheck => ({ action, resource: entry.arn, resourceAccount: entry.account });
    const encryption = { 'aws:sqs:arn': entry.arn };
    const checks: Record<string, IamCheck[]> = {
      ReceiveMessage: [on('sqs:ReceiveMessage'), ...kmsChecks(directory, entry, ['kms:Decrypt'], 'sqs', encryption)],
      DeleteMessageBatch: [on('sqs:DeleteMessage')],
      DeleteMessage: [on('sqs:DeleteMessage')],
      GetQueueAttributes: [on('sqs:GetQueueAttributes')],
      SendMessage: [on('sqs:SendMessage'), ...kmsChecks(directory, entry, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', encryption)],
      // The local stand-in for a failed message's visibility timeout: Lambda makes no such call.
      ChangeMessageVisibilityBatch: [],
    };
    if (!checks[name]) return authorizer.recordUnmapped(label, `sqs:${name}`, 'not a call of an SQS event source mapping');
    enforce(authorizer, actor, `sqs:${name}`, checks[name], (r) => (r.check.kms ? 'KmsAccessDenied' : 'AccessDenied'));
  });
  return { kinesis, sqs };
}

/** Whether a drain ended because a poll was refused (see {@link mappingClients}). */
export function isRefusal(error: unknown): error is AccessDeniedError {
  return error instanceof AccessDeniedError;
}

/** What a state machine needs to authorize its tasks. */
export interface GuardedMachine {
  readonly arn: string;
  /** Construct path (the report's name). */
  readonly path: string;
  readonly environment: BusEnvironment;
}

/** `services` with every task call authorized as the state machine's role (unchanged when its role is not in the app). */
export function guardTaskServices(authorizer: IamAuthorizer, directory: ResourceDirectory, machine: GuardedMachine, services: TaskServices): TaskServices {
  if (!authorizer.active) return services;
  const label = machine.path;
  const actor = authorizer.roleSession(authorizer.policies.stateMachineRoles.get(machine.arn), 'local-execution', label);
  if (!actor) return services;
  const { account, region } = machine.environment;
  const sdkSuffix = (service: string, status: number, code: string) => ` (Service: ${service}; Status Code: ${status}; Error Code: ${code}; Request ID: local; Proxy: null)`;

  const parameterArn = (name: string) => (name.startsWith('arn:') ? name : `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`);
  const ssm = (action: string, names: unknown[]) =>
    enforce(
      authorizer,
      actor,
      action,
      names.filter((n): n is string => typeof n === 'string').map((n) => ({ action, resource: parameterArn(n) })),
      () => 'Ssm.SsmException',
      (r) => `${r.message}${sdkSuffix('Ssm', 400, 'AccessDeniedException')}`,
    );
  const parameters = new Proxy(services.parameters, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const check: Record<string, (input: Record<string, unknown>) => void> = {
        getParameter: (input) => ssm('ssm:GetParameter', [input.Name]),
        getParameters: (input) => ssm('ssm:GetParameters', Array.isArray(input.Names) ? input.Names : []),
        putParameter: (input) => ssm('ssm:PutParameter', [input.Name]),
        deleteParameter: (input) => ssm('ssm:DeleteParameter', [input.Name]),
      };
      const before = check[String(property)];
      if (!before) return (value as (...args: unknown[]) => unknown).bind(target);
      return (input: Record<string, unknown>) => {
        before(input ?? {});
        return (value as (i: unknown) => unknown).call(target, input);
      };
    },
  }) as LocalParameterStore;

  const mappings = services.eventSourceMappings;
  const mappingCheck = (action: string, uuid: unknown) => {
    const arn = (typeof uuid === 'string' && mappings?.arnOf(uuid)) || `arn:aws:lambda:${region}:${account}:event-source-mapping:${String(uuid)}`;
    enforce(authorizer, actor, action, [{ action, resource: arn }], () => 'Lambda.AccessDeniedException', (r) => `${r.message}${sdkSuffix('Lambda', 403, 'AccessDeniedException')}`);
  };
  // GetEventSourceMapping and UpdateEventSourceMapping as the state machine's role, on the mapping's ARN.
  const eventSourceMappings =
    mappings &&
    new Proxy(mappings, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        const action = property === 'get' ? 'lambda:GetEventSourceMapping' : property === 'update' ? 'lambda:UpdateEventSourceMapping' : undefined;
        return (...args: unknown[]) => {
          if (action) mappingCheck(action, args[0]);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });

  return {
    ...services,
    parameters,
    ...(eventSourceMappings ? { eventSourceMappings } : {}),
    findFunction(nameOrArn) {
      const fn = services.findFunction(nameOrArn);
      if (!fn) return fn;
      const arn = nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:lambda:${region}:${account}:function:${nameOrArn}`;
      return {
        path: fn.path,
        invoke: async (payload) => {
          enforce(authorizer, actor, 'lambda:Invoke', [{ action: 'lambda:InvokeFunction', resource: arn }], () => 'Lambda.AWSLambdaException', (r) => `${r.message}${sdkSuffix('AWSLambda', 403, 'AccessDeniedException')}`);
          return fn.invoke(payload);
        },
      };
    },
    async sendMessage(input) {
      const entry = directory.queue(input.QueueUrl, { account, region });
      enforce(
        authorizer,
        actor,
        'sqs:SendMessage',
        [
          { action: 'sqs:SendMessage', resource: entry.arn, resourceAccount: entry.account },
          ...kmsChecks(directory, entry, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', { 'aws:sqs:arn': entry.arn }),
        ],
        // The task prefixes `SQS.`.
        (r) => (r.check.kms ? 'KmsAccessDeniedException' : 'AmazonSQSException'),
        (r) => `${r.message}${sdkSuffix('AmazonSQS', r.check.kms ? 400 : 403, r.check.kms ? 'KMS.AccessDeniedException' : 'AccessDenied')}`,
      );
      return services.sendMessage(input);
    },
    async putEvents(entries: PutEventsEntry[], caller?: BusEnvironment) {
      const environment = caller ?? machine.environment;
      const checks = entries.map((e): IamCheck => {
        const bus = e.EventBusName ?? 'default';
        return { action: 'events:PutEvents', resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${environment.region}:${environment.account}:event-bus/${bus}` };
      });
      enforce(authorizer, actor, 'events:PutEvents', checks, () => 'EventBridge.AmazonEventBridgeException', (r) => `${r.message}${sdkSuffix('AmazonEventBridge', 400, 'AccessDeniedException')}`);
      return services.putEvents(entries, caller);
    },
  };
}

/** One delivery of a rule to a target (or to the target's dead-letter queue). */
export interface RuleDelivery {
  readonly ruleArn: string;
  readonly ruleName: string;
  readonly targetId: string;
  readonly target: { readonly kind: 'queue' | 'stateMachine'; readonly arn: string; readonly url?: string };
  readonly environment: BusEnvironment;
}

/** The error EventBridge records for a target it may not deliver to (its dead-letter `ERROR_CODE`). */
export class DeliveryRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NO_PERMISSIONS';
  }
}

/** Authorizes one rule delivery (throws {@link DeliveryRefused}). */
export function authorizeDelivery(authorizer: IamAuthorizer, directory: ResourceDirectory, delivery: RuleDelivery): void {
  if (!authorizer.active) return;
  const { ruleArn, ruleName, targetId, target, environment } = delivery;
  if (target.kind === 'queue') {
    const actor = authorizer.service('events.amazonaws.com', environment, ruleArn, `events.amazonaws.com (rule ${ruleName})`);
    const entry = directory.queue(target.url ?? target.arn, environment);
    const refusal = authorizer.authorize(actor, 'sqs:SendMessage', [
      { action: 'sqs:SendMessage', resource: entry.arn, resourceAccount: entry.account },
      ...kmsChecks(directory, entry, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', { 'aws:sqs:arn': entry.arn }),
    ]);
    if (refusal) throw new DeliveryRefused(`EventBridge has no permission to send to ${entry.arn}: ${refusal.message}`);
    return;
  }
  const roleArn = authorizer.policies.targetRoles.get(`${ruleArn}|${targetId}`);
  const label = `rule ${ruleName} target ${targetId}`;
  const actor = roleArn === undefined ? undefined : authorizer.roleSession(roleArn, 'local-delivery', label);
  if (!actor) {
    if (roleArn === undefined) {
      const check: IamCheck = { action: 'states:StartExecution', resource: target.arn };
      const reason = 'because the rule target has no RoleArn (a state machine target needs one)';
      authorizer.recordDenial(label, 'states:StartExecution', { check, decision: { allowed: false, reason: 'implicit-deny', policy: 'identity' }, message: `events.amazonaws.com cannot start ${target.arn} ${reason}`, reason });
      if (authorizer.mode === 'enforce') throw new DeliveryRefused(`EventBridge cannot start ${target.arn}: the rule target has no RoleArn`);
    }
    return;
  }
  const refusal = authorizer.authorize(actor, 'states:StartExecution', [{ action: 'states:StartExecution', resource: target.arn }]);
  if (refusal) throw new DeliveryRefused(`EventBridge could not start ${target.arn} with the target's role: ${refusal.message}`);
}
