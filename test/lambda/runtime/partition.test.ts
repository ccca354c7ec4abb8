import { partitionFor } from '../../../lambda/runtime/partition';

const RECEIVED = Date.parse('2026-11-24T10:59:59.999Z');

describe('partitionFor', () => {
  it.each([
    ['2026-11-24T09:00:07.000Z', 'dt=2026-11-24/hr=09'],
    ['2026-11-24T23:59:59Z', 'dt=2026-11-24/hr=23'],
    ['2026-11-25T00:00:00Z', 'dt=2026-11-25/hr=00'],
    // An offset is converted to UTC, including across a day boundary.
    ['2026-11-24T23:30:00-02:00', 'dt=2026-11-25/hr=01'],
    ['2026-11-24T01:30:00+05:00', 'dt=2026-11-23/hr=20'],
  ])('partitions event time %s as %s (UTC)', (eventTime, expected) => {
    expect(partitionFor(eventTime, RECEIVED)).toBe(expected);
  });

  it('accepts epoch milliseconds', () => {
    expect(partitionFor(Date.parse('2026-02-03T04:05:06Z'), RECEIVED)).toBe('dt=2026-02-03/hr=04');
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['unparseable', 'yesterday-ish'],
    ['an empty string', ''],
    ['an object', { at: '2026-01-01T00:00:00Z' }],
    ['a boolean', true],
  ])('falls back to the receive time when the event time is %s', (_label, eventTime) => {
    expect(partitionFor(eventTime, RECEIVED)).toBe('dt=2026-11-24/hr=10');
  });
});
