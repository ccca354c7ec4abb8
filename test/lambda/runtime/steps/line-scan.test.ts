import { Readable } from 'node:stream';
import { lineRanges, scanLines } from '../../../../lambda/runtime/steps/line-scan';

test('lineRanges and scanLines edge cases', async () => {
  expect(lineRanges(0, 10)).toEqual([]);
  expect(lineRanges(10, 10)).toEqual([{ firstLine: 1, lineCount: 10, firstByte: null, lastByte: null }]);
  expect(await scanLines(Readable.from([Buffer.from('a\nb')]), 1)).toMatchObject({ lineCount: 2, sample: ['a'] });
  expect(await scanLines(Readable.from([Buffer.from('a\n')]), 5)).toMatchObject({ lineCount: 1, sample: ['a'] });
  // Offsets are bytes, not characters: multi-byte UTF-8 split across chunks.
  const utf8 = Buffer.from('{"n":"é"}\n{"n":"€"}\n{"n":"x"}');
  const chunks = [utf8.subarray(0, 7), utf8.subarray(7, 19), utf8.subarray(19)];
  const scan = await scanLines(Readable.from(chunks), 5, 1);
  expect(scan.sample).toEqual(['{"n":"é"}', '{"n":"€"}', '{"n":"x"}']);
  expect([...scan.lineStarts]).toEqual([[1, 0], [2, 11], [3, 23]]);
  expect(utf8.subarray(11, 23).toString()).toBe('{"n":"€"}\n');
});
