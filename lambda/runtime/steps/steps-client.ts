import { S3Client } from '@aws-sdk/client-s3';
import { runtimeClientConfig } from '../aws-clients';

/** The steps function's timeout, set by BatchWorkflow. */
const STEPS_FUNCTION_TIMEOUT_SECONDS = 300;

/**
 * The steps function's S3 client: connection and request timeouts and the standard retry mode,
 * sized against the function's 5-minute timeout (BatchWorkflow), like the transform's clients.
 */
export function stepsS3Client(): S3Client {
  return new S3Client(runtimeClientConfig(STEPS_FUNCTION_TIMEOUT_SECONDS));
}
