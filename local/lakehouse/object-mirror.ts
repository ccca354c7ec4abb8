/**
 * Local copies of S3 objects for DuckDB's `read_json`: `<root>/<bucket>/<key>`, gzip JSON Lines
 * with each line's top-level field names in lower case (Athena's JSON SerDe matches fields to
 * columns case-insensitively; DuckDB's `read_json` does not). An object is copied again only when
 * its ETag changed; copies of objects no longer listed are dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Where objects are read from. */
export interface ObjectSource {
  /** Every object under `prefix`, with its ETag. */
  list(bucket: string, prefix: string): Promise<Array<{ readonly key: string; readonly etag?: string }>>;
  get(bucket: string, key: string): Promise<Uint8Array>;
}

/** An {@link ObjectSource} over an S3 client (the local run's S3 emulator). */
export function s3ObjectSource(s3: S3Client): ObjectSource {
  return {
    async list(bucket, prefix) {
      const out: Array<{ key: string; etag?: string }> = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, etag: o.ETag });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async get(bucket, key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return object.Body!.transformToByteArray();
    },
  };
}

/** Keeps local copies of the objects under S3 prefixes. */
export class ObjectMirror {
  private readonly copied = new Map<string, string | undefined>();

  constructor(
    /** The directory the copies are under. */
    public readonly root: string,
    private readonly source: ObjectSource,
  ) {}

  /**
   * Brings the copies of the objects under `s3://bucket/prefix` whose key `accept`s up to date;
   * returns their paths under {@link root} (`<bucket>/<key>`), sorted.
   */
  async sync(bucket: string, prefix: string, accept: (key: string) => boolean = () => true): Promise<string[]> {
    const listed = (await this.source.list(bucket, prefix)).filter((o) => accept(o.key));
    const current = new Set<string>();
    for (const object of listed) {
      const file = `${bucket}/${object.key}`;
      current.add(file);
      if (this.copied.has(file) && this.copied.get(file) === object.etag) continue;
      const target = this.localPath(file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, gzipSync(lowerCaseFields(await this.source.get(bucket, object.key))));
      this.copied.set(file, object.etag);
    }
    for (const file of [...this.copied.keys()]) {
      if (!file.startsWith(`${bucket}/${prefix}`) || current.has(file)) continue;
      fs.rmSync(this.localPath(file), { force: true });
      this.copied.delete(file);
    }
    return [...current].sort();
  }

  private localPath(file: string): string {
    const target = path.resolve(this.root, file);
    if (!target.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`object key ${JSON.stringify(file)} leaves the mirror directory`);
    return target;
  }
}

/** The JSON Lines of an object (gzip or not) with top-level field names in lower case; lines that are not JSON objects are kept as they are. */
export function lowerCaseFields(body: Uint8Array): Buffer {
  const bytes = Buffer.from(body);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  const lines = text.split('\n').map((line) => {
    if (line.trim() === '') return line;
    try {
      const value = JSON.parse(line) as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return line;
      return JSON.stringify(Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v])));
    } catch {
      return line;
    }
  });
  return Buffer.from(lines.join('\n'), 'utf8');
}
