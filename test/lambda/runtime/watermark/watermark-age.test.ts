import { batchOverdueSeconds, parseLoadedBy, watermarkAgeSeconds } from '../../../../lambda/runtime/watermark/watermark-age';

const at = (iso: string) => Date.parse(iso);
const LOOKBACK = 14 * 24 * 3600;

describe('watermarkAgeSeconds', () => {
  it('is the whole seconds from the watermark to now', () => {
    expect(watermarkAgeSeconds(at('2026-03-03T10:00:00Z'), at('2026-03-03T10:15:30.900Z'), LOOKBACK)).toBe(930);
  });

  it('is the whole lookback without a watermark (nothing curated in it), and never more', () => {
    expect(watermarkAgeSeconds(undefined, at('2026-03-03T10:00:00Z'), LOOKBACK)).toBe(LOOKBACK);
    expect(watermarkAgeSeconds(at('2025-01-01T00:00:00Z'), at('2026-03-03T10:00:00Z'), LOOKBACK)).toBe(LOOKBACK);
  });

  it('is 0 for a watermark ahead of the clock', () => {
    expect(watermarkAgeSeconds(at('2026-03-03T10:00:05Z'), at('2026-03-03T10:00:00Z'), LOOKBACK)).toBe(0);
  });
});

describe('batchOverdueSeconds (the export of day D is loaded by loadedBy on D+1)', () => {
  const utc = { loadedBy: '06:00', timeZone: 'UTC' };

  it('is 0 before the deadline while the previous export is loaded, and once the due day has a record', () => {
    // At 05:59 on 4 March the last deadline was 06:00 on 3 March, for 2 March.
    expect(batchOverdueSeconds(at('2026-03-02T23:59:00Z'), at('2026-03-04T05:59:00Z'), utc)).toBe(0);
    // At 06:00 on 4 March the export of 3 March is due: its first record is enough.
    expect(batchOverdueSeconds(at('2026-03-03T00:00:00Z'), at('2026-03-04T06:00:00Z'), utc)).toBe(0);
  });

  it('counts the seconds since the deadline while the due day has no record curated', () => {
    expect(batchOverdueSeconds(at('2026-03-02T23:59:59Z'), at('2026-03-04T06:00:00Z'), utc)).toBe(0 * 60);
    expect(batchOverdueSeconds(at('2026-03-02T23:59:59Z'), at('2026-03-04T08:30:00Z'), utc)).toBe(150 * 60);
    expect(batchOverdueSeconds(undefined, at('2026-03-04T06:01:00Z'), utc)).toBe(60);
  });

  it('reads the deadline and the day boundaries in the time zone', () => {
    const berlin = { loadedBy: '06:00', timeZone: 'Europe/Berlin' };
    // 06:00 in Berlin (UTC+1 in March before the change) is 05:00 UTC; day 3 March starts at 23:00 UTC on 2 March.
    expect(batchOverdueSeconds(at('2026-03-02T22:59:00Z'), at('2026-03-04T05:01:00Z'), berlin)).toBe(60);
    expect(batchOverdueSeconds(at('2026-03-02T23:00:00Z'), at('2026-03-04T05:01:00Z'), berlin)).toBe(0);
    expect(batchOverdueSeconds(at('2026-03-02T22:59:00Z'), at('2026-03-04T04:59:00Z'), berlin)).toBe(0);
  });

  it('follows a daylight-saving change (Berlin moves to UTC+2 on 29 March 2026)', () => {
    const berlin = { loadedBy: '06:00', timeZone: 'Europe/Berlin' };
    // Due at 06:00 CEST on 30 March (04:00 UTC), for 29 March, which starts at 23:00 UTC on 28 March.
    expect(batchOverdueSeconds(at('2026-03-28T22:59:00Z'), at('2026-03-30T04:01:00Z'), berlin)).toBe(60);
    expect(batchOverdueSeconds(at('2026-03-28T23:00:00Z'), at('2026-03-30T04:01:00Z'), berlin)).toBe(0);
  });

  it('handles a deadline just after midnight and one just before', () => {
    expect(batchOverdueSeconds(at('2026-03-02T12:00:00Z'), at('2026-03-04T00:31:00Z'), { loadedBy: '00:30', timeZone: 'UTC' })).toBe(60);
    expect(batchOverdueSeconds(at('2026-03-01T12:00:00Z'), at('2026-03-03T23:59:30Z'), { loadedBy: '23:59', timeZone: 'UTC' })).toBe(30);
  });
});

describe('parseLoadedBy', () => {
  it('reads HH:MM and refuses anything else', () => {
    expect(parseLoadedBy('06:30')).toEqual([6, 30]);
    expect(parseLoadedBy('23:59')).toEqual([23, 59]);
    for (const bad of ['6:30', '24:00', '12:60', '06:30:00', '']) expect(() => parseLoadedBy(bad)).toThrow(/is not HH:MM/);
  });
});
