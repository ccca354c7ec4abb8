/**
 * One Lambda function of the plain stack, bundled the way a plain aws-cdk-lib user would: a
 * `NodejsFunction` (local esbuild, one `npx esbuild` spawn per function), or, with `bundler:
 * 'in-process'`, `Code.fromAsset` with local bundling through esbuild's API (the proposed fix).
 */
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as esbuild from 'esbuild';
import { Construct } from 'constructs';

export type PlainBundler = 'npx' | 'in-process';

export interface PlainFunctionProps extends Omit<lambda.FunctionOptions, 'runtime'> {
  /** The handler module (TypeScript), exporting `handler`. */
  readonly entry: string;
  /** esbuild module aliases (`--alias:<module>=<path>`). */
  readonly aliases?: Record<string, string>;
  readonly bundler: PlainBundler;
}

export function plainFunction(scope: Construct, id: string, props: PlainFunctionProps): lambda.Function {
  const { entry, aliases = {}, bundler, ...options } = props;
  const common = { runtime: lambda.Runtime.NODEJS_24_X, ...options };
  if (bundler === 'npx') {
    return new nodejs.NodejsFunction(scope, id, {
      ...common,
      entry,
      handler: 'handler',
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: false,
        target: 'node24',
        format: nodejs.OutputFormat.CJS,
        esbuildArgs: Object.fromEntries(Object.entries(aliases).map(([k, v]) => [`--alias:${k}`, v])),
      },
    });
  }
  return new lambda.Function(scope, id, {
    ...common,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(path.dirname(entry), {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        image: DockerImage.fromRegistry('unused-local-bundling'),
        // aws-cdk-lib caches staged assets by source directory and the JSON of these options, where
        // `local.tryBundle` (a function) does not appear: naming the entry and aliases here keeps
        // functions with different transforms in the same directory from sharing one bundle.
        environment: { PLAIN_BUNDLE: JSON.stringify({ entry, aliases }) },
        local: {
          tryBundle(outputDir: string) {
            esbuild.buildSync({
              entryPoints: [entry],
              outfile: path.join(outputDir, 'index.js'),
              bundle: true,
              minify: true,
              platform: 'node',
              target: 'node24',
              format: 'cjs',
              external: ['@aws-sdk/*'],
              alias: aliases,
              logLevel: 'warning',
            });
            return true;
          },
        },
      },
    }),
  });
}
