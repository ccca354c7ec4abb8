import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMULATOR_PACKAGES, emulatorInstallCommand, findPackage, missingEmulatorPackages } from '../../../local/run/emulator-packages';
import { ROOT } from '../../support/cdk';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  files: string[];
  scripts: Record<string, string>;
};

describe('emulator packages (optional peer dependencies of the local runner)', () => {
  test('each is an optional peer whose range holds the pinned version, which is the one the repository tests with', () => {
    for (const [name, version] of Object.entries(EMULATOR_PACKAGES)) {
      expect(pkg.devDependencies[name]).toBe(version);
      expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
      const range = pkg.peerDependencies[name];
      // ^x.y.z or ~x.y.z of the pinned version itself.
      expect([`^${version}`, `~${version}`]).toContain(range);
    }
    expect(emulatorInstallCommand()).toBe('npm install --save-dev dynalite@4.0.0 kinesalite@3.3.3 fauxqs@1.9.2 aws-local-stepfunctions@3.0.0 @duckdb/node-api@1.5.6-r.1');
  });

  test('found here (this checkout); a missing one is named with the exact install command', () => {
    expect(missingEmulatorPackages()).toBeUndefined();
    expect(findPackage('fauxqs')).toEqual({ directory: path.join(ROOT, 'node_modules', 'fauxqs'), version: '1.9.2' });
    const message = missingEmulatorPackages((name) => (name === 'fauxqs' || name === 'dynalite' ? undefined : findPackage(name)));
    expect(message).toContain('(missing: dynalite, fauxqs)');
    expect(message).toContain(`\n  ${emulatorInstallCommand()}\n`);
  });

  test('looked up from a directory outside any project: none found', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'no-project-'));
    try {
      expect(findPackage('dynalite', dir)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the package ships the compiled runner and its worker; npm start is the CLI start command', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['local/**/*.js', 'local/functions/function-worker.cjs']));
    expect(pkg.scripts.start).toBe('tsx cli/main.ts start');
  });
});
