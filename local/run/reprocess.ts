/**
 * `start --reprocess`: the local counterpart of `replay --reprocess`. A run of an app with a
 * current table keeps, beside its tables (`.local-run/lakehouse/`), its input lines and its curated
 * objects (`last-run.json`). A reprocess run starts the emulators with the app as it is now (the
 * changed transform), puts the kept curated objects back into the curated bucket, opens the kept
 * tables as they are, and re-derives the kept input as one raw object through the batch workflow,
 * in an execution named by a reprocess run (`<run>--<hash>`, as the CLI names them on AWS). The
 * merge that ends the run takes the re-derived lines over the first ones: the table shows the
 * corrected rows. Every source's records are re-derived from the one raw object, as they would be
 * on AWS from the raw bucket, the stream archive and the event archive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectText } from '../report/outputs';

/** The file, under the lakehouse directory, a run keeps for the next `start --reprocess`. */
export const KEPT_RUN_FILE = 'last-run.json';

/** What a run keeps for a reprocess run. */
export interface KeptRun {
  /** The input lines of the first run (re-derived by every reprocess run after it). */
  readonly lines: readonly string[];
  /** The curated objects after the run (their text: they are gzip JSON Lines when put back). */
  readonly curated: readonly ObjectText[];
}

/** A reprocess run of the local runner. */
export interface LocalReprocess {
  /** The run id (`reprocess-…`, see lib/contract/reprocess.ts). */
  readonly run: string;
  /** The curated objects of the runs before, put back before the run. */
  readonly curated: readonly ObjectText[];
}

/** Keeps `run` in `directory` for the next `start --reprocess`. */
export function keepRun(directory: string, run: KeptRun): void {
  fs.mkdirSync(directory, { recursive: true });
  fs.writeFileSync(path.join(directory, KEPT_RUN_FILE), JSON.stringify({ lines: run.lines, curated: run.curated }));
}

/** The run kept in `directory`; throws a message saying what to do when there is none. */
export function readKeptRun(directory: string): KeptRun {
  const file = path.join(directory, KEPT_RUN_FILE);
  if (!fs.existsSync(file)) {
    throw new Error(
      `no run to reprocess in ${directory}: run \`start\` first (a run of an app with a current table keeps its input, curated objects and tables there), then change the transform and run \`start --reprocess\``,
    );
  }
  const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<KeptRun>;
  if (!Array.isArray(kept.lines) || !Array.isArray(kept.curated)) throw new Error(`${file} is not a kept run (lines and curated objects): run \`start\` again`);
  return { lines: kept.lines, curated: kept.curated };
}

/** Puts the kept curated objects back (gzip, as the runtime writes them), without announcing them: they were merged already. */
export async function restoreCurated(s3: S3Client, curated: readonly ObjectText[]): Promise<void> {
  for (const o of curated) {
    await s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: o.key, Body: gzipSync(o.text), ContentType: 'application/x-ndjson', ContentEncoding: 'gzip' }));
  }
}

/** The outputs of this run only: the objects put back are the runs' before (the current table still reads them all). */
export function withoutRestored<T extends { readonly curated: readonly ObjectText[] }>(outputs: T, restored: readonly ObjectText[]): T {
  const before = new Set(restored.map((o) => `${o.bucket}/${o.key}`));
  return { ...outputs, curated: outputs.curated.filter((o) => !before.has(`${o.bucket}/${o.key}`)) };
}
