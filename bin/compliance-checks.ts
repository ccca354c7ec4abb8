import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';

/**
 * Runs the cdk-nag rule packs the reference stack is held to (AwsSolutions, Serverless,
 * NIST 800-53 R5, HIPAA Security) as policy-validation plugins: findings fail synth and are
 * written to `<outdir>/validation-report.json`.
 */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new ServerlessChecks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
  );
}
