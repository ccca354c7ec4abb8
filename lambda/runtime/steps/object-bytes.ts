import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** An object's content as the steps read it. */
export interface ObjectBytes {
  /** Whether the object is gzip (its bytes are then the inflated ones). */
  readonly gzip: boolean;
  readonly bytes: AsyncIterable<Buffer>;
}

/**
 * The object's bytes, gunzipped when they are gzip (by the magic bytes their first chunk starts
 * with, like the runtime reads them). Inflated bytes are counted as they stream: past `maxBytes`
 * the read stops and `tooLarge` is thrown (a decompression bomb is never inflated beyond the bound).
 */
export async function objectBytes(body: Readable, maxBytes: number, tooLarge: () => Error): Promise<ObjectBytes> {
  const iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* rest(): AsyncGenerator<Buffer> {
    if (!first.done) yield Buffer.from(first.value);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
  }
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const input = Readable.from(rest());
    const inflate = input.pipe(createGunzip());
    async function* bounded(): AsyncGenerator<Buffer> {
      let total = 0;
      try {
        for await (const chunk of inflate as AsyncIterable<Buffer>) {
          total += chunk.length;
          if (total > maxBytes) throw tooLarge();
          yield chunk;
        }
      } finally {
        inflate.destroy();
        input.destroy();
        body.destroy?.();
      }
    }
    return { gzip: true, bytes: bounded() };
  }
  return { gzip: false, bytes: rest() };
}
