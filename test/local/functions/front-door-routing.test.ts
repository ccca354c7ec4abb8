/**
 * A function's SQS calls by QueueUrl reach the front door like every other call: the AWS SDK sends
 * them to the QueueUrl's host (`sqs.<region>.localhost:<emulator port>`), and the worker addresses
 * such hosts to the service's front door endpoint, so IAM enforcement sees (and refuses) them.
 */
import * as path from 'node:path';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { FunctionHost } from '../../../local/functions/function-host';
import { IamAuthorizer } from '../../../local/iam/authorizer';
import { iamInterceptor } from '../../../local/iam/iam-interceptor';
import { ResourceDirectory } from '../../../local/iam/resource-directory';
import { startEmulators, type Emulators } from '../../../local/services/emulators';
import { CallerRegistry } from '../../../local/services/front-door/callers';
import { startFrontDoor, type FrontDoor } from '../../../local/services/front-door/front-door';
import { ROOT } from '../../support/cdk';

jest.setTimeout(60_000);

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/MergeSteps`;
const LABEL = 'Pipeline/CurrentTable/Steps';

let emulators: Emulators;
let frontDoor: FrontDoor;
let host: FunctionHost;
afterAll(async () => {
  await host?.stop();
  await frontDoor?.stop();
  await emulators?.stop();
});

test('send and receive by QueueUrl pass the front door; a DeleteMessage the role does not allow is refused with AccessDenied', async () => {
  emulators = await startEmulators({ services: ['sqs'] });
  const queueUrl = (await emulators.clients.sqs().send(new CreateQueueCommand({ QueueName: 'merge-queue' }))).QueueUrl as string;
  // The emulator's URL: a host under localhost on the emulator's own port, which the SDK calls directly.
  expect(new URL(queueUrl).hostname).toBe(`sqs.${REGION}.localhost`);
  const role = {
    arn: ROLE,
    name: 'MergeSteps',
    path: 'Pipeline/CurrentTable/Steps/ServiceRole',
    account: ACCOUNT,
    region: REGION,
    statements: [{ Effect: 'Allow' as const, Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'], Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:merge-queue` }],
    problems: [],
  };
  const empty = () => new Map();
  const authorizer = new IamAuthorizer(
    { roles: new Map([[ROLE, role]]), functionRoles: empty(), stateMachineRoles: empty(), targetRoles: empty(), resourcePolicies: empty(), keyPolicies: empty(), encryption: empty(), notes: [] },
    'enforce',
  );
  const callers = new CallerRegistry();
  const credentials = callers.register({ id: 'S/Steps', label: LABEL, roleArn: ROLE, sessionName: 'steps' });
  frontDoor = await startFrontDoor({ upstreams: { sqs: emulators.endpoints.sqs }, callers, interceptors: [iamInterceptor(authorizer, new ResourceDirectory())] });
  host = await FunctionHost.start({
    file: path.join(__dirname, '..', 'fixtures', 'sqs-by-queue-url.js'),
    exportName: 'handler',
    functionName: 'steps',
    functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:steps`,
    memorySize: 128,
    timeoutSeconds: 30,
    env: { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, ...frontDoor.env },
    extraNodePaths: [path.join(ROOT, 'node_modules')],
  });

  const result = (await host.invoke({ queueUrl })) as { received: number; deleted: boolean; error?: string; message?: string };
  expect(result).toEqual(expect.objectContaining({ received: 1, deleted: false, error: 'AccessDenied' }));
  expect(result.message).toMatch(/is not authorized to perform: sqs:DeleteMessage on resource: arn:aws:sqs:us-east-1:123456789012:merge-queue/);
  expect(Object.fromEntries(frontDoor.calls.get(LABEL) ?? [])).toEqual({ 'sqs:SendMessage': 1, 'sqs:ReceiveMessage': 1, 'sqs:DeleteMessage': 1 });
  expect(authorizer.report().denied).toEqual([expect.objectContaining({ caller: LABEL, action: 'sqs:DeleteMessage', count: 1, enforced: true })]);
});
