/**
 * What the watermark publisher computes each minute from the newest curated event time of a
 * source (its watermark): the watermark's age, and for a batch source with a deadline, how
 * overdue the export due at the last deadline is. Pure functions of the watermark and the clock.
 */

/** A daily batch deadline: the export of day D is loaded by `loadedBy` (local `HH:MM`) on day D+1. */
export interface DailyDeadline {
  /** `HH:MM`, 24-hour, local to `timeZone`. */
  readonly loadedBy: string;
  /** IANA time zone of `loadedBy` and of the day boundaries (`UTC`, `Europe/Berlin`). */
  readonly timeZone: string;
}

/**
 * Seconds from the watermark to `nowMs`: 0 for a watermark in the future, and the whole lookback
 * when there is no watermark in it (nothing curated for at least that long).
 */
export function watermarkAgeSeconds(watermarkMs: number | undefined, nowMs: number, lookbackSeconds: number): number {
  if (watermarkMs === undefined) return lookbackSeconds;
  return Math.min(lookbackSeconds, Math.max(0, Math.floor((nowMs - watermarkMs) / 1000)));
}

/**
 * Seconds since the last deadline passed while the export it was for is not loaded, else 0.
 *
 * At `nowMs` the last deadline is today's `loadedBy` if that has passed, else yesterday's; it was
 * for the day before it (D). The export of D is loaded when the batch watermark reached D: some
 * record of D was curated (the watermark is the newest event time curated, so it is at or after the
 * start of D exactly when a record of D or later was loaded).
 */
export function batchOverdueSeconds(watermarkMs: number | undefined, nowMs: number, deadline: DailyDeadline): number {
  const [hour, minute] = parseLoadedBy(deadline.loadedBy);
  const today = localDate(nowMs, deadline.timeZone);
  let deadlineMs = instantOf(today, hour, minute, deadline.timeZone);
  let deadlineDay = today;
  if (nowMs < deadlineMs) {
    deadlineDay = addDays(today, -1);
    deadlineMs = instantOf(deadlineDay, hour, minute, deadline.timeZone);
  }
  const dueDayStart = instantOf(addDays(deadlineDay, -1), 0, 0, deadline.timeZone);
  const loaded = watermarkMs !== undefined && watermarkMs >= dueDayStart;
  return loaded ? 0 : Math.floor((nowMs - deadlineMs) / 1000);
}

/** `HH:MM` as [hour, minute]; throws on anything else (the construct validates it at synth). */
export function parseLoadedBy(loadedBy: string): [number, number] {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(loadedBy);
  if (!match) throw new Error(`batch deadline ${JSON.stringify(loadedBy)} is not HH:MM (00:00 to 23:59)`);
  return [Number(match[1]), Number(match[2])];
}

/** A calendar date (month 1-12). */
interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** The wall-clock date and time of an instant in a time zone. */
function wallClock(epochMs: number, timeZone: string): LocalDate & { hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(new Date(epochMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute') };
}

function localDate(epochMs: number, timeZone: string): LocalDate {
  const { year, month, day } = wallClock(epochMs, timeZone);
  return { year, month, day };
}

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The instant a wall-clock time occurs in a time zone: the UTC reading corrected by the zone's
 * offset at that instant (twice, for an offset that changes in between; a time skipped by a
 * daylight-saving change resolves to the hour after).
 */
function instantOf(date: LocalDate, hour: number, minute: number, timeZone: string): number {
  const wanted = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  let instant = wanted;
  for (let i = 0; i < 2; i++) {
    const w = wallClock(instant, timeZone);
    const shown = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
    if (shown === wanted) break;
    instant += wanted - shown;
  }
  return instant;
}
