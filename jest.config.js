/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // TypeScript first: `npm run build` (prepack) leaves compiled .js next to the sources.
  moduleFileExtensions: ['ts', 'js', 'json', 'cjs', 'mjs'],
  transform: {
    // Type-checking is done once by `tsc --noEmit` in `npm test`; jest only transpiles.
    '^.+\\.tsx?$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  // Small JSON values (intrinsic functions, tags, dimensions) on one line in snapshots.
  snapshotSerializers: ['<rootDir>/test/support/compact-json-serializer.ts'],
  // A temporary directory per test file, removed after it: synthesized apps leave nothing behind.
  setupFilesAfterEnv: ['<rootDir>/test/support/temp-dir.ts'],
  // Synthesizing stacks with bundled Lambdas is CPU-heavy: two workers match the CI machine.
  maxWorkers: 2,
  testTimeout: 120000,
};
