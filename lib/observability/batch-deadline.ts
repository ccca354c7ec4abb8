import { Duration, Token } from 'aws-cdk-lib';
import { AlarmSeverity } from './alarm-routing';
import { PropValidator } from '../core/prop-validator';

/**
 * The deadline of a daily batch: the export of day D's events is loaded by `loadedBy` on day D+1
 * (the batch path's freshness SLI, in place of the streaming lag).
 */
export interface BatchDeadline {
  /**
   * Local time of day, 24-hour `HH:MM` (`00:00` to `23:59`), by which the export of the previous
   * day is loaded: with `'06:00'`, the export of 3 March is loaded by 06:00 on 4 March.
   */
  readonly loadedBy: string;
  /**
   * IANA time zone of `loadedBy` and of the day boundaries (`'Europe/Berlin'`).
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /**
   * Who is told when a deadline passes with its export not loaded.
   * @default AlarmSeverity.PAGE
   */
  readonly severity?: AlarmSeverity;
}

/** `HH:MM`, 24-hour. */
const LOADED_BY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Whether the runtime knows the IANA time zone (Lambda's Node.js has full ICU, as the synth's does). */
function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Checks a {@link BatchDeadline} given at `prop` (e.g. `batchDeadline`); adds each problem to `v`. */
export function validateBatchDeadline(v: PropValidator, prop: string, deadline: BatchDeadline | undefined): void {
  if (deadline === undefined) return;
  v.pattern(`${prop}.loadedBy`, deadline.loadedBy, LOADED_BY, "a 24-hour local time 'HH:MM' from '00:00' to '23:59' (e.g. '06:00')");
  const zone = deadline.timeZone;
  if (zone !== undefined && !Token.isUnresolved(zone)) {
    v.check(
      !isTimeZone(zone),
      `${v.path(`${prop}.timeZone`)} is ${JSON.stringify(zone)}; it must be an IANA time zone name such as 'UTC' or 'Europe/Berlin'`,
    );
  }
  if (deadline.severity !== undefined) {
    v.check(
      !Object.values(AlarmSeverity).includes(deadline.severity),
      `${v.path(`${prop}.severity`)} is ${JSON.stringify(deadline.severity)}; it must be one of ${Object.values(AlarmSeverity).join(', ')}`,
    );
  }
}

/**
 * The default staleness threshold of a batch source with this deadline: a day (the cadence), plus
 * the deadline's time after midnight (how old the newest record of a day is when its export is due),
 * plus 6 hours for a day whose last record came before midnight.
 */
export function batchStaleAfter(deadline: BatchDeadline): Duration {
  const match = LOADED_BY.exec(deadline.loadedBy);
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : 0;
  return Duration.minutes(24 * 60 + minutes + 6 * 60);
}
