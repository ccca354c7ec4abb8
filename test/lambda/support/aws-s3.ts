/**
 * An S3 double for `aws-sdk-client-mock` that authorizes every call against the caller's identity
 * policy and answers as Amazon S3 does, where the emulators do not:
 *
 * - a call the policy does not allow fails 403 (`AccessDenied`; `Forbidden` for HEAD, which has no body);
 * - HeadObject / GetObject of a missing key fails 404 (`NotFound` / `NoSuchKey`) only when the
 *   caller may also `s3:ListBucket` the bucket, evaluated with `s3:prefix` set to the requested
 *   key (so a prefix-scoped ListBucket grant counts for keys under its prefix); otherwise 403.
 *
 * Server-side encryption (KMS) is not modelled.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { authorize, type AuthorizationRequest, type PolicyStatement } from './iam-policy';
import { bodyText, servedObject, type S3Mock } from './fixtures';

/** A call the double denied. */
export interface DeniedCall extends AuthorizationRequest {
  readonly command: string;
}

/** The double's state, for the test to look at and steer. */
export interface AwsS3Double {
  /**
   * Stored objects by `bucket/key`, their bodies as text (decompressed when sent with gzip
   * encoding); a test may seed objects here.
   */
  readonly objects: Map<string, string>;
  /** Every call denied, in order. */
  readonly denied: DeniedCall[];
  /** The caller's policy statements; replace to change what the caller may do. */
  statements: PolicyStatement[];
  /**
   * Fails PutObject calls for which `predicate` answers true with a 500 (nothing is stored),
   * as a failed or timed-out write.
   */
  failPuts(predicate: (bucket: string, key: string) => boolean): void;
}

const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

function accessDenied(head: boolean): S3ServiceException {
  return new S3ServiceException({
    name: head ? 'Forbidden' : 'AccessDenied',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
    message: head ? 'Forbidden' : 'Access Denied',
  });
}

/** Makes the mocked S3 client an authorizing bucket store (see the module comment). */
export function awsFaithfulS3(s3Mock: S3Mock, statements: PolicyStatement[]): AwsS3Double {
  let failing: (bucket: string, key: string) => boolean = () => false;
  /** Stored bodies as sent, for GetObject. */
  const raw = new Map<string, Buffer>();
  const double: AwsS3Double = {
    objects: new Map(),
    denied: [],
    statements,
    failPuts(predicate) {
      failing = predicate;
    },
  };
  const check = (command: string, request: AuthorizationRequest): boolean => {
    const { allowed } = authorize(double.statements, request);
    if (!allowed) double.denied.push({ command, ...request });
    return allowed;
  };
  /** The error for a key that is not there: 404 if the caller may list it, else 403. */
  const missing = (command: string, bucket: string, key: string, head: boolean) =>
    check(command, { action: 's3:ListBucket', resource: bucketArn(bucket), context: { 's3:prefix': key } })
      ? head
        ? new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } })
        : new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } })
      : accessDenied(head);

  s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body?: unknown; ContentEncoding?: string }) => {
    if (!check('PutObject', { action: 's3:PutObject', resource: objectArn(input.Bucket, input.Key) })) throw accessDenied(false);
    if (failing(input.Bucket, input.Key)) {
      throw new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'We encountered an internal error. Please try again.' });
    }
    double.objects.set(`${input.Bucket}/${input.Key}`, bodyText(input));
    const body = input.Body;
    raw.set(`${input.Bucket}/${input.Key}`, typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body as Uint8Array));
    return { ETag: '"etag"' };
  });
  s3Mock.on(HeadObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    if (!check('HeadObject', { action: 's3:GetObject', resource: objectArn(input.Bucket, input.Key) })) throw accessDenied(true);
    const body = double.objects.get(`${input.Bucket}/${input.Key}`);
    if (body === undefined) throw missing('HeadObject', input.Bucket, input.Key, true);
    return { ContentLength: Buffer.byteLength(body), ETag: '"etag"' };
  });
  s3Mock.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Range?: string; IfMatch?: string }) => {
    if (!check('GetObject', { action: 's3:GetObject', resource: objectArn(input.Bucket, input.Key) })) throw accessDenied(false);
    const stored = `${input.Bucket}/${input.Key}`;
    const text = double.objects.get(stored);
    // `objects` says what exists (a test may seed or remove entries); a seeded object is served as its text.
    const body = text === undefined ? undefined : (raw.get(stored) ?? Buffer.from(text, 'utf8'));
    if (body === undefined) throw missing('GetObject', input.Bucket, input.Key, false);
    return servedObject(body, input);
  });
  return double;
}
