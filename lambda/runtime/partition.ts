/**
 * Hive-style partition of a curated record by its event time: `dt=YYYY-MM-DD/hr=HH` (UTC).
 * Falls back to the time the source received the record when the event time is missing or
 * not a parseable date.
 */
export function partitionFor(eventTime: unknown, receivedAtMs: number): string {
  let ms = typeof eventTime === 'string' || typeof eventTime === 'number' ? new Date(eventTime).getTime() : NaN;
  if (Number.isNaN(ms)) ms = receivedAtMs;
  const iso = new Date(ms).toISOString();
  return `dt=${iso.slice(0, 10)}/hr=${iso.slice(11, 13)}`;
}
