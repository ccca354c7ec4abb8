/**
 * What every scenario app of the package check shares: an App as a user's app creates it, with the
 * cdk-nag packs a user runs (v3, as policy-validation plugins: findings fail synth and land in
 * `<outdir>/validation-report.json`, which check-scenarios.ts reads).
 *
 * The context is empty (no feature flags, as an app without them in cdk.json), unless
 * SCENARIO_FLAGS=recommended: then the flags `cdk init` writes for the installed aws-cdk-lib.
 */
import { App, Validations } from 'aws-cdk-lib';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

export const ACCOUNT = '111111111111';
export const REGION = 'eu-west-1';
export const ENV = { account: ACCOUNT, region: REGION };

/** A user's App: outdir from argv[2] (or CDK_OUTDIR, as the CDK CLI sets it), nag packs added. */
export function consumerApp(): App {
  const context = process.env['SCENARIO_FLAGS'] === 'recommended' ? { ...CURRENTLY_RECOMMENDED_FLAGS } : undefined;
  const app = new App({ outdir: process.argv[2] || undefined, context });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return app;
}
