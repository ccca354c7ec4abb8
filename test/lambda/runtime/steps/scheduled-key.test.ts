import { resolveKey } from '../../../../lambda/runtime/steps/scheduled-key';
import { StepAction } from '../../../../lib/contract/workflow-steps';

describe('resolveKey', () => {
  test('fills the date placeholders from the fire time minus the offset, in UTC', () => {
    const input = { action: StepAction.RESOLVE_KEY as const, template: 'exports/{yyyy}/{MM}/{dd}/{HH}/dt={date}.jsonl', time: '2026-03-01T00:30:00Z' };
    expect(resolveKey(input)).toBe('exports/2026/03/01/00/dt=2026-03-01.jsonl');
    // One day back crosses the month (and a leap-year-free February).
    expect(resolveKey({ ...input, offsetSeconds: 86400 })).toBe('exports/2026/02/28/00/dt=2026-02-28.jsonl');
    expect(resolveKey({ ...input, template: 'fixed.jsonl' })).toBe('fixed.jsonl');
  });

  test('fails for an unknown placeholder or a time that is not a date', () => {
    expect(() => resolveKey({ action: StepAction.RESOLVE_KEY, template: 'x/{day}', time: '2026-03-01T00:00:00Z' })).toThrow('unknown placeholder {day}');
    expect(() => resolveKey({ action: StepAction.RESOLVE_KEY, template: 'x/{date}', time: 'yesterday' })).toThrow('is not an ISO 8601 date');
  });

  test('prototype-free: {constructor}, {toString} and {__proto__} are unknown placeholders, not inherited members', () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      expect(() => resolveKey({ action: StepAction.RESOLVE_KEY, template: `x/{${name}}`, time: '2026-03-01T00:00:00Z' })).toThrow(`unknown placeholder {${name}}`);
    }
  });
});
