import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { PropValidator, formatNumber, resolutionNote } from '../../lib/core/prop-validator';

/** The message thrown by `throwIfInvalid`, or undefined when nothing is thrown. */
function messageOf(validator: PropValidator): string | undefined {
  try {
    validator.throwIfInvalid();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('PropValidator', () => {
  test('does not throw when every value is valid or absent', () => {
    const v = new PropValidator('Thing')
      .integer('count', 5, 1, 10)
      .integer('missing', undefined, 1, 10)
      .duration('timeout', Duration.seconds(30), Duration.seconds(1), Duration.minutes(15))
      .duration('absent', undefined, Duration.seconds(1), Duration.minutes(1))
      .pattern('name', 'orders-1', /^[a-z0-9-]+$/, 'lower-case letters, digits and "-"')
      .pattern('unset', undefined, /^x$/, 'x')
      .check(false, 'never reported');
    expect(() => v.throwIfInvalid()).not.toThrow();
  });

  test('bounds are inclusive', () => {
    const v = new PropValidator('Thing')
      .integer('low', 1, 1, 10)
      .integer('high', 10, 1, 10)
      .duration('shortest', Duration.minutes(1), Duration.seconds(60), Duration.hours(1))
      .duration('longest', Duration.hours(1), Duration.seconds(60), Duration.minutes(60));
    expect(messageOf(v)).toBeUndefined();
  });

  test('collects every problem into one error naming the construct, each prop, its value and the range', () => {
    const message = messageOf(
      new PropValidator('Widget (Stack/Widget)')
        .integer('count', 0, 1, 10)
        .integer('ratio', 1.5, 1, 10)
        .duration('timeout', Duration.minutes(20), Duration.seconds(1), Duration.minutes(15))
        .pattern('name', 'Bad Name', /^[a-z]+$/, 'lower-case letters only')
        .check(true, 'mode is fast; it needs turbo'),
    );
    expect(message).toBeDefined();
    expect(message).toMatch(/^Invalid Widget \(Stack\/Widget\) props:\n/);
    expect(message).toContain('  - count is 0; it must be an integer from 1 to 10');
    expect(message).toContain('  - ratio is 1.5; it must be an integer from 1 to 10');
    expect(message).toContain('  - timeout is 20 minutes; it must be from 1 second to 15 minutes');
    expect(message).toContain('  - name is "Bad Name"; it must be lower-case letters only');
    expect(message).toContain('  - mode is fast; it needs turbo');
    // One line per problem, in the order they were found.
    expect(message!.split('\n')).toHaveLength(6);
    expect(message!.indexOf('count')).toBeLessThan(message!.indexOf('ratio'));
    expect(message!.indexOf('timeout')).toBeLessThan(message!.indexOf('mode is fast'));
  });

  test('throwIfInvalid throws an Error (toThrow works on it)', () => {
    const v = new PropValidator('Widget').integer('count', 11, 1, 10);
    expect(() => v.throwIfInvalid()).toThrow(/Invalid Widget props:[\s\S]*count is 11; it must be an integer from 1 to 10/);
  });

  test('durations are compared in seconds across units', () => {
    expect(messageOf(new PropValidator('W').duration('d', Duration.hours(25), Duration.hours(24), Duration.days(1)))).toMatch(
      /d is 1 day 1 hour; it must be from 1 day to 1 day/,
    );
    expect(messageOf(new PropValidator('W').duration('d', Duration.minutes(1439), Duration.days(1), Duration.days(2)))).toMatch(/d is /);
    expect(messageOf(new PropValidator('W').duration('d', Duration.seconds(86400), Duration.days(1), Duration.days(2)))).toBeUndefined();
  });

  test('unresolved tokens are skipped (known only at deploy time)', () => {
    const lazyNumber = Lazy.number({ produce: () => 0 });
    const v = new PropValidator('Widget')
      .integer('count', Token.asNumber({ Ref: 'CountParameter' }), 1, 10)
      .integer('lazyCount', lazyNumber, 1, 10)
      .duration('timeout', Duration.seconds(Token.asNumber({ Ref: 'TimeoutParameter' })), Duration.seconds(1), Duration.seconds(2))
      .duration('lazyTimeout', Duration.minutes(Lazy.number({ produce: () => 999 })), Duration.seconds(1), Duration.seconds(2))
      .pattern('name', Lazy.string({ produce: () => 'NOT VALID' }), /^[a-z]+$/, 'lower-case letters only')
      .pattern('tokenName', Token.asString({ Ref: 'NameParameter' }), /^[a-z]+$/, 'lower-case letters only');
    expect(messageOf(v)).toBeUndefined();
  });

  test('a token is skipped while resolved bad values next to it are still reported', () => {
    const message = messageOf(
      new PropValidator('Widget')
        .integer('count', Token.asNumber({ Ref: 'CountParameter' }), 1, 10)
        .integer('other', 42, 1, 10),
    );
    expect(message).toContain('other is 42');
    expect(message).not.toMatch(/count is/);
  });
});

describe('PropValidator under a composite', () => {
  test('nested validators add to the parent error, naming props under their prefix (prefixes compose)', () => {
    const v = new PropValidator('EtlPipeline (S/P)');
    v.nested('transform').integer('memorySize', 64, 128, 10240);
    v.nested('batchWorkflow').nested('schedule').check(true, 'x');
    const mapped = v.nested((p) => (p === 'pipelineName' ? p : `kinesisSource.${p}`));
    mapped.integer('batchSize', 20000, 1, 10000).pattern('pipelineName', 'A', /^[a-z]+$/, 'lower case');
    mapped.check(true, `${mapped.path('batchSize')} and ${v.nested('a').nested('b').path('c')}`);
    expect(v.hasProblems).toBe(true);
    expect(messageOf(v)).toBe(
      [
        'Invalid EtlPipeline (S/P) props:',
        '  - transform.memorySize is 64; it must be an integer from 128 to 10,240',
        '  - x',
        '  - kinesisSource.batchSize is 20,000; it must be an integer from 1 to 10,000',
        '  - pipelineName is "A"; it must be lower case',
        '  - kinesisSource.batchSize and a.b.c',
      ].join('\n'),
    );
  });

  test('a nested validator throws the whole error too; a problem reported twice is listed once', () => {
    const v = new PropValidator('P');
    const child = v.nested('stream');
    v.check(true, 'same');
    child.check(true, 'same');
    expect(() => child.throwIfInvalid()).toThrow(/^Invalid P props:\n {2}- same$/);
  });

  test('number() takes decimals and rejects NaN', () => {
    const v = new PropValidator('W').number('rate', 0.995, 0.9, 0.99999).number('budget', 2e6, 1, 1e6).number('nan', Number.NaN, 0, 1);
    expect(messageOf(v)).toBe(
      ['Invalid W props:', '  - budget is 2,000,000; it must be from 1 to 1,000,000', '  - nan is NaN; it must be from 0 to 1'].join('\n'),
    );
  });

  test('formatNumber groups thousands and leaves decimals and exponents as they are', () => {
    expect([10240, 999, 1000, -1234567, 0.99999, 12345.5, 1e21, Number.NaN].map(formatNumber)).toEqual([
      '10,240',
      '999',
      '1,000',
      '-1,234,567',
      '0.99999',
      '12,345.5',
      '1e+21',
      'NaN',
    ]);
  });

  test('resolutionNote says how a relative path was resolved, and nothing for an absolute one', () => {
    expect(resolutionNote('/abs/x.ts', '/abs/x.ts')).toBe('');
    expect(resolutionNote('x.ts', '/cwd/x.ts')).toBe(` (relative: resolved against the current directory ${process.cwd()} to /cwd/x.ts)`);
  });
});
