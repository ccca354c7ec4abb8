/**
 * What IAM authorizes for each request a function sends: the action(s), the resource ARN(s) and
 * the request's condition keys, as the service's authorization reference lists them, plus the KMS
 * permissions server-side encryption with a customer managed key implies for the caller:
 *
 * - S3 (default encryption `aws:kms` or an `x-amz-server-side-encryption-aws-kms-key-id` header):
 *   writing an object needs `kms:GenerateDataKey`, reading it `kms:Decrypt` (HeadObject reads
 *   metadata only); a copy reads the source and writes the target; multipart parts need
 *   `kms:Decrypt` (S3 decrypts earlier parts);
 * - SQS (`KmsMasterKeyId`): sending needs `kms:GenerateDataKey` and `kms:Decrypt`, receiving
 *   `kms:Decrypt`;
 * - Kinesis (stream encryption): putting records needs `kms:GenerateDataKey`, reading `kms:Decrypt`;
 * - Secrets Manager (`KmsKeyId`): reading the value needs `kms:Decrypt`;
 * - DynamoDB: none. A table's customer managed key is used by DynamoDB through the grant it holds
 *   for the table, not with the caller's permissions.
 *
 * KMS calls made for the caller carry `kms:ViaService` (`<service>.<region>.amazonaws.com`),
 * `kms:CallerAccount` and the service's encryption context (`kms:EncryptionContext:aws:s3:arn`,
 * `...:aws:sqs:arn`, `...:aws:kinesis:arn`, `...:SecretARN`). An operation this table does not
 * map is returned as `unmapped` (the caller reports it; nothing passes unseen).
 */
import type { AwsRequest } from '../services/front-door/aws-request';
import type { CallerEnvironment, DirectoryEntry, ResourceDirectory } from './resource-directory';

/** One authorization a request needs. */
export interface IamCheck {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (besides the caller's global ones). */
  readonly context?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The account owning the resource (when not the caller's). */
  readonly resourceAccount?: string;
  /** A KMS permission the service needs for the caller (evaluated with the key policy). */
  readonly kms?: boolean;
}

/** The authorizations of a request, or why there are none. */
export interface MappedRequest {
  readonly checks: IamCheck[];
  /** Set when the operation is not mapped to IAM actions. */
  readonly unmapped?: string;
}

type Context = Record<string, string | readonly string[] | undefined>;

const onResource = (action: string, entry: DirectoryEntry, context?: Context): IamCheck => ({ action, resource: entry.arn, resourceAccount: entry.account, context });

/** The KMS checks for using `entry`'s customer managed key (none without one). */
export function kmsChecks(
  directory: ResourceDirectory,
  entry: DirectoryEntry,
  actions: readonly string[],
  service: string,
  encryptionContext: Record<string, string>,
  keyArn?: string,
): IamCheck[] {
  const key = keyArn ?? directory.keyOf(entry.arn)?.keyArn;
  if (!key) return [];
  const account = /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(key)?.[1] ?? entry.account;
  const context: Context = {
    // kms:CallerAccount is the caller's: the authorizer adds it.
    'kms:ViaService': `${service}.${entry.region}.amazonaws.com`,
    'aws:ViaAWSService': 'true',
    'kms:EncryptionContextKeys': Object.keys(encryptionContext),
    ...Object.fromEntries(Object.entries(encryptionContext).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])),
  };
  return actions.map((action) => ({ action, resource: key, resourceAccount: account, context, kms: true }));
}

/** The authorizations `request` needs, for a caller in `caller`'s account and region. */
export function requestChecks(request: AwsRequest, directory: ResourceDirectory, caller: CallerEnvironment, iterators?: ReadonlyMap<string, string>): MappedRequest {
  switch (request.service) {
    case 's3':
      return s3Checks(request, directory, caller);
    case 'sqs':
      return sqsChecks(request, directory, caller);
    case 'dynamodb':
      return dynamodbChecks(request, directory, caller);
    case 'kinesis':
      return kinesisChecks(request, directory, caller, iterators);
    case 'secretsmanager':
      return secretsChecks(request, directory, caller);
  }
}

const unmapped = (why: string): MappedRequest => ({ checks: [], unmapped: why });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

// ---- S3 -------------------------------------------------------------------------------------------

/** Object operations: the action, its version variant, and what KMS needs. */
const S3_OBJECT: Record<string, { action: string; versioned?: string; kms?: 'read' | 'write' | 'part' }> = {
  GetObject: { action: 's3:GetObject', versioned: 's3:GetObjectVersion', kms: 'read' },
  HeadObject: { action: 's3:GetObject', versioned: 's3:GetObjectVersion' },
  PutObject: { action: 's3:PutObject', kms: 'write' },
  DeleteObject: { action: 's3:DeleteObject', versioned: 's3:DeleteObjectVersion' },
  GetObjectTagging: { action: 's3:GetObjectTagging', versioned: 's3:GetObjectVersionTagging' },
  PutObjectTagging: { action: 's3:PutObjectTagging', versioned: 's3:PutObjectVersionTagging' },
  DeleteObjectTagging: { action: 's3:DeleteObjectTagging', versioned: 's3:DeleteObjectVersionTagging' },
  GetObjectAcl: { action: 's3:GetObjectAcl', versioned: 's3:GetObjectVersionAcl' },
  CreateMultipartUpload: { action: 's3:PutObject', kms: 'write' },
  UploadPart: { action: 's3:PutObject', kms: 'part' },
  CompleteMultipartUpload: { action: 's3:PutObject' },
  AbortMultipartUpload: { action: 's3:AbortMultipartUpload' },
  ListParts: { action: 's3:ListMultipartUploadParts' },
};

/** Bucket operations and their actions. */
const S3_BUCKET: Record<string, string> = {
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  GetBucketLocation: 's3:GetBucketLocation',
  GetBucketVersioning: 's3:GetBucketVersioning',
  GetBucketTagging: 's3:GetBucketTagging',
  GetBucketPolicy: 's3:GetBucketPolicy',
  GetBucketAcl: 's3:GetBucketAcl',
  GetBucketNotification: 's3:GetBucketNotification',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  CreateBucket: 's3:CreateBucket',
  DeleteBucket: 's3:DeleteBucket',
};

/** S3 condition keys every request has. */
function s3Context(request: AwsRequest): Context {
  const h = request.headers;
  return {
    's3:TlsVersion': '1.3',
    's3:signatureversion': 'AWS4-HMAC-SHA256',
    's3:authType': 'REST-HEADER',
    's3:x-amz-content-sha256': str(h['x-amz-content-sha256']),
    's3:x-amz-server-side-encryption': str(h['x-amz-server-side-encryption']),
    's3:x-amz-server-side-encryption-aws-kms-key-id': str(h['x-amz-server-side-encryption-aws-kms-key-id']),
    's3:x-amz-acl': str(h['x-amz-acl']),
    's3:x-amz-storage-class': str(h['x-amz-storage-class']),
    's3:versionid': request.s3?.query.get('versionId') ?? undefined,
  };
}

/** The key a write is encrypted with: the request's header, else the bucket's default (none for SSE-S3 or an AWS managed key). */
function writeKey(request: AwsRequest, directory: ResourceDirectory, bucket: DirectoryEntry): string | undefined {
  const sse = str(request.headers['x-amz-server-side-encryption']);
  const keyId = str(request.headers['x-amz-server-side-encryption-aws-kms-key-id']);
  if (sse === 'AES256') return undefined;
  if (keyId) return keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${bucket.region}:${bucket.account}:key/${keyId}`;
  if (sse?.startsWith('aws:kms') && !directory.keyOf(bucket.arn)) return undefined;
  return directory.keyOf(bucket.arn)?.keyArn;
}

/** KMS checks of an S3 object encrypted with `keyArn` (none when undefined: SSE-S3 or an AWS managed key). */
function s3Kms(directory: ResourceDirectory, bucket: DirectoryEntry, key: string, actions: string[], keyArn: string | undefined): IamCheck[] {
  if (!keyArn) return [];
  const byBucketKey = directory.keyOf(bucket.arn)?.bucketKey === true;
  return kmsChecks(directory, bucket, actions, 's3', { 'aws:s3:arn': byBucketKey ? bucket.arn : `${bucket.arn}/${key}` }, keyArn);
}

/** The key objects of a bucket were written with: its default encryption key. */
const readKey = (directory: ResourceDirectory, bucket: DirectoryEntry) => directory.keyOf(bucket.arn)?.keyArn;

function s3Checks(request: AwsRequest, directory: ResourceDirectory, caller: CallerEnvironment): MappedRequest {
  const where = request.s3;
  const operation = request.operation;
  if (operation === 'ListBuckets') return { checks: [{ action: 's3:ListAllMyBuckets', resource: '*' }] };
  if (!where?.bucket) return unmapped(`S3 ${operation} without a bucket`);
  const bucket = directory.bucket(where.bucket, caller);
  const context = s3Context(request);
  const objectEntry = (key: string): DirectoryEntry => ({ ...bucket, arn: `${bucket.arn}/${key}` });

  if (operation === 'CopyObject' || operation === 'UploadPartCopy') {
    if (!where.key) return unmapped(`S3 ${operation} without a key`);
    const source = copySource(String(request.headers['x-amz-copy-source'] ?? ''));
    if (!source) return unmapped(`S3 ${operation} with an unreadable x-amz-copy-source`);
    const sourceBucket = directory.bucket(source.bucket, caller);
    const target = objectEntry(where.key);
    return {
      checks: [
        onResource(source.versionId ? 's3:GetObjectVersion' : 's3:GetObject', { ...sourceBucket, arn: `${sourceBucket.arn}/${source.key}` }, context),
        onResource('s3:PutObject', target, { ...context, 's3:x-amz-copy-source': `${source.bucket}/${source.key}` }),
        ...s3Kms(directory, sourceBucket, source.key, ['kms:Decrypt'], readKey(directory, sourceBucket)),
        ...(operation === 'UploadPartCopy' ? s3Kms(directory, bucket, where.key, ['kms:Decrypt'], writeKey(request, directory, bucket)) : []),
        ...(operation === 'CopyObject' ? s3Kms(directory, bucket, where.key, ['kms:GenerateDataKey'], writeKey(request, directory, bucket)) : []),
      ],
    };
  }
  if (operation === 'DeleteObjects') {
    const keys = [...request.body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => xmlText(m[1]));
    if (keys.length === 0) return unmapped('S3 DeleteObjects whose body names no key');
    return { checks: keys.map((k) => onResource('s3:DeleteObject', objectEntry(k), context)) };
  }
  const object = S3_OBJECT[operation];
  if (object) {
    if (!where.key) return unmapped(`S3 ${operation} without a key`);
    const versioned = where.query.has('versionId') && object.versioned;
    const checks: IamCheck[] = [onResource(versioned || object.action, objectEntry(where.key), context)];
    if (operation === 'PutObject' && request.headers['x-amz-tagging']) checks.push(onResource('s3:PutObjectTagging', objectEntry(where.key), context));
    if (operation === 'PutObject' && request.headers['x-amz-acl']) checks.push(onResource('s3:PutObjectAcl', objectEntry(where.key), context));
    if (object.kms === 'read') checks.push(...s3Kms(directory, bucket, where.key, ['kms:Decrypt'], readKey(directory, bucket)));
    if (object.kms === 'write') checks.push(...s3Kms(directory, bucket, where.key, ['kms:GenerateDataKey'], writeKey(request, directory, bucket)));
    if (object.kms === 'part') checks.push(...s3Kms(directory, bucket, where.key, ['kms:Decrypt'], readKey(directory, bucket)));
    return { checks };
  }
  const bucketAction = S3_BUCKET[operation];
  if (bucketAction) {
    const q = where.query;
    const listContext =
      bucketAction === 's3:ListBucket' || bucketAction === 's3:ListBucketVersions'
        ? { 's3:prefix': q.get('prefix') ?? undefined, 's3:delimiter': q.get('delimiter') ?? undefined, 's3:max-keys': q.get('max-keys') ?? undefined }
        : {};
    return { checks: [onResource(bucketAction, bucket, { ...context, ...listContext })] };
  }
  return unmapped(`S3 ${operation} is not mapped to IAM actions by the local run`);
}

/** `x-amz-copy-source` (`bucket/key?versionId=...`, URL-encoded, maybe with a leading slash). */
function copySource(header: string): { bucket: string; key: string; versionId?: string } | undefined {
  const [path, query] = header.replace(/^\//, '').split('?');
  const slash = path.indexOf('/');
  if (slash <= 0) return undefined;
  const versionId = query ? (new URLSearchParams(query).get('versionId') ?? undefined) : undefined;
  return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)), versionId };
}

function xmlText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

// ---- SQS ------------------------------------------------------------------------------------------

const SQS_ACTION: Record<string, string> = {
  SendMessageBatch: 'sqs:SendMessage',
  DeleteMessageBatch: 'sqs:DeleteMessage',
  ChangeMessageVisibilityBatch: 'sqs:ChangeMessageVisibility',
};

function sqsChecks(request: AwsRequest, directory: ResourceDirectory, caller: CallerEnvironment): MappedRequest {
  const op = request.operation;
  const params = request.params;
  if (op === 'ListQueues') return { checks: [{ action: 'sqs:ListQueues', resource: `arn:aws:sqs:${caller.region}:${caller.account}:*` }] };
  const queueRef = str(params.QueueUrl) ?? (op === 'GetQueueUrl' || op === 'CreateQueue' ? str(params.QueueName) : undefined);
  if (!op) return unmapped('an SQS request without an operation');
  if (!queueRef) return unmapped(`SQS ${op} without a QueueUrl`);
  const queue = directory.queue(queueRef, caller);
  const checks = [onResource(SQS_ACTION[op] ?? `sqs:${op}`, queue)];
  const encryption = { 'aws:sqs:arn': queue.arn };
  if (op === 'SendMessage' || op === 'SendMessageBatch') checks.push(...kmsChecks(directory, queue, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', encryption));
  if (op === 'ReceiveMessage') checks.push(...kmsChecks(directory, queue, ['kms:Decrypt'], 'sqs', encryption));
  return { checks };
}

// ---- DynamoDB -------------------------------------------------------------------------------------

const TRANSACT_ACTION: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };

function dynamodbChecks(request: AwsRequest, directory: ResourceDirectory, caller: CallerEnvironment): MappedRequest {
  const op = request.operation;
  const params = request.params;
  const table = (name: string) => directory.table(name, caller);
  if (op === 'BatchGetItem' || op === 'BatchWriteItem') {
    const tables = Object.keys((params.RequestItems ?? {}) as Record<string, unknown>);
    if (tables.length === 0) return unmapped(`DynamoDB ${op} without RequestItems`);
    return { checks: tables.map((t) => onResource(`dynamodb:${op}`, table(t))) };
  }
  if (op === 'TransactWriteItems' || op === 'TransactGetItems') {
    const items = (params.TransactItems ?? []) as Array<Record<string, { TableName?: unknown }>>;
    const checks = items.flatMap((item) =>
      Object.entries(item).flatMap(([kind, body]) => (TRANSACT_ACTION[kind] && str(body?.TableName) ? [onResource(`dynamodb:${TRANSACT_ACTION[kind]}`, table(String(body.TableName)))] : [])),
    );
    if (checks.length === 0) return unmapped(`DynamoDB ${op} without TransactItems`);
    return { checks };
  }
  if (op === 'ListTables') return { checks: [{ action: 'dynamodb:ListTables', resource: '*' }] };
  const name = str(params.TableName);
  if (!name) return unmapped(`DynamoDB ${op} without a TableName`);
  const entry = table(name);
  const index = str(params.IndexName);
  return { checks: [onResource(`dynamodb:${op}`, index ? { ...entry, arn: `${entry.arn}/index/${index}` } : entry)] };
}

// ---- Kinesis --------------------------------------------------------------------------------------

function kinesisChecks(request: AwsRequest, directory: ResourceDirectory, caller: CallerEnvironment, iterators?: ReadonlyMap<string, string>): MappedRequest {
  const op = request.operation;
  const params = request.params;
  if (op === 'ListStreams') return { checks: [{ action: 'kinesis:ListStreams', resource: `arn:aws:kinesis:${caller.region}:${caller.account}:stream/*` }] };
  const named = str(params.StreamARN) ?? str(params.StreamName) ?? (op === 'GetRecords' ? iterators?.get(String(params.ShardIterator)) : undefined);
  if (!named) return unmapped(op === 'GetRecords' ? 'Kinesis GetRecords with a shard iterator the run did not hand out' : `Kinesis ${op} without a StreamName or StreamARN`);
  const stream = directory.stream(named, caller);
  const checks = [onResource(`kinesis:${op}`, stream)];
  const encryption = { 'aws:kinesis:arn': stream.arn };
  if (op === 'PutRecord' || op === 'PutRecords') checks.push(...kmsChecks(directory, stream, ['kms:GenerateDataKey'], 'kinesis', encryption));
  if (op === 'GetRecords') checks.push(...kmsChecks(directory, stream, ['kms:Decrypt'], 'kinesis', encryption));
  return { checks };
}

// ---- Secrets Manager ------------------------------------------------------------------------------

function secretsChecks(request: AwsRequest, directory: ResourceDirectory, caller: CallerEnvironment): MappedRequest {
  const op = request.operation;
  const id = str(request.params.SecretId);
  if (!id) return unmapped(`Secrets Manager ${op} without a SecretId`);
  const secret = directory.secret(id, caller);
  const context = { 'secretsmanager:SecretId': secret.arn, 'secretsmanager:VersionStage': str(request.params.VersionStage) ?? (op === 'GetSecretValue' ? 'AWSCURRENT' : undefined) };
  const checks = [onResource(`secretsmanager:${op}`, secret, context)];
  if (op === 'GetSecretValue') checks.push(...kmsChecks(directory, secret, ['kms:Decrypt'], 'secretsmanager', { SecretARN: secret.arn }));
  return { checks };
}
