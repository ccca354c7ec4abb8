/**
 * What an AWS SDK request that reaches the local front door asks for: the service (from the
 * endpoint it was sent to), the operation (from the protocol: `X-Amz-Target` for the JSON
 * protocols, `Action=` for the query protocol, method + path + subresource for S3's REST), the
 * caller (the access key id in the SigV4 `Authorization` header) and the parsed body.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A service the front door stands before. */
export type FrontDoorService = 's3' | 'sqs' | 'dynamodb' | 'kinesis' | 'secretsmanager';

/** One request as the front door sees it, before it is passed on. */
export interface AwsRequest {
  readonly service: FrontDoorService;
  /** The API operation, e.g. `PutObject`, `SendMessageBatch`, `PutItem`, `GetSecretValue`. */
  readonly operation: string;
  /** The access key id the request was signed with (`''` when unsigned). */
  readonly accessKeyId: string;
  readonly method: string;
  /** Path and query as sent (e.g. `/bucket/key?tagging`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed: the JSON object (JSON protocols), the form fields (query protocol), else `{}`. */
  readonly params: Readonly<Record<string, unknown>>;
  /** S3 only: the bucket and key of the path (path-style addressing). */
  readonly s3?: { readonly bucket?: string; readonly key?: string; readonly query: URLSearchParams };
}

/** The access key id of a SigV4 `Authorization` header (`''` when there is none). */
export function accessKeyIdOf(headers: IncomingHttpHeaders): string {
  const authorization = String(headers.authorization ?? '');
  return /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ?? '';
}

/** Reads what a request asks for; `service` is the service whose endpoint received it. */
export function parseAwsRequest(service: FrontDoorService, method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): AwsRequest {
  const base = { service, method, url, headers, body, accessKeyId: accessKeyIdOf(headers) };
  if (service === 's3') {
    const s3 = s3Location(url);
    return { ...base, operation: s3Operation(method, s3, headers), params: {}, s3 };
  }
  const target = String(headers['x-amz-target'] ?? '');
  if (target) return { ...base, operation: target.slice(target.lastIndexOf('.') + 1), params: jsonBody(body) };
  // The query protocol (SQS before JSON): a form body with Action=.
  const form = new URLSearchParams(body.toString('utf8'));
  const params: Record<string, unknown> = Object.fromEntries(form.entries());
  return { ...base, operation: String(params.Action ?? ''), params };
}

function jsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function s3Location(url: string): { bucket?: string; key?: string; query: URLSearchParams } {
  const parsed = new URL(url, 'http://front-door');
  const [, bucket, ...rest] = parsed.pathname.split('/');
  const key = rest.length > 0 ? rest.map((part) => decodeURIComponent(part)).join('/') : undefined;
  return { bucket: bucket ? decodeURIComponent(bucket) : undefined, key: key || undefined, query: parsed.searchParams };
}

/** The S3 operation of a REST request (the ones SDK clients send; anything else is `Unknown`). */
function s3Operation(method: string, where: { bucket?: string; key?: string; query: URLSearchParams }, headers: IncomingHttpHeaders): string {
  const q = where.query;
  // SDK v3 names many operations itself (`?x-id=PutObject`).
  const named = q.get('x-id');
  if (named) return named;
  if (!where.bucket) return method === 'GET' ? 'ListBuckets' : 'Unknown';
  if (!where.key) {
    if (method === 'GET' && q.has('list-type')) return 'ListObjectsV2';
    if (method === 'GET' && q.has('versions')) return 'ListObjectVersions';
    if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads';
    if (method === 'GET' && q.size === 0) return 'ListObjects';
    if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'PUT' && q.size === 0) return 'CreateBucket';
    if (method === 'DELETE' && q.size === 0) return 'DeleteBucket';
    const sub = [...q.keys()].find((k) => k !== 'x-id') ?? '';
    return `${method === 'GET' ? 'Get' : method === 'PUT' ? 'Put' : method === 'DELETE' ? 'Delete' : method}Bucket${sub.charAt(0).toUpperCase()}${sub.slice(1)}`;
  }
  if (method === 'GET') return q.has('tagging') ? 'GetObjectTagging' : q.has('uploadId') ? 'ListParts' : 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : q.has('tagging') ? 'DeleteObjectTagging' : 'DeleteObject';
  if (method === 'POST') return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'Unknown';
  if (method === 'PUT') {
    if (q.has('tagging')) return 'PutObjectTagging';
    if (q.has('partNumber')) return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
    return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  }
  return 'Unknown';
}
