import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
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
