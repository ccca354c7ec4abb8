import {
  isReprocessRunId,
  MAX_REPROCESS_RUN_ID_LENGTH,
  newReprocessRunId,
  reprocessExecutionName,
  reprocessRunOfExecution,
  reprocessRunOfReplay,
} from '../../lib/contract/reprocess';

describe('reprocess run ids', () => {
  it('are made of the UTC time and a random suffix, and recognised', () => {
    const id = newReprocessRunId(new Date('2026-12-07T11:20:05.123Z'), () => 0.5);
    expect(id).toBe('reprocess-20261207112005-i000');
    expect(isReprocessRunId(id)).toBe(true);
  });

  it('refuse names a plain replay has, double dashes, other characters and overlong ids', () => {
    expect(isReprocessRunId('etl-replay-202612071120-abc')).toBe(false);
    expect(isReprocessRunId('reprocess-')).toBe(false);
    expect(isReprocessRunId('reprocess-a--b')).toBe(false);
    expect(isReprocessRunId('reprocess-a b')).toBe(false);
    expect(isReprocessRunId(`reprocess-${'a'.repeat(MAX_REPROCESS_RUN_ID_LENGTH)}`)).toBe(false);
    expect(isReprocessRunId(42)).toBe(false);
  });
});

describe('the run of an execution or a replay', () => {
  const arn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:clickstream-batch:${name}`;

  it('is read from a reprocess execution name, by ARN or by name', () => {
    expect(reprocessRunOfExecution(arn('reprocess-20261207112005-i000--0123456789abcdef'))).toBe('reprocess-20261207112005-i000');
    expect(reprocessRunOfExecution('reprocess-fix-1--0123456789abcdef')).toBe('reprocess-fix-1');
  });

  it('is none for every other execution', () => {
    expect(reprocessRunOfExecution(undefined)).toBeUndefined();
    expect(reprocessRunOfExecution(arn('replay-lz3k1-0123456789abcdef'))).toBeUndefined();
    expect(reprocessRunOfExecution(arn('reprocess-20261207112005-i000'))).toBeUndefined();
    expect(reprocessRunOfExecution(arn('reprocess-x--0123456789ABCDEF'))).toBeUndefined();
    expect(reprocessRunOfExecution(arn('9f3c6a5e-0e55-4d3c-9c79-0d2f4b3e1a77'))).toBeUndefined();
  });

  it("is a replay's name when it is a reprocess run id", () => {
    expect(reprocessRunOfReplay('reprocess-20261207112005-i000')).toBe('reprocess-20261207112005-i000');
    expect(reprocessRunOfReplay('etl-replay-202612071120-abc')).toBeUndefined();
    expect(reprocessRunOfReplay(undefined)).toBeUndefined();
  });
});

describe('reprocessExecutionName', () => {
  it('is the run and 16 hex of the key, the same for the same key, read back by reprocessRunOfExecution', () => {
    const name = reprocessExecutionName('reprocess-fix-1', 'batch/2026/a.jsonl');
    expect(name).toMatch(/^reprocess-fix-1--[0-9a-f]{16}$/);
    expect(reprocessExecutionName('reprocess-fix-1', 'batch/2026/a.jsonl')).toBe(name);
    expect(reprocessExecutionName('reprocess-fix-1', 'batch/2026/b.jsonl')).not.toBe(name);
    expect(reprocessRunOfExecution(name)).toBe('reprocess-fix-1');
    expect(name.length).toBeLessThanOrEqual(80);
    expect(() => reprocessExecutionName('etl-replay-1', 'k')).toThrow(RangeError);
  });
});
