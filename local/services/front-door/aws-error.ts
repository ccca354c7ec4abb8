/**
 * Error responses in each service's own wire format, so an SDK client raises the same exception
 * (name, `$metadata.httpStatusCode`, retryability) as it would on AWS: S3's XML `<Error>`, the
 * JSON protocols' `__type` (DynamoDB, Kinesis, Secrets Manager, SQS's JSON protocol, with SQS's
 * `x-amzn-query-error` code), and the query protocol's XML `<ErrorResponse>`.
 */
import type { AwsRequest } from './aws-request';

/** A response the front door sends instead of the emulator's. */
export interface FrontDoorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body: text (UTF-8) or the emulator's bytes as they came. */
  readonly body: string | Buffer;
  /** Close the connection instead of answering: the client sees a connection error (a reset socket). */
  readonly resetConnection?: boolean;
}

/** An AWS error to answer with. */
export interface AwsErrorSpec {
  readonly status: number;
  /** The error code (the SDK exception's `name`), e.g. `AccessDenied`, `ThrottlingException`. */
  readonly code: string;
  readonly message: string;
  /**
   * SQS only: the query-protocol error code (`x-amzn-query-error`) when it differs from `code`
   * (`KMS.AccessDeniedException` for `KmsAccessDenied`).
   */
  readonly queryCode?: string;
}

const JSON_NAMESPACE: Record<string, string> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810',
  kinesis: 'com.amazonaws.kinesis.v20131202',
  secretsmanager: 'com.amazonaws.secretsmanager',
  sqs: 'com.amazonaws.sqs',
};

/** The response that makes the caller's SDK raise `error` for `request`. */
export function awsErrorResponse(request: AwsRequest, error: AwsErrorSpec): FrontDoorResponse {
  const requestId = `local-${Math.random().toString(36).slice(2, 12)}`;
  if (request.service === 's3') {
    // HEAD responses have no body: the SDK reads the status (403 → Forbidden, 404 → NotFound).
    const body =
      request.method === 'HEAD'
        ? ''
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xml(error.code)}</Code><Message>${xml(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
    return { status: error.status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId }, body };
  }
  if (request.headers['x-amz-target']) {
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.code,
    };
    if (request.service === 'sqs') headers['x-amzn-query-error'] = `${error.queryCode ?? error.code};${error.status >= 500 ? 'Receiver' : 'Sender'}`;
    return { status: error.status, headers, body: JSON.stringify({ __type: `${JSON_NAMESPACE[request.service]}#${error.code}`, message: error.message }) };
  }
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0"?><ErrorResponse><Error><Type>${type}</Type><Code>${xml(error.code)}</Code><Message>${xml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
