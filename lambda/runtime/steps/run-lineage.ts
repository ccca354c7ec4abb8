import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LineageInput } from '../../../lib/contract/workflow-steps';

/**
 * The `lineage` step: one manifest per execution at `<prefix>dt=<start date>/<execution name>.json`
 * (a retry of the step overwrites it with the same content). The per-batch manifests the runtime
 * writes list the curated objects and record positions; this one ties them to the source object's
 * version, the transform's version, the schema sample and the counts. The ranges are left out
 * (their number is kept).
 */
export async function recordRunLineage(s3: S3Client, input: LineageInput): Promise<{ bucket: string; key: string }> {
  const key = `${input.prefix}dt=${input.startedAt.slice(0, 10)}/${input.executionName}.json`;
  const { ranges, ...object } = input.source.object;
  const manifest = {
    kind: 'batch-run',
    pipeline: input.pipeline,
    dataset: input.dataset,
    executionId: input.executionId,
    startedAt: input.startedAt,
    recordedAt: new Date().toISOString(),
    source: { bucket: input.source.bucket, key: input.source.key, ...object, batches: ranges?.length ?? null },
    transform: input.transform,
    schemaSample: input.schemaSample ?? null,
    counts: input.counts,
  };
  await s3.send(new PutObjectCommand({ Bucket: input.bucket, Key: key, ContentType: 'application/json', Body: JSON.stringify(manifest) }));
  return { bucket: input.bucket, key };
}
