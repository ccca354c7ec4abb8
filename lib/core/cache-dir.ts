import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where the library keeps files it generates at synth (compiled schema modules, shared bundles):
 * `node_modules/.cache/cdk-serverless-etl` of the project being synthesized (the working
 * directory), else `<os temp dir>/cdk-serverless-etl`. A project directory rather than the temp
 * directory also keeps bundling fast: esbuild lists every directory it resolves imports through,
 * and a shared temp directory can hold tens of thousands of entries.
 */
export function cacheDir(): string {
  const nodeModules = path.join(process.cwd(), 'node_modules');
  return fs.existsSync(nodeModules) ? path.join(nodeModules, '.cache', 'cdk-serverless-etl') : path.join(os.tmpdir(), 'cdk-serverless-etl');
}
