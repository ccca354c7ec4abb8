import * as path from 'node:path';
import { Duration, Token } from 'aws-cdk-lib';

/** Maps a prop name as a construct knows it to the path the user wrote it at (e.g. `memorySize` → `transform.memorySize`). */
export type PropPathMapper = (prop: string) => string;

/**
 * Collects every problem with a construct's props, then throws once.
 *
 * Constructs validate all their props before creating anything, so a user sees every mistake in
 * one synth instead of fixing them one at a time. Each message names the prop by the path the
 * user wrote, the value given and the allowed range (numbers with thousands separators). Values
 * that are unresolved tokens are skipped (they are only known at deploy time).
 *
 * Each construct's checks live in one function taking a validator. The construct calls it with
 * its own validator (props named as the construct knows them); a composite such as `EtlPipeline`
 * calls it with {@link PropValidator.nested}, which adds to the composite's one error and names
 * each prop by the composite's path (`transform.memorySize`).
 */
export class PropValidator {
  private problems: string[] = [];
  private pathOf: PropPathMapper = (prop) => prop;

  /** @param construct the construct path or class name used as the error message's subject. */
  constructor(private readonly construct: string) {}

  /**
   * A validator adding to this one's problems whose props are named under `prefix`: with
   * `'transform'`, `memorySize` is reported as `transform.memorySize`. A function maps each
   * prop name itself (for props spread from several places of the user's props).
   */
  public nested(prefix: string | PropPathMapper): PropValidator {
    const child = new PropValidator(this.construct);
    child.problems = this.problems;
    const parent = this.pathOf;
    child.pathOf = typeof prefix === 'string' ? (prop) => parent(`${prefix}.${prop}`) : (prop) => parent(prefix(prop));
    return child;
  }

  /** The path the user wrote `prop` at; use it in {@link PropValidator.check} messages. */
  public path(prop: string): string {
    return this.pathOf(prop);
  }

  /** True when a problem was found so far (by this validator or any nested one). */
  public get hasProblems(): boolean {
    return this.problems.length > 0;
  }

  /** Checks an integer lies within [min, max]. */
  public integer(prop: string, value: number | undefined, min: number, max: number): this {
    if (value === undefined || Token.isUnresolved(value)) return this;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.add(`${this.path(prop)} is ${formatNumber(value)}; it must be an integer from ${formatNumber(min)} to ${formatNumber(max)}`);
    }
    return this;
  }

  /** Checks a number (not only integers) lies within [min, max]. */
  public number(prop: string, value: number | undefined, min: number, max: number): this {
    if (value === undefined || Token.isUnresolved(value)) return this;
    if (!(value >= min && value <= max)) {
      this.add(`${this.path(prop)} is ${formatNumber(value)}; it must be from ${formatNumber(min)} to ${formatNumber(max)}`);
    }
    return this;
  }

  /** Checks a duration lies within [min, max], comparing in seconds. */
  public duration(prop: string, value: Duration | undefined, min: Duration, max: Duration): this {
    if (value === undefined || value.isUnresolved()) return this;
    const seconds = value.toSeconds();
    if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
      this.add(
        `${this.path(prop)} is ${value.toHumanString()}; it must be from ${min.toHumanString()} to ${max.toHumanString()}`,
      );
    }
    return this;
  }

  /** Checks a string matches a pattern, describing the pattern in words. */
  public pattern(prop: string, value: string | undefined, pattern: RegExp, description: string): this {
    if (value === undefined || Token.isUnresolved(value)) return this;
    if (!pattern.test(value)) {
      this.add(`${this.path(prop)} is ${JSON.stringify(value)}; it must be ${description}`);
    }
    return this;
  }

  /**
   * Records a problem when `condition` is true. Name props in `message` with
   * {@link PropValidator.path}, so a composite reports them by the user's path.
   */
  public check(condition: boolean, message: string): this {
    if (condition) this.add(message);
    return this;
  }

  /** Records a problem once (a composite may reach one prop through two constructs' checks). */
  private add(problem: string): void {
    if (!this.problems.includes(problem)) this.problems.push(problem);
  }

  /** Throws one error listing every problem found, if any. */
  public throwIfInvalid(): void {
    if (this.problems.length === 0) return;
    const lines = this.problems.map((p) => `  - ${p}`).join('\n');
    throw new Error(`Invalid ${this.construct} props:\n${lines}`);
  }
}

/** A number for a message: thousands separated (10,240), decimals as they are (0.995). */
export function formatNumber(value: number): string {
  const text = String(value);
  if (!Number.isFinite(value) || /e/i.test(text)) return text;
  const [whole, fraction] = text.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/**
 * For an error about a path prop: how a relative path was resolved (against the current
 * directory: where `cdk synth` runs the app), e.g. ` (relative: resolved against /app to
 * /app/x.ts)`; empty for an absolute path.
 */
export function resolutionNote(given: string, resolved: string): string {
  return path.isAbsolute(given) ? '' : ` (relative: resolved against the current directory ${process.cwd()} to ${resolved})`;
}
