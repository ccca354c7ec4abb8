import { ScheduledKey } from '../../../lib/orchestration/fragments/scheduled-key';
import { execute, renderFragment, taskError, type Json } from './support';

const { definition } = renderFragment((stack, stubs) => new ScheduledKey(stack, 'Key', { stepsFunction: stubs.stepsFunction, onUnresolved: stubs.elsewhere }).next(stubs.next));
const SCHEDULED = { bucket: 'raw', keyTemplate: 'exports/dt={date}/e.jsonl', scheduledTime: '2026-11-24T02:00:00Z', keyOffsetSeconds: 86400 };

describe('ScheduledKey', () => {
  test('a scheduled run\'s template is resolved from the fire time and offset into $.key', async () => {
    const { output, calls } = await execute(definition, SCHEDULED, { ResolveScheduledKey: () => 'exports/dt=2026-11-23/e.jsonl' });
    expect(calls[0].input).toEqual({ action: 'resolveKey', template: SCHEDULED.keyTemplate, time: SCHEDULED.scheduledTime, offsetSeconds: 86400 });
    expect(output).toEqual({ ...SCHEDULED, key: 'exports/dt=2026-11-23/e.jsonl', reached: 'Continue' });
  });

  test('other runs (no keyTemplate) pass through unchanged', async () => {
    const { output, calls } = await execute(definition, { bucket: 'raw', key: 'batch/a.jsonl' }, {});
    expect(calls).toEqual([]);
    expect(output).toEqual({ bucket: 'raw', key: 'batch/a.jsonl', reached: 'Continue' });
  });

  test('a key that cannot be resolved goes to onUnresolved with the template as the key', async () => {
    const { failure } = await execute(definition, SCHEDULED, { ResolveScheduledKey: (i: Json) => Promise.reject(taskError('Error', `bad ${String(i.template)}`)) });
    expect(failure?.error).toBe('Elsewhere');
    const keyUnresolved = (definition.States as Json).KeyUnresolved;
    expect(keyUnresolved.Parameters).toEqual({ 'bucket.$': '$.bucket', 'key.$': '$.keyTemplate', 'failure.$': '$.failure' });
  });
});
