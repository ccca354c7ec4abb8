/** The IAM lines of the text report (`local/report/format-report.ts`). */
import type { IamOutcome } from '../report/run-report';

/** The report's IAM row (in the summary block). */
export function iamRow(iam: IamOutcome): string {
  const n = (v: number) => v.toLocaleString('en-US');
  if (iam.mode === 'off') return `${'  IAM'.padEnd(26)}off (nothing checked: --iam off)`;
  const denied = iam.denied.reduce((sum, d) => sum + d.count, 0);
  const verdict = iam.failed ? 'FAILED' : denied === 0 ? 'OK' : iam.mode === 'report' ? 'would deny' : 'denied';
  return `${`  IAM (${iam.mode})`.padEnd(26)}${verdict}: ${n(denied)} call(s) denied of ${n(iam.checked)} authorization(s)`;
}

/** The IAM section: refused calls by caller, action and resource, and what was not checked. */
export function formatIam(iam: IamOutcome): string[] {
  if (iam.mode === 'off') return [];
  const lines: string[] = [];
  if (iam.denied.length > 0) {
    lines.push('', iam.mode === 'enforce' ? 'IAM: calls the app\'s policies refused (as AWS would)' : 'IAM: calls the app\'s policies would refuse (let through: --iam report)');
    for (const d of iam.denied) {
      lines.push(`  ${d.caller}  ${d.action}  ${d.resource}  ${d.count} call${d.count === 1 ? '' : 's'} (${d.operations.join(', ')})`);
      lines.push(`    ${d.reason}`);
    }
  }
  if (iam.failed && iam.failure) lines.push(`  FAILED: ${iam.failure}`);
  for (const b of iam.blocked) lines.push(`  blocked: ${b}`);
  if (iam.unmapped.length > 0) {
    lines.push('', 'IAM: calls not checked (the local run does not map these operations to IAM actions)');
    for (const u of iam.unmapped) lines.push(`  ${u.caller}  ${u.operation}  ${u.count} call${u.count === 1 ? '' : 's'}: ${u.why}`);
  }
  if (iam.unchecked.length > 0) {
    lines.push('', 'IAM: callers not (fully) checked');
    for (const u of iam.unchecked) lines.push(`  ${u}`);
  }
  return lines;
}
