/**
 * Gives each test file its own temporary directory and removes it when the file's tests end, so
 * the cloud assemblies of Apps without an `outdir`, staged assets and scratch files never pile up
 * in the machine's temp directory (a crowded /tmp slows every later esbuild build).
 *
 * Jest hands each test file a copy of `process.env`, which Node's `os.tmpdir()` does not read, so
 * `os.tmpdir` itself is pointed at the directory (a worker runs one test file at a time) and child
 * processes get it through TMPDIR.
 */
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';

const systemTmpdir = os.tmpdir;
const parent = systemTmpdir();
const dir = fs.mkdtempSync(path.join(parent, 'cdk-serverless-etl-test-'));
os.tmpdir = () => dir;
process.env.TMPDIR = dir;

afterAll(() => {
  os.tmpdir = systemTmpdir;
  process.env.TMPDIR = parent;
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});
