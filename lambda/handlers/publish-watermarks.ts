/**
 * Lambda entry point of the watermark publisher: run every minute by an EventBridge schedule, it
 * reads each source's newest curated event time back from CloudWatch and publishes its age (and
 * the batch deadline's overdue seconds), so a silent source still has a data point that ages.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { WATERMARK_PUBLISHER_TIMEOUT_SECONDS } from '../../lib/contract/watermarks';
import { runtimeClientConfig } from '../runtime/aws-clients';
import { publishWatermarks, readPublisherConfig, type PublisherConfig, type PublishedWatermarks } from '../runtime/watermark/publish';

/** Creates the handler; the client, the clock, the environment and the logger are injectable for tests. */
export function createHandler(
  cloudwatch: CloudWatchClient = new CloudWatchClient(runtimeClientConfig(WATERMARK_PUBLISHER_TIMEOUT_SECONDS)),
  now: () => number = Date.now,
  env: NodeJS.ProcessEnv = process.env,
  logger: Logger = new Logger({ serviceName: 'watermark-publisher' }),
): () => Promise<PublishedWatermarks> {
  let config: PublisherConfig | undefined;
  return async () => {
    config ??= readPublisherConfig(env);
    const published = await publishWatermarks(cloudwatch, config, now());
    logger.info('watermarks published', { pipeline: config.pipeline, stage: config.stage, ...published });
    return published;
  };
}

export const handler = createHandler();
