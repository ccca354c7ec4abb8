/**
 * The front door reads requests as the SDK v3 clients of this project send them: S3 path-style
 * REST (operation from `x-id` or method and subresource), SQS's JSON protocol (`X-Amz-Target:
 * AmazonSQS.*`), DynamoDB's and Kinesis's and Secrets Manager's JSON protocols; the caller by the
 * access key id of the SigV4 signature.
 */
import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CopyObjectCommand, DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsRequest } from '../../../../local/services/front-door/aws-request';
import { CallerRegistry } from '../../../../local/services/front-door/callers';
import { startFrontDoor, type FrontDoor } from '../../../../local/services/front-door/front-door';

let frontDoor: FrontDoor;
const seen: Array<AwsRequest & { caller?: string }> = [];
const callers = new CallerRegistry();
const credentials = callers.register({ id: 'S/Fn', label: 'Fn' });

beforeAll(async () => {
  const dead = 'http://127.0.0.1:9';
  frontDoor = await startFrontDoor({
    upstreams: { s3: dead, sqs: dead, dynamodb: dead, kinesis: dead, secretsmanager: dead },
    callers,
    // Record and answer 500: the request is what is under test.
    interceptors: [{ name: 'probe', beforeRequest: (request, { caller }) => (seen.push({ ...request, caller: caller?.label }), { status: 500, headers: {}, body: '' }) }],
  });
});
afterAll(() => frontDoor.stop());

async function sent(send: () => Promise<unknown>): Promise<AwsRequest & { caller?: string }> {
  seen.length = 0;
  await send().catch(() => undefined);
  expect(seen).toHaveLength(1);
  return seen[0];
}
const config = () => ({ region: 'eu-west-1', credentials, maxAttempts: 1 });

describe('requests as SDK v3 sends them', () => {
  it('S3: path-style, the operation from x-id or the subresource, bucket and key decoded', async () => {
    const s3 = new S3Client({ ...config(), endpoint: frontDoor.endpoints.s3, forcePathStyle: true });
    expect(await sent(() => s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'a/b c.json', Body: 'x' })))).toMatchObject({
      service: 's3',
      operation: 'PutObject',
      caller: 'Fn',
      accessKeyId: credentials.accessKeyId,
      s3: { bucket: 'b', key: 'a/b c.json' },
    });
    expect((await sent(() => s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' })))).operation).toBe('HeadObject');
    const list = await sent(() => s3.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'p/' })));
    expect(list.operation).toBe('ListObjectsV2');
    expect(list.s3?.query.get('prefix')).toBe('p/');
    const copy = await sent(() => s3.send(new CopyObjectCommand({ Bucket: 'b', Key: 'dst', CopySource: 'src/a%20b' })));
    expect(copy.operation).toBe('CopyObject');
    expect(copy.headers['x-amz-copy-source']).toBe('src/a%20b');
    const batch = await sent(() => s3.send(new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'k1' }] } })));
    expect(batch.operation).toBe('DeleteObjects');
    expect(batch.body.toString('utf8')).toContain('<Key>k1</Key>');
  });

  it('SQS uses the JSON protocol (X-Amz-Target), not the query protocol', async () => {
    const sqs = new SQSClient({ ...config(), endpoint: frontDoor.endpoints.sqs });
    const request = await sent(() => sqs.send(new SendMessageBatchCommand({ QueueUrl: 'http://q/1/dlq', Entries: [{ Id: '1', MessageBody: 'x' }] })));
    expect(request).toMatchObject({ service: 'sqs', operation: 'SendMessageBatch', params: { QueueUrl: 'http://q/1/dlq' } });
    expect(request.headers['x-amz-target']).toBe('AmazonSQS.SendMessageBatch');
  });

  it('DynamoDB, Kinesis (with an HTTP/1.1 handler) and Secrets Manager: JSON protocols', async () => {
    const dynamodb = new DynamoDBClient({ ...config(), endpoint: frontDoor.endpoints.dynamodb });
    expect(await sent(() => dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 't', Item: { id: { S: '1' } } } }] })))).toMatchObject({
      operation: 'TransactWriteItems',
      params: { TransactItems: [{ Put: { TableName: 't' } }] },
    });
    // The Kinesis client's default handler speaks HTTP/2, which the local endpoints do not.
    const kinesis = new KinesisClient({ ...config(), endpoint: frontDoor.endpoints.kinesis, requestHandler: new NodeHttpHandler() });
    expect(await sent(() => kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: [{ Data: Buffer.from('x'), PartitionKey: 'p' }] })))).toMatchObject({
      operation: 'PutRecords',
      params: { StreamName: 's' },
    });
    const secrets = new SecretsManagerClient({ ...config(), endpoint: frontDoor.endpoints.secretsmanager });
    expect(await sent(() => secrets.send(new GetSecretValueCommand({ SecretId: 'k' })))).toMatchObject({ operation: 'GetSecretValue', params: { SecretId: 'k' } });
  });
});
