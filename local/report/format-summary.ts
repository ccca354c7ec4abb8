import type { ValidationReport } from '../template/cloud-assembly';
import type { DeploySummary, SummaryItem } from './deploy-summary';

/** Renders deploy summaries (and the validation report) as plain text for a terminal. */
export function formatSummary(summaries: DeploySummary[], report?: ValidationReport): string {
  const lines: string[] = [];
  for (const s of summaries) {
    lines.push(`Stack ${s.stackName} (${s.environment}): ${s.resourceCount} resources`, '');
    lines.push('Resources by type:');
    const width = Math.max(...s.resourcesByType.map((r) => r.type.length));
    for (const r of s.resourcesByType) lines.push(`  ${r.type.padEnd(width)}  ${String(r.count).padStart(3)}`);
    section(lines, 'Inputs', s.inputs);
    section(lines, 'Functions', s.functions);
    section(lines, 'Dead-letter queues', s.deadLetterQueues);
    section(lines, 'Alarms', s.alarms);
    lines.push('', `Outputs (${s.outputs.length}):`);
    const nameWidth = Math.max(0, ...s.outputs.map((o) => o.name.length));
    for (const o of s.outputs) lines.push(`  ${o.name.padEnd(nameWidth)}  ${o.value}  ${o.description ? `— ${o.description}` : ''}`.trimEnd());
    lines.push('');
  }
  if (report) {
    const total = report.pluginReports.reduce((n, p) => n + p.violations.length, 0);
    lines.push(`Policy validation: ${total} unacknowledged finding${total === 1 ? '' : 's'} (synth fails on errors).`);
    for (const plugin of report.pluginReports) {
      const n = plugin.violations.length;
      lines.push(`  ${plugin.pluginName}: ${plugin.conclusion}, ${n} finding${n === 1 ? '' : 's'}`);
      for (const v of plugin.violations.slice(0, 10)) lines.push(`    - ${v.ruleName}: ${v.description}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function section(lines: string[], title: string, items: SummaryItem[]): void {
  lines.push('', `${title} (${items.length}):`);
  if (items.length === 0) lines.push('  none');
  const width = Math.max(0, ...items.map((i) => i.path.length));
  for (const i of items) lines.push(`  ${i.path.padEnd(width)}  ${i.detail}`);
}
