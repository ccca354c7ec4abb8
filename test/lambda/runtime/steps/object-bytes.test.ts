import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { objectBytes } from '../../../../lambda/runtime/steps/object-bytes';

async function text(bytes: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
const tooLarge = () => Object.assign(new Error('too large'), { name: 'ObjectTooLarge' });

describe('objectBytes', () => {
  test('plain bytes pass through unchanged, chunk by chunk', async () => {
    const read = await objectBytes(Readable.from([Buffer.from('{"a":1}\n'), Buffer.from('{"a":2}')]), 4, tooLarge);
    expect(read.gzip).toBe(false);
    // The bound is on inflated bytes only: the size limit of a plain object is checked before it is read.
    expect(await text(read.bytes)).toBe('{"a":1}\n{"a":2}');
  });

  test('gzip is told by its magic bytes (whatever the key) and inflated', async () => {
    const gz = gzipSync('{"a":1}\n{"a":2}\n');
    const read = await objectBytes(Readable.from([gz.subarray(0, 3), gz.subarray(3)]), 1000, tooLarge);
    expect(read.gzip).toBe(true);
    expect(await text(read.bytes)).toBe('{"a":1}\n{"a":2}\n');
  });

  test('inflating past the bound throws the given error and destroys the source', async () => {
    const body = Readable.from([gzipSync('x'.repeat(10_000))]);
    const read = await objectBytes(body, 1000, tooLarge);
    await expect(text(read.bytes)).rejects.toMatchObject({ name: 'ObjectTooLarge' });
    expect(body.destroyed).toBe(true);
  });

  test('an empty object is plain and empty', async () => {
    const read = await objectBytes(Readable.from([]), 10, tooLarge);
    expect({ gzip: read.gzip, text: await text(read.bytes) }).toEqual({ gzip: false, text: '' });
  });
});
