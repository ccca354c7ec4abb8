/**
 * The calls the run makes for AWS services, authorized as the principal AWS uses: an event source
 * mapping polls as the function's role, a state machine's tasks run as its role, a rule delivers
 * to a queue as events.amazonaws.com (the queue policy decides) and to a state machine as the
 * target's role.
 */
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AppPolicies, IamRole } from '../../../local/iam/app-policies';
import { IamAuthorizer } from '../../../local/iam/authorizer';
import { authorizeDelivery, guardTaskServices, isRefusal, mappingClients } from '../../../local/iam/in-process';
import type { PolicyStatement } from '../../../local/iam/policy';
import { ResourceDirectory } from '../../../local/iam/resource-directory';
import { LocalParameterStore } from '../../../local/services/parameter-store';
import type { TaskServices } from '../../../local/services/state-machine';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ENV = { account: ACCOUNT, region: REGION };
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k`;
const STREAM = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/events`;
const FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:transform`;
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:batch`;
const RULE = `arn:aws:events:${REGION}:${ACCOUNT}:rule/bus/ingest`;
const queue = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const role = (name: string, statements: PolicyStatement[]): [string, IamRole] => [roleArn(name), { arn: roleArn(name), name, path: name, account: ACCOUNT, region: REGION, statements, problems: [] }];

function model(roles: Array<[string, IamRole]>, extra: Partial<AppPolicies> = {}): AppPolicies {
  return {
    roles: new Map(roles),
    functionRoles: new Map([[FUNCTION, roleArn('Transform')]]),
    stateMachineRoles: new Map([[MACHINE, roleArn('Machine')]]),
    targetRoles: new Map([[`${RULE}|Start`, roleArn('Events')]]),
    resourcePolicies: new Map([
      [queue('buffer'), [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queue('buffer'), Condition: { ArnEquals: { 'aws:SourceArn': RULE } } }]],
    ]),
    keyPolicies: new Map([[KEY, [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }]]]),
    encryption: new Map([[STREAM, { keyArn: KEY }]]),
    notes: [],
    ...extra,
  };
}

/** Clients whose `send` only records what reached it. */
function recordingClients() {
  const sent: string[] = [];
  const fake = <T>(client: T) => Object.assign(client as object, { send: async (command: object) => void sent.push(command.constructor.name) }) as T;
  return { sent, clients: { kinesis: fake(new KinesisClient({ region: REGION })), sqs: fake(new SQSClient({ region: REGION })) } };
}

describe('event source mappings poll as the function role', () => {
  const reader: PolicyStatement = { Effect: 'Allow', Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'], Resource: STREAM };
  const decrypt: PolicyStatement = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY };

  it('reads an encrypted stream with the Kinesis actions Lambda documents and kms:Decrypt', async () => {
    const authorizer = new IamAuthorizer(model([role('Transform', [reader, decrypt])]), 'enforce');
    const { sent, clients } = recordingClients();
    const polling = mappingClients(authorizer, new ResourceDirectory(authorizer.policies.encryption), FUNCTION, 'transform', 'Transform/Kinesis (event source mapping)', clients);
    await polling.kinesis.send(new ListShardsCommand({ StreamName: 'events' }));
    await polling.kinesis.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: 's', ShardIteratorType: 'TRIM_HORIZON' }));
    await polling.kinesis.send(new GetRecordsCommand({ ShardIterator: 'i' }));
    expect(sent).toEqual(['ListShardsCommand', 'GetShardIteratorCommand', 'GetRecordsCommand']);
    expect(authorizer.report().checkedActions).toEqual({
      'kinesis:DescribeStream': 1,
      'kinesis:DescribeStreamSummary': 1,
      'kinesis:GetRecords': 1,
      'kinesis:GetShardIterator': 1,
      'kinesis:ListShards': 1,
      'kms:Decrypt': 1,
    });
  });

  it('a refused GetRecords (no kms:Decrypt) never reaches the stream and is a refusal the drain ends on', async () => {
    const authorizer = new IamAuthorizer(model([role('Transform', [reader])]), 'enforce');
    const { sent, clients } = recordingClients();
    const polling = mappingClients(authorizer, new ResourceDirectory(authorizer.policies.encryption), FUNCTION, 'transform', 'mapping', clients);
    await polling.kinesis.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: 's', ShardIteratorType: 'TRIM_HORIZON' }));
    const error = await polling.kinesis.send(new GetRecordsCommand({ ShardIterator: 'i' })).catch((e: unknown) => e);
    expect(isRefusal(error)).toBe(true);
    expect((error as Error).name).toBe('KMSAccessDeniedException');
    expect(sent).toEqual(['GetShardIteratorCommand']);
    expect(authorizer.report().denied).toEqual([expect.objectContaining({ caller: 'mapping', action: 'kms:Decrypt', resource: KEY, operations: ['kinesis:GetRecords'] })]);
  });

  it('SQS: ReceiveMessage needs its grant; changing visibility (the local stand-in for the timeout) is not a call Lambda makes', async () => {
    const authorizer = new IamAuthorizer(model([role('Transform', [])]), 'enforce');
    const { sent, clients } = recordingClients();
    const polling = mappingClients(authorizer, new ResourceDirectory(), FUNCTION, 'transform', 'mapping', clients);
    await polling.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: 'http://x/1/buffer', Entries: [] }));
    const error = await polling.sqs.send(new ReceiveMessageCommand({ QueueUrl: 'http://x/1/buffer' })).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AccessDenied');
    expect(sent).toEqual(['ChangeMessageVisibilityBatchCommand']);
  });
});

describe('state machine tasks run as its role', () => {
  const invoked: string[] = [];
  const services: TaskServices = {
    findFunction: (name) => ({ path: 'Transform', invoke: async () => void invoked.push(name) }),
    parameters: new LocalParameterStore(ACCOUNT, REGION),
    sendMessage: async () => ({ MessageId: '1' }),
    putEvents: async () => ({ entries: [], failedEntryCount: 0, delivered: 0, deadLettered: 0, unmatched: 0 }),
  };
  services.parameters.seed('/app/paused', 'String', 'false');
  const machine = { arn: MACHINE, path: 'Batch/StateMachine', environment: ENV };

  it('invokes a function by its qualified ARN when the role may; refuses as Lambda.AWSLambdaException otherwise', async () => {
    const authorizer = new IamAuthorizer(model([role('Machine', [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [FUNCTION, `${FUNCTION}:*`] }])]), 'enforce');
    const guarded = guardTaskServices(authorizer, new ResourceDirectory(), machine, services);
    await guarded.findFunction(`${FUNCTION}:live`)!.invoke({});
    expect(invoked).toEqual([`${FUNCTION}:live`]);
    const other = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other`;
    const error = (await guarded.findFunction(other)!.invoke({}).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('Lambda.AWSLambdaException');
    expect(error.message).toMatch(
      /^User: arn:aws:sts::123456789012:assumed-role\/Machine\/local-execution is not authorized to perform: lambda:InvokeFunction on resource: .*function:other because no identity-based policy allows the lambda:InvokeFunction action \(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException/,
    );
  });

  it('SSM, SQS and EventBridge tasks: refused as Step Functions reports them', async () => {
    const authorizer = new IamAuthorizer(model([role('Machine', [{ Effect: 'Allow', Action: 'ssm:getParameter', Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/paused` }])]), 'enforce');
    const guarded = guardTaskServices(authorizer, new ResourceDirectory(), machine, services);
    expect(guarded.parameters.getParameter({ Name: '/app/paused' }).Parameter.Value).toBe('false');
    expect(() => guarded.parameters.putParameter({ Name: '/app/paused', Value: 'true', Overwrite: true })).toThrow(expect.objectContaining({ name: 'Ssm.SsmException' }));
    await expect(guarded.sendMessage({ QueueUrl: 'http://x/1/dlq', MessageBody: '{}' })).rejects.toMatchObject({ name: 'AmazonSQSException' });
    await expect(guarded.putEvents([{ Source: 's', DetailType: 'd', Detail: '{}' }])).rejects.toMatchObject({
      name: 'EventBridge.AmazonEventBridgeException',
      message: expect.stringContaining(`events:PutEvents on resource: arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`),
    });
    expect(services.parameters.valueOf('/app/paused')).toBe('false');
  });
});

describe('rule deliveries', () => {
  const delivery = (ruleArn: string, target: { kind: 'queue' | 'stateMachine'; arn: string }, targetId = 'Start') => ({ ruleArn, ruleName: 'ingest', targetId, target, environment: ENV });

  it('to a queue: as events.amazonaws.com, allowed by a queue policy scoped to the rule (aws:SourceArn)', () => {
    const authorizer = new IamAuthorizer(model([]), 'enforce');
    const directory = new ResourceDirectory();
    expect(() => authorizeDelivery(authorizer, directory, delivery(RULE, { kind: 'queue', arn: queue('buffer') }))).not.toThrow();
    expect(() => authorizeDelivery(authorizer, directory, delivery(`${RULE}-other`, { kind: 'queue', arn: queue('buffer') }))).toThrow(expect.objectContaining({ name: 'NO_PERMISSIONS' }));
    expect(authorizer.report().denied).toEqual([
      expect.objectContaining({ caller: 'events.amazonaws.com (rule ingest)', action: 'sqs:SendMessage', reason: 'because no resource-based policy allows the sqs:SendMessage action' }),
    ]);
  });

  it("to a state machine: with the target's role (states:StartExecution); a target without a RoleArn cannot start it", () => {
    const start: PolicyStatement = { Effect: 'Allow', Action: 'states:StartExecution', Resource: MACHINE };
    const authorizer = new IamAuthorizer(model([role('Events', [start])]), 'enforce');
    const directory = new ResourceDirectory();
    expect(() => authorizeDelivery(authorizer, directory, delivery(RULE, { kind: 'stateMachine', arn: MACHINE }))).not.toThrow();
    expect(() => authorizeDelivery(authorizer, directory, delivery(RULE, { kind: 'stateMachine', arn: `${MACHINE}-2` }))).toThrow(/could not start .*batch-2 with the target's role/);
    expect(() => authorizeDelivery(authorizer, directory, delivery(RULE, { kind: 'stateMachine', arn: MACHINE }, 'NoRole'))).toThrow(/the rule target has no RoleArn/);
    expect(authorizer.report().denied.map((d) => `${d.caller} ${d.action} ${d.resource}`)).toEqual([
      `rule ingest target NoRole states:StartExecution ${MACHINE}`,
      `rule ingest target Start states:StartExecution ${MACHINE}-2`,
    ]);
  });

  it('report mode lets the delivery through and lists it', () => {
    const authorizer = new IamAuthorizer(model([]), 'report');
    expect(() => authorizeDelivery(authorizer, new ResourceDirectory(), delivery(`${RULE}-other`, { kind: 'queue', arn: queue('buffer') }))).not.toThrow();
    expect(authorizer.report().denied).toEqual([expect.objectContaining({ enforced: false })]);
  });
});
