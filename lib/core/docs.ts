import * as fs from 'node:fs';
import * as path from 'node:path';
import { Token } from 'aws-cdk-lib';

/** The package's name and version, read from its package.json (two levels up, in the repository and installed). */
const PACKAGE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { name: string; version: string };

/** Where the installed version's docs are published: the npm tarball (docs/** ships in it), served by unpkg. */
export const PUBLISHED_DOCS_BASE = `https://unpkg.com/${PACKAGE.name}@${PACKAGE.version}/docs/`;

/**
 * The absolute address of a file of the package's `docs/` as published for the installed version,
 * optionally with an anchor: `https://unpkg.com/cdk-serverless-etl@<version>/docs/runbooks.md#dlq-messages`.
 * Alarm descriptions, SSM descriptions and dashboards are read in consoles and pagers, where a
 * repository-relative link leads nowhere.
 */
export function publishedDocUrl(file: string, anchor?: string): string {
  return `${PUBLISHED_DOCS_BASE}${file}${anchor === undefined ? '' : `#${anchor}`}`;
}

/** The default base of runbook links: the installed version's published docs/runbooks.md. */
export const DEFAULT_RUNBOOK_URL = publishedDocUrl('runbooks.md');

/**
 * Why `value` cannot be a runbook base address (`<prop> is <value>; ...`), or undefined when it can:
 * an absolute http(s) URL without a `#fragment` (each alarm appends its own section's). Tokens pass.
 */
export function runbookUrlProblem(prop: string, value: string | undefined): string | undefined {
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  const given = `${prop} is ${JSON.stringify(value)}`;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !/^https?:\/\//i.test(value)) {
    return (
      `${given}; it must be an absolute http(s) URL such as https://wiki.example.com/etl/runbooks ` +
      '(alarm descriptions are read in pagers and consoles, where a relative link leads nowhere)'
    );
  }
  if (url.hash !== '' || value.includes('#')) {
    return `${given}; it must not have a #fragment: each alarm appends the anchor of its own section`;
  }
  return undefined;
}
