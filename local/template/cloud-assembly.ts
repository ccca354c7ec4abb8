import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A CloudFormation resource as it appears in a synthesized template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A CloudFormation template (the parts the local tools read). */
export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/** One stack of a cloud assembly. */
export interface AssemblyStack {
  readonly name: string;
  readonly environment: string;
  readonly template: Template;
  readonly templateFile: string;
}

/** What `cdk synth` produced. */
export interface CloudAssembly {
  readonly directory: string;
  readonly stacks: AssemblyStack[];
  /** Policy-validation findings (cdk-nag, CloudFormation validation), when plugins ran. */
  readonly validationReport?: ValidationReport;
}

/** `<outdir>/validation-report.json` as aws-cdk-lib writes it. */
export interface ValidationReport {
  readonly pluginReports: Array<{
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: Array<{ readonly ruleName: string; readonly severity?: string; readonly description: string }>;
  }>;
}

/** Options for {@link synthesize}. */
export interface SynthOptions {
  /** The app command (as `cdk --app`). Default: the `app` of the project's cdk.json. */
  readonly app?: string;
  /** Where to write the cloud assembly. */
  readonly outdir: string;
  /** Working directory of the CDK CLI (where cdk.json is). */
  readonly cwd?: string;
  /** Context values (as `cdk synth --context key=value`). */
  readonly context?: Readonly<Record<string, string>>;
}

/**
 * Synthesizes an app offline with the project's own CDK CLI (no credentials, no lookups, no
 * notices), then loads the resulting cloud assembly. Throws with the CLI's output on failure.
 */
export function synthesize(options: SynthOptions): CloudAssembly {
  const cwd = options.cwd ?? process.cwd();
  const cli = resolveCdkCli(cwd);
  const args = [cli, 'synth', '--quiet', '--no-notices', '--no-version-reporting', '--output', options.outdir];
  if (options.app) args.push('--app', options.app);
  for (const [key, value] of Object.entries(options.context ?? {})) args.push('--context', `${key}=${value}`);
  fs.rmSync(options.outdir, { recursive: true, force: true });
  const result = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(`cdk synth failed (exit ${result.status ?? result.signal}):\n${output}`);
  }
  return loadCloudAssembly(options.outdir);
}

/**
 * The CDK CLI's entry script: the project's own `aws-cdk` (resolved from `cwd`, as `npx cdk`
 * would find it), else one this package can resolve. Throws saying how to install it.
 */
export function resolveCdkCli(cwd: string): string {
  for (const paths of [[cwd], undefined]) {
    try {
      return require.resolve('aws-cdk/bin/cdk', paths && { paths });
    } catch {
      // not there: next place
    }
  }
  throw new Error(
    `The CDK CLI (the aws-cdk package) is not installed in ${cwd}: the local runner synthesizes your app with it. ` +
      'Install it in your project (npm install --save-dev aws-cdk), or synthesize yourself and pass --assembly <cdk.out>.',
  );
}

/** Reads the stacks (and validation report) of a cloud assembly directory. */
export function loadCloudAssembly(directory: string): CloudAssembly {
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; environment?: string; displayName?: string; properties?: { templateFile?: string } }>;
  };
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const templateFile = path.join(directory, artifact.properties.templateFile);
    stacks.push({
      name: artifact.displayName ?? id,
      environment: artifact.environment ?? 'aws://unknown-account/unknown-region',
      template: JSON.parse(fs.readFileSync(templateFile, 'utf8')) as Template,
      templateFile,
    });
  }
  const reportFile = path.join(directory, 'validation-report.json');
  const validationReport = fs.existsSync(reportFile)
    ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as ValidationReport)
    : undefined;
  return { directory, stacks, validationReport };
}
