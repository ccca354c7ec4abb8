// aws-cdk-lib's CloudFormation validation costs seconds per synth; one reference-stack test turns it
// back on explicitly (test/bin/reference-stack.test.ts).
process.env.CDK_VALIDATION = 'false';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
