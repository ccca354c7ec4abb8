/**
 * IAM at the front door, as a function's SDK sees it: a refused call raises the exception the
 * service raises on AWS (name, status, AWS's message), through the SDK's own protocol parsing.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AppPolicies } from '../../../local/iam/app-policies';
import { IamAuthorizer, type IamMode } from '../../../local/iam/authorizer';
import { iamInterceptor } from '../../../local/iam/iam-interceptor';
import type { PolicyStatement } from '../../../local/iam/policy';
import { ResourceDirectory } from '../../../local/iam/resource-directory';
import { CallerRegistry } from '../../../local/services/front-door/callers';
import { startFrontDoor, type FrontDoor } from '../../../local/services/front-door/front-door';
import { startSecretsStandIn, type SecretsStandIn } from '../../../local/services/secrets-stand-in';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Transform`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k-1`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pii-key-local0`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/Transform/transform-fn`;

function policies(statements: PolicyStatement[], extra: Partial<AppPolicies> = {}): AppPolicies {
  return {
    roles: new Map([[ROLE, { arn: ROLE, name: 'Transform', path: 'Pipeline/Transform/Role', account: ACCOUNT, region: REGION, statements, problems: [] }]]),
    functionRoles: new Map(),
    stateMachineRoles: new Map(),
    targetRoles: new Map(),
    resourcePolicies: new Map(),
    keyPolicies: new Map([[KEY, [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }]]]),
    encryption: new Map([
      [queueArn('encrypted'), { keyArn: KEY }],
      [`arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/events`, { keyArn: KEY }],
      [SECRET, { keyArn: KEY }],
    ]),
    notes: [],
    ...extra,
  };
}

const GRANTS: PolicyStatement[] = [
  { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: [queueArn('granted'), queueArn('encrypted')] },
  { Effect: 'Allow', Action: 'kinesis:PutRecords', Resource: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/events` },
  { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET },
  { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } } },
];

let standIn: SecretsStandIn;
let frontDoor: FrontDoor | undefined;
beforeAll(async () => {
  standIn = await startSecretsStandIn([{ name: 'pii-key', arn: SECRET, value: 's3cr3t' }]);
});
afterEach(async () => {
  await frontDoor?.stop();
  frontDoor = undefined;
});
afterAll(() => standIn.stop());

/** A front door whose only working upstream is the secrets stand-in (a refused call never goes further). */
async function start(mode: IamMode, model: AppPolicies) {
  const authorizer = new IamAuthorizer(model, mode);
  const directory = new ResourceDirectory(model.encryption);
  // The app's secret, as a provisioned stack names it (the queues, table and stream are named by ARN alone).
  const none = { buckets: [], queues: [], streams: [], tables: [], eventBuses: [], rules: [], functions: [], eventSourceMappings: [], stateMachines: [], parameters: [], notEmulated: [] };
  directory.addStack({
    resources: { stackName: 'S', ...none, secrets: [{ logicalId: 'Key', path: 'Key', name: 'pii-key' }] },
    refs: { account: ACCOUNT, region: REGION, arnOf: () => SECRET } as never,
    queueUrls: new Map(),
  });
  const callers = new CallerRegistry();
  const credentials = callers.register({ id: 'S/Fn', label: 'Pipeline/Transform/Function', roleArn: ROLE, sessionName: 'transform-fn' });
  const dead = 'http://127.0.0.1:9';
  frontDoor = await startFrontDoor({ upstreams: { sqs: dead, dynamodb: dead, kinesis: dead, secretsmanager: standIn.endpoint }, callers, interceptors: [iamInterceptor(authorizer, directory)] });
  const config = { region: REGION, credentials, maxAttempts: 1 };
  const endpoints = frontDoor.endpoints;
  return {
    authorizer,
    sqs: new SQSClient({ ...config, endpoint: endpoints.sqs }),
    dynamodb: new DynamoDBClient({ ...config, endpoint: endpoints.dynamodb }),
    kinesis: new KinesisClient({ ...config, endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() }),
    secrets: new SecretsManagerClient({ ...config, endpoint: endpoints.secretsmanager }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be refused');
}

describe('a refused call fails in the SDK as on AWS', () => {
  it('SQS: AccessDenied (403); an encrypted queue without the key permission: KmsAccessDenied', async () => {
    const { sqs, authorizer } = await start('enforce', policies(GRANTS.filter((s) => s.Action !== 'kms:Decrypt')));
    const denied = await rejection(sqs.send(new SendMessageCommand({ QueueUrl: 'http://127.0.0.1:9/000000000000/other', MessageBody: 'x' })));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    expect(denied.message).toBe(
      `User: ${SESSION} is not authorized to perform: sqs:SendMessage on resource: ${queueArn('other')} because no identity-based policy allows the sqs:SendMessage action`,
    );
    // GenerateDataKey is allowed by no statement: the queue's KMS key refuses.
    const kms = await rejection(sqs.send(new SendMessageCommand({ QueueUrl: 'http://127.0.0.1:9/000000000000/encrypted', MessageBody: 'x' })));
    expect(kms.name).toBe('KmsAccessDenied');
    expect(kms.message).toMatch(/not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:123456789012:key\/k-1/);
    expect(authorizer.report().denied).toEqual([
      expect.objectContaining({ caller: 'Pipeline/Transform/Function', action: 'kms:GenerateDataKey', resource: KEY, count: 1, operations: ['sqs:SendMessage'], enforced: true }),
      expect.objectContaining({ caller: 'Pipeline/Transform/Function', action: 'sqs:SendMessage', resource: queueArn('other'), count: 1 }),
    ]);
  });

  it('DynamoDB: AccessDeniedException (400); Kinesis without the key: KMSAccessDeniedException', async () => {
    const { dynamodb, kinesis } = await start('enforce', policies(GRANTS));
    const denied = await rejection(dynamodb.send(new PutItemCommand({ TableName: 'claims', Item: { id: { S: '1' } } })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata?.httpStatusCode).toBe(400);
    expect(denied.message).toMatch(/not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table\/claims because no identity-based policy/);
    const kms = await rejection(kinesis.send(new PutRecordsCommand({ StreamName: 'events', Records: [{ Data: Buffer.from('x'), PartitionKey: 'p' }] })));
    expect(kms.name).toBe('KMSAccessDeniedException');
  });

  it('Secrets Manager: allowed through the key only via Secrets Manager; an explicit Deny of the secret policy wins', async () => {
    const allowed = await start('enforce', policies(GRANTS));
    expect((await allowed.secrets.send(new GetSecretValueCommand({ SecretId: 'pii-key' }))).SecretString).toBe('s3cr3t');
    await frontDoor?.stop();

    const denyOthers: PolicyStatement = {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/Other` } },
    };
    const { secrets } = await start('enforce', policies(GRANTS, { resourcePolicies: new Map([[SECRET, [denyOthers]]]) }));
    const denied = await rejection(secrets.send(new GetSecretValueCommand({ SecretId: SECRET })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toMatch(/secretsmanager:GetSecretValue on resource: .* with an explicit deny in a resource-based policy$/);
    await frontDoor?.stop();

    const withoutKey = await start('enforce', policies(GRANTS.filter((s) => s.Action !== 'kms:Decrypt')));
    const kms = await rejection(withoutKey.secrets.send(new GetSecretValueCommand({ SecretId: 'pii-key' })));
    expect(kms.name).toBe('AccessDeniedException');
    expect(kms.message).toMatch(/^Access to KMS is not allowed\. .*kms:Decrypt/);
  });

  it('a policy the evaluator cannot read refuses the call and says why', async () => {
    const odd: PolicyStatement = { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*', Condition: { StringSoundsLike: { k: 'v' } } };
    const { dynamodb } = await start('enforce', policies([odd]));
    const denied = await rejection(dynamodb.send(new PutItemCommand({ TableName: 'claims', Item: { id: { S: '1' } } })));
    expect(denied.message).toMatch(/because the local run cannot evaluate a policy that applies: condition operator StringSoundsLike is not modelled/);
  });
});

describe('modes and what is not checked', () => {
  it('report: the refused call goes through and is listed, not enforced', async () => {
    const { secrets, authorizer } = await start('report', policies([]));
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'pii-key' }))).SecretString).toBe('s3cr3t');
    expect(authorizer.report()).toMatchObject({
      mode: 'report',
      denied: [{ caller: 'Pipeline/Transform/Function', action: 'secretsmanager:GetSecretValue', resource: SECRET, count: 1, enforced: false }],
    });
  });

  it("the runner's own clients (no registered key) are not checked; an operation without an IAM mapping is listed", async () => {
    const { authorizer } = await start('enforce', policies([]));
    const runner = new SecretsManagerClient({ region: REGION, endpoint: frontDoor!.endpoints.secretsmanager, credentials: { accessKeyId: 'AKIARUNNER', secretAccessKey: 'x' } });
    expect((await runner.send(new GetSecretValueCommand({ SecretId: 'pii-key' }))).SecretString).toBe('s3cr3t');
    const caller = new SecretsManagerClient({ region: REGION, endpoint: frontDoor!.endpoints.secretsmanager, credentials: { accessKeyId: 'AKIALOCAL00000000001', secretAccessKey: 'x' } });
    // ListSecrets names no secret: not mapped, let through (the stand-in refuses it itself).
    await caller.send(new ListSecretsCommand({})).catch(() => undefined);
    expect(authorizer.report().unmapped).toEqual([expect.objectContaining({ caller: 'Pipeline/Transform/Function', operation: 'secretsmanager:ListSecrets', count: 1 })]);
    expect(authorizer.report().denied).toEqual([]);
  });
});
