/**
 * IAM at the front door: every request a local function sends is authorized as the function's
 * execution role (found by the access key it signs with) before an emulator sees it. A refused
 * call is answered as the service answers it on AWS:
 *
 * - S3: 403 `AccessDenied` (a HEAD: 403 without a body, which the SDK names `Forbidden`), also
 *   when the KMS key refuses;
 * - DynamoDB, Kinesis, Secrets Manager: 400 `AccessDeniedException`; Kinesis's KMS refusal
 *   `KMSAccessDeniedException`, Secrets Manager's `AccessDeniedException` ("Access to KMS is not
 *   allowed");
 * - SQS: 403 `AccessDenied`; its KMS refusal 400 `KmsAccessDenied` (`KMS.AccessDeniedException`).
 *
 * And S3's answer for a key that does not exist depends on the caller, as on AWS: 404 only when it
 * may also `s3:ListBucket` the bucket (with `s3:prefix` the key), else 403.
 */
import { awsErrorResponse, type AwsErrorSpec } from '../services/front-door/aws-error';
import type { AwsRequest } from '../services/front-door/aws-request';
import type { Caller } from '../services/front-door/callers';
import type { FrontDoorInterceptor } from '../services/front-door/front-door';
import type { Actor, IamAuthorizer, Refusal } from './authorizer';
import { requestChecks } from './request-checks';
import type { ResourceDirectory } from './resource-directory';

/** The interceptor that authorizes the functions' calls (`authorizer.mode` decides what a refusal does). */
export function iamInterceptor(authorizer: IamAuthorizer, directory: ResourceDirectory): FrontDoorInterceptor {
  const actors = new Map<string, Actor | undefined>();
  /** Kinesis shard iterators handed out, to the stream they read (GetRecords names only the iterator). */
  const iterators = new Map<string, string>();
  const actorOf = (caller: Caller): Actor | undefined => {
    if (!actors.has(caller.id)) actors.set(caller.id, authorizer.roleSession(caller.roleArn, caller.sessionName ?? caller.label, caller.label));
    return actors.get(caller.id);
  };
  const environment = (actor: Actor) => ({ account: actor.principal.account, region: actor.region });

  return {
    name: 'iam',
    beforeRequest(request, { caller }) {
      if (!authorizer.active || !caller) return undefined;
      const actor = actorOf(caller);
      if (!actor) return undefined;
      const mapped = requestChecks(request, directory, environment(actor), iterators);
      const operation = `${request.service}:${request.operation}`;
      if (mapped.unmapped !== undefined) {
        authorizer.recordUnmapped(caller.label, operation, mapped.unmapped);
        return undefined;
      }
      const refusal = authorizer.authorize(actor, operation, mapped.checks);
      return refusal ? awsErrorResponse(request, errorFor(request, refusal)) : undefined;
    },
    afterResponse(request, response, { caller }) {
      if (request.service === 'kinesis') rememberIterators(request, response.body, iterators);
      if (!authorizer.active || !caller || request.service !== 's3' || response.status !== 404) return undefined;
      if (request.operation !== 'HeadObject' && request.operation !== 'GetObject') return undefined;
      if (request.operation === 'GetObject' && !String(response.body).includes('NoSuchKey')) return undefined;
      const actor = actorOf(caller);
      const bucket = request.s3?.bucket;
      const key = request.s3?.key;
      if (!actor || !bucket || key === undefined) return undefined;
      const entry = directory.bucket(bucket, environment(actor));
      const refusal = authorizer.decide(actor, {
        action: 's3:ListBucket',
        resource: entry.arn,
        resourceAccount: entry.account,
        context: { 's3:prefix': key, 's3:TlsVersion': '1.3', 's3:signatureversion': 'AWS4-HMAC-SHA256', 's3:authType': 'REST-HEADER' },
      });
      if (!refusal) return undefined;
      authorizer.recordDenial(caller.label, `s3:${request.operation} (missing key)`, refusal);
      if (authorizer.mode !== 'enforce') return undefined;
      return awsErrorResponse(request, { status: 403, code: 'AccessDenied', message: refusal.message });
    },
  };
}

/** The error `request`'s service answers a refused call with. */
export function errorFor(request: AwsRequest, refusal: Refusal): AwsErrorSpec {
  const kms = refusal.check.kms === true;
  switch (request.service) {
    case 's3':
      return { status: 403, code: 'AccessDenied', message: refusal.message };
    case 'sqs':
      return kms
        ? { status: 400, code: 'KmsAccessDenied', queryCode: 'KMS.AccessDeniedException', message: `${refusal.message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)` }
        : { status: 403, code: 'AccessDenied', message: refusal.message };
    case 'kinesis':
      return kms ? { status: 400, code: 'KMSAccessDeniedException', message: refusal.message } : { status: 400, code: 'AccessDeniedException', message: refusal.message };
    case 'secretsmanager':
      return kms ? { status: 400, code: 'AccessDeniedException', message: `Access to KMS is not allowed. ${refusal.message}` } : { status: 400, code: 'AccessDeniedException', message: refusal.message };
    case 'dynamodb':
      return { status: 400, code: 'AccessDeniedException', message: refusal.message };
  }
}

function rememberIterators(request: AwsRequest, body: string | Buffer, iterators: Map<string, string>): void {
  if (request.operation !== 'GetShardIterator' && request.operation !== 'GetRecords') return;
  let parsed: { ShardIterator?: unknown; NextShardIterator?: unknown };
  try {
    parsed = JSON.parse(String(body)) as typeof parsed;
  } catch {
    return;
  }
  const stream =
    typeof request.params.StreamARN === 'string' ? request.params.StreamARN : typeof request.params.StreamName === 'string' ? request.params.StreamName : iterators.get(String(request.params.ShardIterator));
  const next = parsed.ShardIterator ?? parsed.NextShardIterator;
  if (stream && typeof next === 'string') iterators.set(next, stream);
}
