import { alarmNameOf, breachStart, incidentTiming, parseAlarmTime, triggeringAlarmArns } from '../../../lambda/runtime/incident-timing';
import { compositeAlarmRaised, metricMathAlarmRaised, metricMathAlarmRecovered } from '../handlers/fixtures/alarm-events';

describe('incident timing from alarm state change events', () => {
  test('CloudWatch timestamps (offset without a colon) are read to the millisecond', () => {
    expect(parseAlarmTime('2026-12-07T17:04:40.989+0000')).toBe(Date.UTC(2026, 11, 7, 17, 4, 40, 989));
    expect(parseAlarmTime('2026-12-07T17:04:40Z')).toBe(Date.UTC(2026, 11, 7, 17, 4, 40));
    expect(parseAlarmTime('yesterday')).toBeNaN();
    expect(parseAlarmTime(undefined)).toBeNaN();
  });

  test('into ALARM: time to detect runs from the start of the evaluated range (reasonData startDate) to the state change', () => {
    expect(incidentTiming(metricMathAlarmRaised().detail)).toEqual({
      kind: 'detect',
      seconds: 3881, // 16:00:00 → 17:04:40.989 is 3880.989 s, to a tenth of a second
      from: '2026-12-07T16:00:00.000Z',
      to: '2026-12-07T17:04:40.989Z',
    });
  });

  test('evaluated datapoints, when the reason data has them, give the breach start', () => {
    const event = metricMathAlarmRaised();
    const state = {
      ...event.detail.state,
      reasonData: JSON.stringify({
        version: '1.0',
        startDate: '2026-12-07T16:40:00.000+0000',
        period: 60,
        evaluatedDatapoints: [
          { timestamp: '2026-12-07T16:42:00.000+0000', value: 9 },
          { timestamp: '2026-12-07T16:41:00.000+0000', value: 7 },
        ],
      }),
    };
    expect(breachStart(state)).toBe(Date.UTC(2026, 11, 7, 16, 41));
  });

  test('ALARM → OK: time to recover runs from the previous (ALARM) state to OK', () => {
    expect(incidentTiming(metricMathAlarmRecovered().detail)).toEqual({
      kind: 'recover',
      seconds: 2490,
      from: '2026-12-07T17:04:40.989Z',
      to: '2026-12-07T17:46:10.989Z',
    });
  });

  test('transitions through INSUFFICIENT_DATA measure nothing', () => {
    const recovered = metricMathAlarmRecovered().detail;
    expect(incidentTiming({ ...recovered, previousState: { ...recovered.previousState!, value: 'INSUFFICIENT_DATA' } })).toBeUndefined();
    expect(incidentTiming({ ...recovered, state: { ...recovered.state, value: 'INSUFFICIENT_DATA' } })).toBeUndefined();
  });

  test('a composite alarm has no data of its own: no breach start unless its handler supplies one', () => {
    const composite = compositeAlarmRaised().detail;
    expect(breachStart(composite.state)).toBeUndefined();
    expect(incidentTiming(composite)).toBeUndefined();
    expect(incidentTiming(composite, Date.UTC(2026, 11, 7, 9, 5))).toEqual({
      kind: 'detect',
      seconds: 450.3,
      from: '2026-12-07T09:05:00.000Z',
      to: '2026-12-07T09:12:30.250Z',
    });
    expect(triggeringAlarmArns(composite.state).map(alarmNameOf)).toEqual(['TestStack-SlosSuccessRateBurn0Long-AAA', 'TestStack-SlosSuccessRateBurn0Short-BBB']);
  });

  test('malformed reason data is no breach start, not an error', () => {
    const state = { ...metricMathAlarmRaised().detail.state, reasonData: '{not json' };
    expect(breachStart(state)).toBeUndefined();
    expect(triggeringAlarmArns(state)).toEqual([]);
  });
});
