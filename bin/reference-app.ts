#!/usr/bin/env node
/**
 * The reference CDK app: `npx cdk synth` / `npx cdk deploy` of the clickstream pipeline.
 * Synth is offline: the account and region come from the CLI's environment when deploying and
 * fall back to placeholders otherwise (no lookups, no credentials needed).
 */
import { App } from 'aws-cdk-lib';
import { ClickstreamPipelineStack, deduplicationFromContext } from './clickstream-pipeline-stack';
import { addComplianceChecks } from './compliance-checks';

const app = new App();
new ClickstreamPipelineStack(app, 'ClickstreamPipeline', {
  deduplication: deduplicationFromContext(app.node.tryGetContext('deduplication')),
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? '123456789012',
    region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
  },
});
if (process.env.ETL_NAG !== 'false') addComplianceChecks(app);
app.synth();

