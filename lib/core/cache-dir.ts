import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let resolved: string | undefined;

/**
 * Where the library keeps files it generates at synth (compiled schema modules, shared bundles):
 * `.cache/cdk-serverless-etl` in the `node_modules` nearest the working directory (the project
 * being synthesized, or the root of its workspace), else, when there is none or it is not
 * writable, a directory of the current user's own (mode 0700) in the OS temp directory. A project
 * directory rather than the shared temp directory also keeps bundling fast: esbuild lists every
 * directory it resolves imports through, and a shared temp directory can hold tens of thousands of
 * entries.
 */
export function cacheDir(): string {
  resolved ??= projectCacheDir() ?? userTempCacheDir();
  return resolved;
}

function projectCacheDir(): string | undefined {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const nodeModules = path.join(dir, 'node_modules');
    if (fs.existsSync(nodeModules)) return writable(path.join(nodeModules, '.cache', 'cdk-serverless-etl'));
    if (path.dirname(dir) === dir) return undefined;
  }
}

function userTempCacheDir(): string {
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
  const dir = path.join(os.tmpdir(), `cdk-serverless-etl-${user}`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (privateDirectory(dir)) return dir;
  } catch {
    // Something else under that name (a file, a link): fall through to a fresh directory.
  }
  // Not a private directory of ours under a predictable name: never read generated code from it.
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-serverless-etl-'));
}

/** A real directory (not a link), owned by this user, that nobody else may read or write. */
function privateDirectory(dir: string): boolean {
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory() || (stat.mode & 0o077) !== 0) return false;
  return typeof process.getuid !== 'function' || stat.uid === process.getuid();
}

/** The directory, created, when this process may write in it. */
function writable(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return dir;
  } catch {
    return undefined;
  }
}
