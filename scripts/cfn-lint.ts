/**
 * cfn-lint over synthesized templates, with the known false positives of the installed cfn-lint
 * listed one by one with the reason (nothing is silenced wholesale).
 *
 * `npx tsx scripts/cfn-lint.ts <template.json>...` prints every finding and exits 1 when any error
 * is not a known false positive, 3 when cfn-lint is not installed (CI treats that as a failure).
 * Tests call {@link lintTemplates}.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** One finding of `cfn-lint --format json`. */
export interface CfnLintFinding {
  readonly rule: string;
  readonly level: 'Error' | 'Warning' | 'Informational';
  readonly file: string;
  /** The JSON path of the finding in the template, e.g. `Resources/Dashboard/Properties/Tags`. */
  readonly path: string;
  readonly resourceType?: string;
  readonly message: string;
}

/** A finding of cfn-lint that CloudFormation contradicts. */
export interface KnownFalsePositive {
  readonly rule: string;
  readonly resourceType: string;
  /** The property path under `Properties` the finding is about. */
  readonly property: string;
  /** When set, only findings whose message matches (e.g. one value of an enum). */
  readonly message?: RegExp;
  /** Why it is wrong, with the source. */
  readonly reason: string;
}

/** The false positives of cfn-lint 1.51 on templates of this library. */
export const KNOWN_FALSE_POSITIVES: readonly KnownFalsePositive[] = [
  {
    rule: 'E3002',
    resourceType: 'AWS::CloudWatch::Dashboard',
    property: 'Tags',
    reason:
      "cfn-lint's resource schema lacks Tags on AWS::CloudWatch::Dashboard; the CloudFormation template reference " +
      '(aws-resource-cloudwatch-dashboard) lists Tags (up to 50), and aws-cdk-lib writes them from Tags.of().',
  },
  {
    rule: 'E3030',
    resourceType: 'AWS::Lambda::Function',
    property: 'Runtime',
    message: /^'nodejs(2[6-9]|[3-9]\d)\.x' is not one of /,
    reason:
      "cfn-lint 1.51's enum of Lambda runtimes ends at nodejs24.x; aws-cdk-lib 2.278 knows nodejs26.x (Runtime.NODEJS_26_X), " +
      "and the library defaults to the newest Node.js runtime the installed aws-cdk-lib knows (what cdk-nag's latest-runtime " +
      "rules require). Only Node.js runtimes newer than cfn-lint's list match; any other runtime value is still an error.",
  },
];

/** Findings of one cfn-lint run, sorted by what to do about them. */
export interface CfnLintResult {
  /** Errors that are not known false positives: each fails the check. */
  readonly errors: CfnLintFinding[];
  /** Warnings and informational findings: reported, not failing. */
  readonly warnings: CfnLintFinding[];
  /** Errors matched by {@link KNOWN_FALSE_POSITIVES}. */
  readonly knownFalsePositives: CfnLintFinding[];
}

interface RawFinding {
  Rule: { Id: string };
  Level: CfnLintFinding['level'];
  Filename: string;
  Location: { Path: Array<string | number> };
  Message: string;
}

/** Whether cfn-lint is on the PATH. */
export function cfnLintAvailable(): boolean {
  return spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Runs cfn-lint once over the templates. Throws when cfn-lint cannot run. */
export function lintTemplates(templates: readonly string[]): CfnLintResult {
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`cfn-lint could not run: ${run.error.message}`);
  // Exit codes are a bit mask of the levels found (2 error, 4 warning, 8 informational); 1 is a failure of cfn-lint itself.
  if (run.status === 1 || !run.stdout.trim().startsWith('[')) throw new Error(`cfn-lint failed (exit ${run.status}): ${run.stderr || run.stdout}`);
  const resourceTypes = new Map<string, Record<string, { Type?: string }>>();
  const typeOf = (file: string, logicalId: string) => {
    if (!resourceTypes.has(file)) resourceTypes.set(file, (JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources?: Record<string, { Type?: string }> }).Resources ?? {});
    return resourceTypes.get(file)?.[logicalId]?.Type;
  };
  const findings = (JSON.parse(run.stdout) as RawFinding[]).map((raw): CfnLintFinding => {
    const [section, logicalId] = raw.Location.Path;
    return {
      rule: raw.Rule.Id,
      level: raw.Level,
      file: raw.Filename,
      path: raw.Location.Path.join('/'),
      resourceType: section === 'Resources' && typeof logicalId === 'string' ? typeOf(raw.Filename, logicalId) : undefined,
      message: raw.Message,
    };
  });
  const known = (f: CfnLintFinding) =>
    KNOWN_FALSE_POSITIVES.some(
      (k) =>
        k.rule === f.rule &&
        k.resourceType === f.resourceType &&
        f.path.split('/').slice(2).join('/') === `Properties/${k.property}` &&
        (k.message === undefined || k.message.test(f.message)),
    );
  const errors = findings.filter((f) => f.level === 'Error');
  return {
    errors: errors.filter((f) => !known(f)),
    knownFalsePositives: errors.filter(known),
    warnings: findings.filter((f) => f.level !== 'Error'),
  };
}

/** One line per finding. */
export function formatFinding(f: CfnLintFinding): string {
  return `${f.rule} ${f.level} ${f.file} ${f.path}${f.resourceType ? ` (${f.resourceType})` : ''}: ${f.message}`;
}

if (require.main === module) {
  const templates = process.argv.slice(2);
  if (templates.length === 0) {
    console.error('usage: tsx scripts/cfn-lint.ts <template.json>...');
    process.exit(2);
  }
  if (!cfnLintAvailable()) {
    console.error('cfn-lint is not installed (pip install cfn-lint)');
    process.exit(3);
  }
  const result = lintTemplates(templates);
  for (const f of result.warnings) console.log(`warning: ${formatFinding(f)}`);
  for (const f of result.knownFalsePositives) console.log(`known false positive: ${formatFinding(f)}`);
  for (const f of result.errors) console.log(`ERROR: ${formatFinding(f)}`);
  console.log(`cfn-lint: ${templates.length} template(s), ${result.errors.length} error(s), ${result.knownFalsePositives.length} known false positive(s), ${result.warnings.length} warning(s)`);
  process.exit(result.errors.length > 0 ? 1 : 0);
}
