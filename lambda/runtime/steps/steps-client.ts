import { S3Client } from '@aws-sdk/client-s3';
import { STEPS_FUNCTION_TIMEOUT_SECONDS } from '../../../lib/contract/workflow-steps';
import { runtimeClientConfig } from '../aws-clients';

/**
 * The steps function's S3 client: connection and request timeouts and the standard retry mode,
 * sized against the function's timeout (the contract's, which BatchWorkflow sets), like the transform's clients.
 */
export function stepsS3Client(): S3Client {
  return new S3Client(runtimeClientConfig(STEPS_FUNCTION_TIMEOUT_SECONDS));
}
