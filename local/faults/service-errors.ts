/**
 * The errors each service answers when it throttles, fails internally or is unavailable, as the
 * AWS documentation names them, so the SDK in a function raises what it would raise on AWS (and
 * retries it as it would: throttling codes and 5xx statuses are retryable):
 *
 * - DynamoDB: `ProvisionedThroughputExceededException` (400) when a request is throttled,
 *   `InternalServerError` (500), `ServiceUnavailable` (503) — "Error handling with DynamoDB",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 * - S3: `SlowDown` (503, "reduce your request rate"), `InternalError` (500), `ServiceUnavailable`
 *   (503) — https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html
 * - SQS: `RequestThrottled` (400), `InternalFailure` (500), `ServiceUnavailable` (503) — the SQS API
 *   reference's errors and common errors
 * - Kinesis: `ProvisionedThroughputExceededException` (400), `InternalFailure` (500),
 *   `ServiceUnavailable` (503)
 * - Secrets Manager: `ThrottlingException` (400), `InternalServiceError` (500), `ServiceUnavailable`
 *   (503) — https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html
 */
import type { AwsErrorSpec } from '../services/front-door/aws-error';
import type { FrontDoorService } from '../services/front-door/aws-request';

const NOTE = '(injected by the local run: --faults)';

/** The service's throttling error. */
export const THROTTLING_ERRORS: Readonly<Record<FrontDoorService, AwsErrorSpec>> = {
  dynamodb: { status: 400, code: 'ProvisionedThroughputExceededException', message: `The request rate exceeds the throughput the table allows ${NOTE}` },
  s3: { status: 503, code: 'SlowDown', message: `Please reduce your request rate ${NOTE}` },
  sqs: { status: 400, code: 'RequestThrottled', message: `The request rate exceeds what the queue allows ${NOTE}` },
  kinesis: { status: 400, code: 'ProvisionedThroughputExceededException', message: `The request rate for the stream is too high ${NOTE}` },
  secretsmanager: { status: 400, code: 'ThrottlingException', message: `Rate exceeded ${NOTE}` },
};

/** The service's internal error (HTTP 500). */
export const INTERNAL_ERRORS: Readonly<Record<FrontDoorService, AwsErrorSpec>> = {
  dynamodb: { status: 500, code: 'InternalServerError', message: `Internal server error ${NOTE}` },
  s3: { status: 500, code: 'InternalError', message: `We encountered an internal error. Please try again ${NOTE}` },
  sqs: { status: 500, code: 'InternalFailure', message: `The request processing has failed ${NOTE}` },
  kinesis: { status: 500, code: 'InternalFailure', message: `The request processing has failed ${NOTE}` },
  secretsmanager: { status: 500, code: 'InternalServiceError', message: `An error occurred on the server side ${NOTE}` },
};

/** What every service answers while it is unavailable (an outage). */
export function unavailableError(service: FrontDoorService): AwsErrorSpec {
  return { status: 503, code: 'ServiceUnavailable', message: `The ${service} endpoint is unavailable ${NOTE}` };
}
