import { Duration, Token } from 'aws-cdk-lib';

/**
 * Collects every problem with a construct's props, then throws once.
 *
 * Constructs validate all their props before creating anything, so a user sees every mistake in
 * one synth instead of fixing them one at a time. Each message names the prop, the value given
 * and the allowed range. Values that are unresolved tokens are skipped (they are only known at
 * deploy time).
 */
export class PropValidator {
  private readonly problems: string[] = [];

  /** @param construct the construct path or class name used as the error message's subject. */
  constructor(private readonly construct: string) {}

  /** Checks an integer lies within [min, max]. */
  public integer(prop: string, value: number | undefined, min: number, max: number): this {
    if (value === undefined || Token.isUnresolved(value)) return this;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${prop} is ${value}; it must be an integer from ${min} to ${max}`);
    }
    return this;
  }

  /** Checks a duration lies within [min, max], comparing in seconds. */
  public duration(prop: string, value: Duration | undefined, min: Duration, max: Duration): this {
    if (value === undefined || value.isUnresolved()) return this;
    const seconds = value.toSeconds();
    if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
      this.problems.push(
        `${prop} is ${value.toHumanString()}; it must be from ${min.toHumanString()} to ${max.toHumanString()}`,
      );
    }
    return this;
  }

  /** Checks a string matches a pattern, describing the pattern in words. */
  public pattern(prop: string, value: string | undefined, pattern: RegExp, description: string): this {
    if (value === undefined || Token.isUnresolved(value)) return this;
    if (!pattern.test(value)) {
      this.problems.push(`${prop} is ${JSON.stringify(value)}; it must be ${description}`);
    }
    return this;
  }

  /** Records a problem when `condition` is true. */
  public check(condition: boolean, message: string): this {
    if (condition) this.problems.push(message);
    return this;
  }

  /** Throws one error listing every problem found, if any. */
  public throwIfInvalid(): void {
    if (this.problems.length === 0) return;
    const lines = this.problems.map((p) => `  - ${p}`).join('\n');
    throw new Error(`Invalid ${this.construct} props:\n${lines}`);
  }
}
