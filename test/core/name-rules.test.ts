import { Lazy } from 'aws-cdk-lib';
import { validatePipelineNames } from '../../lib/core/name-rules';
import { PropValidator } from '../../lib/core/prop-validator';

/** The problems `validatePipelineNames` finds in `names`. */
function problemsOf(names: { pipelineName?: string; dataset?: string }): string[] {
  const v = new PropValidator('Thing');
  validatePipelineNames(v, names);
  try {
    v.throwIfInvalid();
    return [];
  } catch (e) {
    return (e as Error).message.split('\n').slice(1).map((l) => l.replace(/^ {2}- /, ''));
  }
}

describe('validatePipelineNames', () => {
  test('accepts lower-case names and leaves out what is not given', () => {
    expect(problemsOf({ pipelineName: 'orders-eu', dataset: 'orders_2026' })).toEqual([]);
    expect(problemsOf({})).toEqual([]);
  });

  test('names each bad name with its rule', () => {
    expect(problemsOf({ pipelineName: 'Orders', dataset: 'orders/eu' })).toEqual([
      'pipelineName is "Orders"; it must be 2 to 63 characters of a-z, 0-9 and "-", starting with a letter',
      'dataset is "orders/eu"; it must be 1 to 128 characters of a-z, 0-9, "_" and "-"',
    ]);
  });

  test('bounds the lengths: 2 to 63 for a pipeline, 1 to 128 for a dataset', () => {
    expect(problemsOf({ pipelineName: 'a', dataset: 'd' })).toHaveLength(1);
    expect(problemsOf({ pipelineName: `a${'b'.repeat(62)}`, dataset: 'd'.repeat(128) })).toEqual([]);
    expect(problemsOf({ pipelineName: `a${'b'.repeat(63)}`, dataset: 'd'.repeat(129) })).toHaveLength(2);
  });

  test('a name known only at deploy time (a token) is not checked', () => {
    expect(problemsOf({ pipelineName: Lazy.string({ produce: () => 'Not Checked' }) })).toEqual([]);
  });
});
