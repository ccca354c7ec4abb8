import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cdkJson from '../../cdk.json';

/** The repository root. */
export const ROOT = path.join(__dirname, '..', '..');
/** The reference transform, used wherever a test needs a real transform module. */
export const CLICKSTREAM_TRANSFORM = path.join(ROOT, 'examples', 'clickstream', 'transform.ts');
/** The fixed environment of test stacks (no lookups, deterministic templates). */
export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' };

/** Options for {@link testApp}. */
export interface TestAppOptions {
  /** Run esbuild for Lambda assets (slower). Default false: assets are staged without bundling. */
  readonly bundle?: boolean;
}

/** An App with the project's cdk.json context (feature flags), as `cdk synth` would create it. */
export function testApp(options: TestAppOptions = {}): App {
  return new App({
    context: {
      ...cdkJson.context,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
}

/** A stack in {@link TEST_ENV} inside a fresh test app. */
export function testStack(options: TestAppOptions = {}): Stack {
  return new Stack(testApp(options), 'TestStack', { env: TEST_ENV });
}

/**
 * The template as JSON with content hashes replaced, so snapshots change when the infrastructure
 * changes, not when runtime code or a transform is edited.
 */
export function stableTemplate(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(
    json
      .replace(/[0-9a-f]{64}(\.zip)?/g, (_m, zip: string | undefined) => `<asset-hash>${zip ?? ''}`)
      .replace(/(CurrentVersion)[0-9A-F]{8}[0-9a-f]{32}/g, '$1<hash>')
      .replace(/"TRANSFORM_VERSION":"[0-9a-f]{12}"/g, '"TRANSFORM_VERSION":"<sha>"'),
  );
}
