import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ClickstreamPipelineStack } from '../../bin/clickstream-pipeline-stack';
import { ROOT, TEST_ENV, testApp } from '../support/cdk';

/**
 * docs/slos.md's M1–M10 table against the synthesized reference stack: every metric and alarm a
 * row names exists. A cell that reads "pending" claims nothing (open work, named by its issue).
 */

interface SloRow {
  readonly sli: string;
  /** Backticked names of the Metric column, or undefined when pending. */
  readonly metrics?: string[];
  /** Backticked names of the Alarm column (`…X`: ids ending in X), or undefined when pending. */
  readonly alarms?: string[];
  /** Backticked anchors of the Runbook column. */
  readonly runbooks: string[];
  readonly pending: string[];
}

/** The rows of the table whose first cell starts with an SLI id (M1 to M10). */
function sloRows(markdown: string): SloRow[] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((l) => /^\| SLI \| Objective \(default\) \| Metric \| Alarm \(severity, default\) \| Runbook \| Dashboard \|$/.test(l));
  if (header < 0) throw new Error('docs/slos.md has no table with the columns SLI, Objective (default), Metric, Alarm (severity, default), Runbook, Dashboard');
  const rows: SloRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    const pending = (cell: string) => /^pending \(#\d+ item \d+\)/.test(cell);
    rows.push({
      sli: cells[0],
      metrics: pending(cells[2]) ? undefined : ticked(cells[2]),
      alarms: pending(cells[3]) ? undefined : ticked(cells[3]),
      runbooks: ticked(cells[4]),
      pending: [cells[2], cells[3]].filter(pending),
    });
  }
  return rows;
}

const docs = fs.readFileSync(path.join(ROOT, 'docs', 'slos.md'), 'utf8');
const rows = sloRows(docs);
const stack = new ClickstreamPipelineStack(testApp(), 'ClickstreamPipeline', { env: TEST_ENV });
const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** Every alarm's construct id (the id of the L2 alarm that owns the CloudFormation alarm). */
const alarmIds = stack.node
  .findAll()
  .filter((c) => c instanceof cloudwatch.CfnAlarm || c instanceof cloudwatch.CfnCompositeAlarm)
  .map((c) => c.node.scope!.node.id);

/** Every metric name an alarm reads (single metric or metric-math queries) or the dashboard shows. */
const metricNames = new Set<string>();
for (const resource of Object.values(template.Resources)) {
  if (resource.Type === 'AWS::CloudWatch::Alarm') {
    const p = resource.Properties;
    if (typeof p.MetricName === 'string') metricNames.add(p.MetricName);
    for (const q of (p.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string } } }> | undefined) ?? []) {
      if (q.MetricStat) metricNames.add(q.MetricStat.Metric.MetricName);
    }
  }
  if (resource.Type === 'AWS::CloudWatch::Dashboard') {
    const body = JSON.stringify(resource.Properties.DashboardBody);
    for (const m of body.matchAll(/\\"(?:ServerlessEtl|AWS\/[A-Za-z]+)\\",\\"([A-Za-z0-9.]+)\\"/g)) metricNames.add(m[1]);
  }
}

/** What a row claims that the template does not have. */
function missing(row: SloRow): string[] {
  const alarmExists = (name: string) => (name.startsWith('…') ? alarmIds.some((id) => id.endsWith(name.slice(1))) : alarmIds.includes(name));
  return [
    ...(row.metrics ?? []).filter((m) => !metricNames.has(m)).map((m) => `metric ${m}`),
    ...(row.alarms ?? []).filter((a) => !alarmExists(a)).map((a) => `alarm ${a}`),
  ];
}

describe('docs/slos.md, the M1–M10 table', () => {
  test('has a row for each of M1 to M10 (the batch and streaming paths of M2 apart)', () => {
    expect([...new Set(rows.map((r) => /^M\d+/.exec(r.sli)?.[0]))]).toEqual(['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7', 'M8', 'M9', 'M10']);
    expect(rows.filter((r) => r.sli.startsWith('M2 ')).map((r) => r.sli)).toEqual(['M2 freshness, streaming path', 'M2 freshness, batch path']);
  });

  test.each(rows.map((r) => [r.sli, r] as const))('%s: every metric and alarm it names is in the synthesized reference stack', (_sli, row) => {
    expect(missing(row)).toEqual([]);
    if (row.metrics) expect(row.metrics.length).toBeGreaterThan(0);
    if (row.alarms) expect(row.alarms.length).toBeGreaterThan(0);
  });

  test('a row that claims nothing yet says which issue it waits for; the rest claim a metric and an alarm each', () => {
    const open = rows.filter((r) => r.pending.length > 0).map((r) => r.sli);
    for (const row of rows.filter((r) => r.pending.length === 0)) expect({ sli: row.sli, metrics: row.metrics!.length > 0, alarms: row.alarms!.length > 0 }).toEqual({ sli: row.sli, metrics: true, alarms: true });
    // Only the rows another change of issue #17 (item 2) fills in may be open.
    expect(open.every((sli) => ['M6', 'M7', 'M8'].includes(/^M\d+/.exec(sli)![0]))).toBe(true);
  });

  test('each runbook anchor a row names exists in docs/runbooks.md', () => {
    const runbooks = fs.readFileSync(path.join(ROOT, 'docs', 'runbooks.md'), 'utf8');
    const anchors = new Set([...runbooks.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
    const named = rows.flatMap((r) => r.runbooks.map((a) => a.replace(/^#/, '')));
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((a) => !anchors.has(a))).toEqual([]);
  });

  test('the check finds what is not there: a row naming an unknown metric or alarm fails', () => {
    expect(missing({ sli: 'Mx', metrics: ['RecordsIn', 'NoSuchMetric'], alarms: ['SuccessRatePage', 'NoSuchAlarm', '…DepthAlarm', '…NoSuchSuffix'], runbooks: [], pending: [] })).toEqual([
      'metric NoSuchMetric',
      'alarm NoSuchAlarm',
      'alarm …NoSuchSuffix',
    ]);
  });
});
