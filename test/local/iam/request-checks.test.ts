import { parseAwsRequest, type FrontDoorService } from '../../../local/services/front-door/aws-request';
import { requestChecks } from '../../../local/iam/request-checks';
import { ResourceDirectory } from '../../../local/iam/resource-directory';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const CALLER = { account: ACCOUNT, region: REGION };
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k-1`;

/** A directory with an encrypted bucket (Bucket Key), an encrypted queue, stream and secret, and plain ones. */
const directory = new ResourceDirectory(
  new Map([
    ['arn:aws:s3:::curated', { keyArn: KEY, bucketKey: true }],
    ['arn:aws:s3:::raw', { keyArn: KEY }],
    [`arn:aws:sqs:${REGION}:${ACCOUNT}:dlq`, { keyArn: KEY }],
    [`arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/events`, { keyArn: KEY }],
    [`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pii-key-local0`, { keyArn: KEY }],
  ]),
);
directory.addStack({
  resources: {
    stackName: 'S',
    buckets: [],
    queues: [{ logicalId: 'Dlq', path: 'Dlq', name: 'dlq', fifo: false, attributes: {} }],
    streams: [],
    tables: [],
    eventBuses: [],
    rules: [],
    secrets: [{ logicalId: 'Key', path: 'Key', name: 'pii-key' }],
    functions: [],
    eventSourceMappings: [],
    stateMachines: [],
    parameters: [],
    notEmulated: [],
  },
  refs: {
    account: ACCOUNT,
    region: REGION,
    arnOf: (id: string) => (id === 'Dlq' ? `arn:aws:sqs:${REGION}:${ACCOUNT}:dlq` : `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pii-key-local0`),
  } as never,
  queueUrls: new Map([['Dlq', 'http://127.0.0.1:4566/000000000000/dlq']]),
});

const S3_HEADERS = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIALOCAL00000000001/20261207/eu-west-1/s3/aws4_request' };
function s3(method: string, url: string, headers: Record<string, string> = {}, body = '') {
  return requestChecks(parseAwsRequest('s3', method, url, { ...S3_HEADERS, ...headers }, Buffer.from(body)), directory, CALLER);
}
function json(service: FrontDoorService, target: string, params: Record<string, unknown>, iterators?: Map<string, string>) {
  return requestChecks(parseAwsRequest(service, 'POST', '/', { 'x-amz-target': target }, Buffer.from(JSON.stringify(params))), directory, CALLER, iterators);
}
const actions = (mapped: ReturnType<typeof s3>) => mapped.checks.map((c) => `${c.action} ${c.resource}`);

describe('S3 requests → IAM actions, resources and condition keys', () => {
  it('PutObject needs s3:PutObject on the object and kms:GenerateDataKey of the default key, with the Bucket Key context', () => {
    const mapped = s3('PUT', '/curated/clickstream/a%20b.json?x-id=PutObject');
    expect(actions(mapped)).toEqual(['s3:PutObject arn:aws:s3:::curated/clickstream/a b.json', `kms:GenerateDataKey ${KEY}`]);
    expect(mapped.checks[1]).toMatchObject({
      kms: true,
      context: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::curated' },
    });
    expect(mapped.checks[0].context).toMatchObject({ 's3:TlsVersion': '1.3' });
    // Without a Bucket Key the encryption context is the object's ARN; tagging needs its own permission.
    const tagged = s3('PUT', '/raw/batch/x.jsonl?x-id=PutObject', { 'x-amz-tagging': 'k=v' });
    expect(actions(tagged)).toEqual(['s3:PutObject arn:aws:s3:::raw/batch/x.jsonl', 's3:PutObjectTagging arn:aws:s3:::raw/batch/x.jsonl', `kms:GenerateDataKey ${KEY}`]);
    expect(tagged.checks[2].context).toMatchObject({ 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::raw/batch/x.jsonl' });
    // An SSE-S3 write needs no key; a named key is the one checked.
    expect(actions(s3('PUT', '/raw/k?x-id=PutObject', { 'x-amz-server-side-encryption': 'AES256' }))).toEqual(['s3:PutObject arn:aws:s3:::raw/k']);
    expect(actions(s3('PUT', '/plain/k?x-id=PutObject', { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'other' }))).toEqual([
      's3:PutObject arn:aws:s3:::plain/k',
      `kms:GenerateDataKey arn:aws:kms:${REGION}:${ACCOUNT}:key/other`,
    ]);
  });

  it('GetObject reads with kms:Decrypt; HeadObject needs s3:GetObject only; versions have their own actions', () => {
    expect(actions(s3('GET', '/curated/clickstream/a.json?x-id=GetObject'))).toEqual(['s3:GetObject arn:aws:s3:::curated/clickstream/a.json', `kms:Decrypt ${KEY}`]);
    expect(actions(s3('HEAD', '/curated/clickstream/a.json'))).toEqual(['s3:GetObject arn:aws:s3:::curated/clickstream/a.json']);
    expect(actions(s3('GET', '/plain/a?versionId=3&x-id=GetObject'))).toEqual(['s3:GetObjectVersion arn:aws:s3:::plain/a']);
    expect(actions(s3('DELETE', '/plain/a?x-id=DeleteObject'))).toEqual(['s3:DeleteObject arn:aws:s3:::plain/a']);
  });

  it('ListObjectsV2 needs s3:ListBucket on the bucket with s3:prefix and s3:delimiter', () => {
    const mapped = s3('GET', '/curated/?list-type=2&prefix=clickstream%2Fdt%3D1%2F&delimiter=%2F');
    expect(actions(mapped)).toEqual(['s3:ListBucket arn:aws:s3:::curated']);
    expect(mapped.checks[0].context).toMatchObject({ 's3:prefix': 'clickstream/dt=1/', 's3:delimiter': '/' });
    expect(actions(s3('HEAD', '/curated'))).toEqual(['s3:ListBucket arn:aws:s3:::curated']);
  });

  it('CopyObject reads the source (and decrypts it) and writes the target (and encrypts it)', () => {
    const mapped = s3('PUT', '/curated/clickstream/b.json?x-id=CopyObject', { 'x-amz-copy-source': 'raw/batch/a%20b.jsonl?versionId=7' });
    expect(actions(mapped)).toEqual([
      's3:GetObjectVersion arn:aws:s3:::raw/batch/a b.jsonl',
      's3:PutObject arn:aws:s3:::curated/clickstream/b.json',
      `kms:Decrypt ${KEY}`,
      `kms:GenerateDataKey ${KEY}`,
    ]);
    expect(mapped.checks[2].context).toMatchObject({ 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::raw/batch/a b.jsonl' });
    expect(mapped.checks[3].context).toMatchObject({ 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::curated' });
  });

  it('DeleteObjects needs s3:DeleteObject for each key of its body; tagging and multipart operations have theirs', () => {
    const body = '<Delete><Object><Key>k1</Key></Object><Object><Key>a&amp;b</Key></Object></Delete>';
    expect(actions(s3('POST', '/plain/?delete=', {}, body))).toEqual(['s3:DeleteObject arn:aws:s3:::plain/k1', 's3:DeleteObject arn:aws:s3:::plain/a&b']);
    expect(actions(s3('PUT', '/plain/k?tagging='))).toEqual(['s3:PutObjectTagging arn:aws:s3:::plain/k']);
    expect(actions(s3('POST', '/raw/k?uploads=&x-id=CreateMultipartUpload'))).toEqual(['s3:PutObject arn:aws:s3:::raw/k', `kms:GenerateDataKey ${KEY}`]);
    expect(actions(s3('PUT', '/raw/k?partNumber=2&uploadId=u&x-id=UploadPart'))).toEqual(['s3:PutObject arn:aws:s3:::raw/k', `kms:Decrypt ${KEY}`]);
    expect(actions(s3('GET', '/'))).toEqual(['s3:ListAllMyBuckets *']);
  });

  it('an operation the table does not map is returned as unmapped, never as allowed', () => {
    expect(s3('POST', '/plain/k?select=&select-type=2')).toEqual({ checks: [], unmapped: expect.stringMatching(/not mapped to IAM actions/) });
    expect(s3('GET', '/plain/?website=')).toEqual({ checks: [], unmapped: expect.stringMatching(/GetBucketWebsite is not mapped/) });
  });
});

describe('JSON-protocol requests → IAM actions', () => {
  it('SQS (JSON protocol, X-Amz-Target): batches need the single-message action; an encrypted queue needs KMS', () => {
    const url = 'http://127.0.0.1:4566/000000000000/dlq';
    expect(actions(json('sqs', 'AmazonSQS.SendMessageBatch', { QueueUrl: url, Entries: [] }))).toEqual([
      `sqs:SendMessage arn:aws:sqs:${REGION}:${ACCOUNT}:dlq`,
      `kms:GenerateDataKey ${KEY}`,
      `kms:Decrypt ${KEY}`,
    ]);
    expect(actions(json('sqs', 'AmazonSQS.ReceiveMessage', { QueueUrl: url }))).toEqual([`sqs:ReceiveMessage arn:aws:sqs:${REGION}:${ACCOUNT}:dlq`, `kms:Decrypt ${KEY}`]);
    expect(actions(json('sqs', 'AmazonSQS.DeleteMessageBatch', { QueueUrl: 'http://x/1/other' }))).toEqual([`sqs:DeleteMessage arn:aws:sqs:${REGION}:${ACCOUNT}:other`]);
  });

  it('SQS over the query protocol (Action=) maps the same way', () => {
    const request = parseAwsRequest('sqs', 'POST', '/', {}, Buffer.from('Action=SendMessage&QueueUrl=http%3A%2F%2Fx%2F1%2Fplain&MessageBody=x'));
    expect(actions(requestChecks(request, directory, CALLER))).toEqual([`sqs:SendMessage arn:aws:sqs:${REGION}:${ACCOUNT}:plain`]);
  });

  it('DynamoDB: batch and transaction items per table, indexes as table/<t>/index/<i>, no KMS', () => {
    expect(actions(json('dynamodb', 'DynamoDB_20120810.BatchWriteItem', { RequestItems: { a: [], b: [] } }))).toEqual([
      `dynamodb:BatchWriteItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/a`,
      `dynamodb:BatchWriteItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/b`,
    ]);
    expect(
      actions(
        json('dynamodb', 'DynamoDB_20120810.TransactWriteItems', {
          TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'b' } }, { Update: { TableName: 'a' } }, { Delete: { TableName: 'a' } }],
        }),
      ),
    ).toEqual([
      `dynamodb:PutItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/a`,
      `dynamodb:ConditionCheckItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/b`,
      `dynamodb:UpdateItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/a`,
      `dynamodb:DeleteItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/a`,
    ]);
    expect(actions(json('dynamodb', 'DynamoDB_20120810.Query', { TableName: 'a', IndexName: 'byDate' }))).toEqual([`dynamodb:Query arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/a/index/byDate`]);
    expect(json('dynamodb', 'DynamoDB_20120810.ExecuteStatement', { Statement: 'SELECT 1' }).unmapped).toMatch(/without a TableName/);
  });

  it('Kinesis: PutRecords encrypts, GetRecords (by a shard iterator the run handed out) decrypts', () => {
    expect(actions(json('kinesis', 'Kinesis_20131202.PutRecords', { StreamName: 'events', Records: [] }))).toEqual([
      `kinesis:PutRecords arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/events`,
      `kms:GenerateDataKey ${KEY}`,
    ]);
    const iterators = new Map([['it-1', 'events']]);
    expect(actions(json('kinesis', 'Kinesis_20131202.GetRecords', { ShardIterator: 'it-1' }, iterators))).toEqual([
      `kinesis:GetRecords arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/events`,
      `kms:Decrypt ${KEY}`,
    ]);
    expect(json('kinesis', 'Kinesis_20131202.GetRecords', { ShardIterator: 'unknown' }, iterators).unmapped).toMatch(/shard iterator/);
  });

  it('Secrets Manager: GetSecretValue by name or partial ARN needs kms:Decrypt through Secrets Manager', () => {
    for (const id of ['pii-key', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pii-key`]) {
      const mapped = json('secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: id });
      expect(actions(mapped)).toEqual([`secretsmanager:GetSecretValue arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pii-key-local0`, `kms:Decrypt ${KEY}`]);
      expect(mapped.checks[1].context).toMatchObject({
        'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com',
        'kms:EncryptionContext:SecretARN': `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pii-key-local0`,
      });
    }
  });
});
