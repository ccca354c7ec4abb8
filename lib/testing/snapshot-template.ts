import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RUNTIME_ENV } from '../contract/environment';

/**
 * A stack's template for jest snapshots that change when the infrastructure changes, not when the
 * code of a transform, a schema or the runtime is edited.
 *
 * Replaced: asset hashes (`S3Key` of Lambda code, asset parameters), the content-derived logical ids
 * of Lambda versions (`FunctionCurrentVersion<hash>`) and every reference to them, and the
 * `TRANSFORM_VERSION` environment variable (a digest of the bundle). Everything else is kept.
 *
 * @example
 *   expect(SnapshotTemplate.fromStack(stack)).toMatchSnapshot();
 */
export class SnapshotTemplate {
  /** The stack's synthesized template (a JSON object) with content hashes replaced. */
  public static fromStack(stack: Stack): Record<string, unknown> {
    return SnapshotTemplate.fromJson(Template.fromStack(stack).toJSON());
  }

  /** A template (the JSON of a synthesized stack) with content hashes replaced. */
  public static fromJson(template: Record<string, unknown>): Record<string, unknown> {
    const transformVersion = new RegExp(`"${RUNTIME_ENV.transformVersion}":"[0-9a-f]+"`, 'g');
    const json = JSON.stringify(template)
      .replace(/[0-9a-f]{64}/g, '<asset-hash>')
      .replace(/(CurrentVersion)[0-9A-F]{8}[0-9a-f]{32}/g, '$1<hash>')
      .replace(transformVersion, `"${RUNTIME_ENV.transformVersion}":"<sha>"`);
    return JSON.parse(json) as Record<string, unknown>;
  }

  private constructor() {}
}
