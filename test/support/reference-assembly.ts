/** The repository's app (the reference stack), synthesized once per test file for local runs in process. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesize, type CloudAssembly } from '../../local/template/cloud-assembly';
import { ROOT } from './cdk';

/**
 * Synthesizes the app of ./cdk.json into a temporary directory before the file's tests (template
 * validation and cdk-nag off: their own tests cover them) and removes it after them. Read
 * `assembly` in a test.
 */
export function useReferenceAssembly(prefix: string): { readonly assembly: CloudAssembly } {
  let assembly: CloudAssembly | undefined;
  let work: string | undefined;
  beforeAll(() => {
    const saved = { validation: process.env.CDK_VALIDATION, nag: process.env.ETL_NAG };
    process.env.CDK_VALIDATION = 'false';
    process.env.ETL_NAG = 'false';
    work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    try {
      assembly = synthesize({ cwd: ROOT, outdir: path.join(work, 'cdk.out') });
    } finally {
      process.env.CDK_VALIDATION = saved.validation;
      process.env.ETL_NAG = saved.nag;
    }
  }, 300_000);
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });
  return {
    get assembly(): CloudAssembly {
      if (!assembly) throw new Error('test: the reference app is not synthesized yet (read it in a test)');
      return assembly;
    },
  };
}
