import type { LineRange } from '../../../lib/contract/workflow-steps';

/**
 * Line ranges of `linesPerBatch` lines covering `lineCount` lines (1-based). With `lineStart`
 * (the byte offset of a line, known for the first line of every range) and the object's size,
 * each range also gets its bytes.
 */
export function lineRanges(
  lineCount: number,
  linesPerBatch: number,
  bytes?: { readonly lineStart: (line: number) => number; readonly size: number },
): LineRange[] {
  const ranges: LineRange[] = [];
  for (let first = 1; first <= lineCount; first += linesPerBatch) {
    const count = Math.min(linesPerBatch, lineCount - first + 1);
    const next = first + count;
    ranges.push({
      firstLine: first,
      lineCount: count,
      firstByte: bytes ? bytes.lineStart(first) : null,
      lastByte: bytes ? (next <= lineCount ? bytes.lineStart(next) : bytes.size) - 1 : null,
    });
  }
  return ranges;
}

/** What one pass over an object found. */
export interface LineScan {
  readonly lineCount: number;
  /** Up to `sampleSize` non-empty lines (for the format check). */
  readonly sample: string[];
  /** Byte offset of line `n` for every `n` that is 1 plus a multiple of `every` (key: line number). */
  readonly lineStarts: ReadonlyMap<number, number>;
}

/**
 * Counts the lines of a byte stream (a last line without "\n" counts), keeps up to `sampleSize`
 * non-empty lines and the byte offsets of every `every`-th line start, reading the stream once
 * without holding it in memory. Works on bytes: offsets are exact for any UTF-8 content.
 */
export async function scanLines(stream: AsyncIterable<Buffer | Uint8Array | string>, sampleSize: number, every = 0): Promise<LineScan> {
  let lineCount = 0;
  let offset = 0; // bytes before the current chunk
  let lineStart = 0; // byte offset of the current (unfinished) line
  let partial: Buffer[] = [];
  const sample: string[] = [];
  const lineStarts = new Map<number, number>();
  const startLine = (line: number, at: number) => {
    if (every > 0 && (line - 1) % every === 0) lineStarts.set(line, at);
  };
  const keep = (line: Buffer) => {
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.trim() !== '') sample.push(text);
  };
  startLine(1, 0);
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (chunk.length === 0) continue;
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      lineCount++;
      if (sample.length < sampleSize) keep(Buffer.concat([...partial, chunk.subarray(from, nl)]));
      partial = [];
      from = nl + 1;
      lineStart = offset + from;
      startLine(lineCount + 1, lineStart);
    }
    if (sample.length < sampleSize && from < chunk.length) partial.push(chunk.subarray(from));
    offset += chunk.length;
  }
  if (offset > lineStart) {
    lineCount++;
    if (sample.length < sampleSize) keep(Buffer.concat(partial));
  }
  return { lineCount, sample, lineStarts };
}
