import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** What goes into a transform function's bundle. */
export interface RuntimeCodeOptions {
  /** The runtime's Lambda entry point. */
  readonly handlerEntry: string;
  /**
   * Module aliases: for a transform function, `@cdk-serverless-etl/user-transform` and
   * `@cdk-serverless-etl/schema-bundle`.
   * @default - none
   */
  readonly aliases?: { [module: string]: string };
}

/**
 * Lambda code bundled by esbuild's API, in-process (no `npx esbuild` spawn per function, no
 * Docker): minified CommonJS for Node.js 24, with the AWS SDK left to the Lambda runtime. For a
 * TransformFunction: the runtime, the user's transform and the compiled schemas; also the
 * library's own small handlers. The asset is named by a hash of the bundle, so any change in any
 * imported file deploys new code.
 */
export function runtimeCode(options: RuntimeCodeOptions): lambda.Code {
  return lambda.Code.fromAsset(path.dirname(options.handlerEntry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling either succeeds or fails synth with esbuild's errors.
      image: DockerImage.fromRegistry('cdk-serverless-etl/local-bundling-only'),
      // Not read by the bundler: aws-cdk-lib caches staged assets by source directory and the JSON
      // of the bundling options, where `local.tryBundle` (a function) does not appear; naming the
      // entry and aliases here keeps two functions with different transforms from sharing a bundle.
      environment: { CDK_SERVERLESS_ETL_BUNDLE: JSON.stringify({ entry: options.handlerEntry, aliases: options.aliases ?? {} }) },
      local: {
        tryBundle(outputDir: string): boolean {
          bundle(options, path.join(outputDir, 'index.js'));
          return true;
        },
      },
    },
  });
}

function bundle(options: RuntimeCodeOptions, outfile: string): void {
  let esbuild: typeof import('esbuild');
  try {
    // Loaded on first use: esbuild is a peer dependency, needed only when a stack is bundled.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    esbuild = require('esbuild') as typeof import('esbuild');
  } catch (error) {
    throw new Error('cdk-serverless-etl bundles transforms with esbuild: install it in your project (npm install --save-dev esbuild)', {
      cause: error,
    });
  }
  try {
    esbuild.buildSync({
      entryPoints: [options.handlerEntry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      external: ['@aws-sdk/*', '@smithy/*'],
      alias: options.aliases ?? {},
      logLevel: 'silent',
    });
  } catch (error) {
    const failure = error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> };
    const details = (failure.errors ?? [])
      .map((e) => `  - ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`)
      .join('\n');
    const subject = options.aliases?.['@cdk-serverless-etl/user-transform'] ?? options.handlerEntry;
    throw new Error(`bundling the transform failed (${subject}):\n${details || String(error)}`, {
      cause: error,
    });
  }
}

/**
 * A source file of the package's Lambda code by its path without extension: TypeScript in the
 * repository, JavaScript once the package is compiled.
 */
export function runtimeSource(withoutExtension: string): string {
  for (const ext of ['.ts', '.js']) {
    if (fs.existsSync(withoutExtension + ext)) return withoutExtension + ext;
  }
  throw new Error(`cdk-serverless-etl: Lambda source missing (${withoutExtension}.ts)`);
}
