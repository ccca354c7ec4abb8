import * as path from 'node:path';
import { parseCliOptions, SAMPLE_CORRECTIONS, SAMPLE_EVENTS } from '../../../local/run/cli-options';

describe('start options', () => {
  test('the inputs: by default the sample events, then their corrections; --input once or repeated, in order', () => {
    expect(parseCliOptions([]).inputs).toEqual([SAMPLE_EVENTS, SAMPLE_CORRECTIONS]);
    expect(parseCliOptions(['--input', 'a.jsonl']).inputs).toEqual([path.resolve('a.jsonl')]);
    expect(parseCliOptions(['--input', 'b.jsonl', '--input', 'a.jsonl']).inputs).toEqual([path.resolve('b.jsonl'), path.resolve('a.jsonl')]);
  });

  test('--context key=value for synth, as cdk synth takes it; refused without = or with --assembly', () => {
    expect(parseCliOptions([]).context).toEqual({});
    expect(parseCliOptions(['--context', 'deduplication=table', '--context', 'note=a=b']).context).toEqual({ deduplication: 'table', note: 'a=b' });
    expect(() => parseCliOptions(['--context', 'deduplication'])).toThrow('--context must be <key>=<value>, not "deduplication"');
    expect(() => parseCliOptions(['--context', '=table'])).toThrow('--context must be <key>=<value>, not "=table"');
    expect(() => parseCliOptions(['--assembly', 'cdk.out', '--context', 'deduplication=table'])).toThrow('--context is for synth; --assembly skips synth');
  });
});
