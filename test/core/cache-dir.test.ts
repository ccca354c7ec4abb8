import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** `cacheDir()` of a fresh module (it remembers its answer), run from `cwd`. */
function cacheDirFrom(cwd: string): string {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    let dir = '';
    jest.isolateModules(() => {
      dir = (jest.requireActual('../../lib/core/cache-dir') as typeof import('../../lib/core/cache-dir')).cacheDir();
    });
    return dir;
  } finally {
    process.chdir(previous);
  }
}

describe('cacheDir', () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cache-dir-')));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('is .cache/cdk-serverless-etl in the node_modules nearest the working directory (a workspace root too), created', () => {
    const project = path.join(root, 'workspace');
    fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    fs.mkdirSync(path.join(project, 'packages', 'pipeline'), { recursive: true });
    const dir = cacheDirFrom(path.join(project, 'packages', 'pipeline'));
    expect(dir).toBe(path.join(project, 'node_modules', '.cache', 'cdk-serverless-etl'));
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });

  test('falls back to a directory of the current user in the temp directory when node_modules cannot hold it', () => {
    const project = path.join(root, 'blocked');
    fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    // A file where the cache directory would go: not writable as a directory, even for root.
    fs.writeFileSync(path.join(project, 'node_modules', '.cache'), '');
    const dir = cacheDirFrom(project);
    expect(path.dirname(dir)).toBe(os.tmpdir());
    expect(path.basename(dir)).toMatch(/^cdk-serverless-etl-/);
    if (typeof process.getuid === 'function') {
      const stat = fs.statSync(dir);
      expect(stat.uid).toBe(process.getuid());
      expect(stat.mode & 0o077).toBe(0);
    }
  });

  test('never uses a predictable temp name it does not own privately (a link or an open directory planted there)', () => {
    const project = path.join(root, 'planted');
    fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    fs.writeFileSync(path.join(project, 'node_modules', '.cache'), '');
    const user = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
    const predictable = path.join(os.tmpdir(), `cdk-serverless-etl-${user}`);
    const existing = fs.existsSync(predictable) ? fs.lstatSync(predictable) : undefined;
    if (existing && !existing.isSymbolicLink()) {
      // Someone else's cache in use on this machine: check the link case only when the name is free.
      fs.chmodSync(predictable, 0o777);
      try {
        const dir = cacheDirFrom(project);
        expect(dir).not.toBe(predictable);
        fs.rmSync(dir, { recursive: true, force: true });
      } finally {
        fs.chmodSync(predictable, 0o700);
      }
      return;
    }
    const open = path.join(root, 'open');
    fs.mkdirSync(open, { mode: 0o777 });
    fs.symlinkSync(open, predictable);
    try {
      const dir = cacheDirFrom(project);
      expect(dir).not.toBe(predictable);
      expect(fs.realpathSync(dir)).not.toBe(fs.realpathSync(open));
      fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      fs.rmSync(predictable, { force: true });
    }
  });
});
