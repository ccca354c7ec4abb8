/**
 * The emulator packages the local runner loads (dynalite, kinesalite, fauxqs,
 * aws-local-stepfunctions, and DuckDB for the Glue tables). They are optional peer dependencies of cdk-serverless-etl: users who
 * only synthesize never install them, and `start` checks they can be loaded before anything runs.
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

/**
 * The emulator packages and the versions this release is tested with (the exact versions the
 * install hint pins; package.json's `peerDependencies` accept the same major/minor line).
 */
export const EMULATOR_PACKAGES: Readonly<Record<string, string>> = Object.freeze({
  dynalite: '4.0.0',
  kinesalite: '3.3.3',
  fauxqs: '1.9.2',
  'aws-local-stepfunctions': '3.0.0',
  // The embedded engine of the app's Glue tables and current tables (local/lakehouse).
  '@duckdb/node-api': '1.5.6-r.1',
});

/** Where an installed package is, and its version. */
export interface InstalledPackage {
  readonly directory: string;
  readonly version: string;
}

/**
 * Finds `name` as this module's `require`/`import` would: in the `node_modules` directories from
 * this file's directory up (the user's project, when the package is installed there). Reads the
 * package.json directly, so ES-module-only packages (whose `exports` hide it) are found too.
 */
export function findPackage(name: string, from: string = __dirname): InstalledPackage | undefined {
  for (const dir of nodeModulesLookup(from)) {
    const manifest = path.join(dir, ...name.split('/'), 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: string };
    return { directory: path.dirname(manifest), version: version ?? 'unknown' };
  }
  return undefined;
}

/** The `node_modules` directories Node searches for a bare import from a file in `from`, nearest first. */
export function nodeModulesLookup(from: string = __dirname): string[] {
  return (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(from);
}

/** The `npm install` line that adds the emulator packages, pinned to the tested versions. */
export function emulatorInstallCommand(names: readonly string[] = Object.keys(EMULATOR_PACKAGES)): string {
  return `npm install --save-dev ${names.map((n) => `${n}@${EMULATOR_PACKAGES[n]}`).join(' ')}`;
}

/**
 * `undefined` when every emulator package can be loaded; otherwise the message to print: which
 * are missing and the exact command that installs them.
 */
export function missingEmulatorPackages(find: (name: string) => InstalledPackage | undefined = (n) => findPackage(n)): string | undefined {
  const missing = Object.keys(EMULATOR_PACKAGES).filter((name) => !find(name));
  if (missing.length === 0) return undefined;
  return (
    `The local runner needs its emulator packages, which are optional peer dependencies of cdk-serverless-etl ` +
    `(missing: ${missing.join(', ')}). Install them in your project:\n\n  ${emulatorInstallCommand()}\n`
  );
}
