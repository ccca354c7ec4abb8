/**
 * Why the S3 client is not given `cacheMiddleware: true` (BENCHMARKS.md, throughput findings):
 * with it, the client resolves each command's middleware once and every later call of that command
 * shares one context object, so concurrent PutObjects to two buckets can be sent to each other's
 * endpoint. Sends 200 concurrent PutObjects (odd keys to one bucket, even keys to the other) to an
 * in-process request handler and counts the requests whose host names the wrong bucket.
 *
 * Run: `npx tsx bench/probes/cache-middleware-race.ts`
 */
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

interface Sent {
  hostname: string;
  path: string;
}

async function wrongHosts(cacheMiddleware: boolean): Promise<number> {
  const sent: Sent[] = [];
  const requestHandler = {
    handle: async (request: Sent) => {
      sent.push({ hostname: request.hostname, path: request.path });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      return { response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.alloc(0)]) } };
    },
  };
  const s3 = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDPROBE', secretAccessKey: 'probe' },
    requestHandler: requestHandler as never,
    cacheMiddleware,
  });
  await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      s3.send(new PutObjectCommand({ Bucket: i % 2 ? 'bucket-odd' : 'bucket-even', Key: `k${i}`, Body: Buffer.from('x') })),
    ),
  );
  return sent.filter((s) => !s.hostname.startsWith(Number(s.path.replace(/.*k/, '')) % 2 ? 'bucket-odd' : 'bucket-even')).length;
}

async function main(): Promise<void> {
  for (const cacheMiddleware of [false, true]) {
    console.log(`cacheMiddleware ${cacheMiddleware}: ${await wrongHosts(cacheMiddleware)} of 200 concurrent PutObjects sent to the other bucket's endpoint`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
