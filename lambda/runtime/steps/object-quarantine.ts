import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { QUARANTINE_POINTER_SUFFIX } from '../../../lib/contract/storage-layout';
import type { QuarantineInput } from '../../../lib/contract/workflow-steps';

/**
 * The `quarantine` step: writes `<prefix><key>.error.json`: where the object is (its version,
 * ETag and size, so the exact bytes can be found in the source bucket while it keeps them) and why
 * it was rejected. The object is not copied: its records are raw input (PII), which only the raw
 * bucket holds by design; a copy could not be masked (not JSON Lines, too large, unknown schema).
 */
export async function quarantineObject(s3: S3Client, input: QuarantineInput): Promise<{ bucket: string; key: string }> {
  const key = `${input.prefix}${input.key}${QUARANTINE_POINTER_SUFFIX}`;
  await s3.send(
    new PutObjectCommand({
      Bucket: input.quarantineBucket,
      Key: key,
      ContentType: 'application/json',
      Body: JSON.stringify({
        source: { bucket: input.bucket, key: input.key, ...(await objectPointer(s3, input.bucket, input.key)) },
        reason: input.reason,
        cause: input.cause ?? null,
        executionId: input.executionId ?? null,
        quarantinedAt: new Date().toISOString(),
        note: 'A pointer, not a copy: the object holds raw input and stays in its source bucket. Rerun it from there once fixed.',
      }),
    }),
  );
  return { bucket: input.quarantineBucket, key };
}

/** The object's version, ETag, size and time; for an object gone or unreadable, the error's name. */
async function objectPointer(s3: S3Client, bucket: string, key: string): Promise<Record<string, unknown>> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return {
      versionId: head.VersionId ?? null,
      etag: head.ETag ?? null,
      bytes: head.ContentLength ?? null,
      lastModified: head.LastModified?.toISOString() ?? null,
    };
  } catch (error) {
    // Gone or unreadable: the pointer says so; the reason is still recorded.
    return { headError: (error as { name?: string }).name ?? 'Error' };
  }
}
