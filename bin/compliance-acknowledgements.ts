import { Stack } from 'aws-cdk-lib';
import { acknowledgeRules } from '../lib/core/compliance';
import type { EtlPipeline } from '../lib';

/**
 * Findings the reference deployment accepts as decisions of this app (not of the library), each
 * on the one construct it concerns and with its reason. The library's own design decisions are
 * acknowledged inside the constructs (see docs/decisions.md).
 */
export function acknowledgeComplianceFindings(stack: Stack, pipeline: EtlPipeline): void {
  const lake = pipeline.dataLake;
  for (const bucket of [lake.rawBucket, lake.curatedBucket, lake.quarantineBucket, lake.accessLogsBucket]) {
    acknowledgeRules(bucket, {
      ids: ['NIST.800.53.R5-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled'],
      reason:
        `The reference deployment of ${stack.stackName} is single-region: buckets are versioned and retained, and ` +
        'cross-region replication (a second region, its key and its cost) is a disaster-recovery decision for each adopter.',
    });
  }
}
