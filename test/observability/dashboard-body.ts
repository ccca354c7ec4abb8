import { Template } from 'aws-cdk-lib/assertions';
import { render, resourcesOfType } from './fixtures';

/** Reading a synthesized CloudWatch dashboard: its body (the DashboardBody `Fn::Join` rendered) and widgets. */

/** One widget of a dashboard body (references rendered as `{Ref:<id>}` and `{<id>.<attr>}`). */
export interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title?: string;
    markdown?: string;
    alarms?: string[];
    metrics?: unknown[][];
    query?: string;
    start?: string;
    setPeriodToTimeRange?: boolean;
    annotations?: { horizontal?: Array<{ value: number; label?: string }> };
  };
}

/** A dashboard body. */
export interface DashboardBody {
  start: string;
  widgets: Widget[];
}

/** The only dashboard of a template: its resource properties, body text and parsed body. */
export function dashboardOf(template: Template): { properties: Record<string, unknown>; bodyText: string; body: DashboardBody } {
  const resources = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
  if (resources.length !== 1) throw new Error(`expected one dashboard, found ${resources.length}`);
  const bodyText = render(resources[0].Properties.DashboardBody);
  return { properties: resources[0].Properties, bodyText, body: JSON.parse(bodyText) as DashboardBody };
}

/** The one widget with this title. */
export function widget(body: DashboardBody, title: string): Widget {
  const found = body.widgets.filter((w) => w.properties.title === title);
  if (found.length !== 1) throw new Error(`expected one widget titled ${JSON.stringify(title)}, found ${found.length}: ${body.widgets.map((w) => w.properties.title).join(' | ')}`);
  return found[0];
}

/** The titles of the widgets. */
export function titles(body: DashboardBody): Array<string | undefined> {
  return body.widgets.map((w) => w.properties.title);
}

/** The expressions of a metric widget's math queries. */
export function expressions(w: Widget): string[] {
  return (w.properties.metrics ?? [])
    .flatMap((row) => row.filter((c): c is { expression: string } => typeof c === 'object' && c !== null && 'expression' in c))
    .map((c) => c.expression);
}

/** The `[namespace, metricName, ...dimensions]` heads of a metric widget's metric rows (options dropped). */
export function metricRows(w: Widget): unknown[][] {
  return (w.properties.metrics ?? []).map((row) => row.filter((c) => typeof c !== 'object' || c === null)).filter((row) => row.length > 0 && row[0] !== '.');
}

/** The rows' headers (first line of each text widget's markdown), in order, with their y. */
export function rowHeaders(body: DashboardBody): Array<{ header: string; y: number }> {
  return body.widgets.filter((w) => w.type === 'text').map((w) => ({ header: w.properties.markdown!.split('\n')[0], y: w.y }));
}

/** The widgets of the row under `header` (between it and the next header). */
export function rowOf(body: DashboardBody, header: string): Widget[] {
  const headers = rowHeaders(body);
  const i = headers.findIndex((h) => h.header === header);
  if (i < 0) throw new Error(`no row ${header}: ${headers.map((h) => h.header).join(' | ')}`);
  const next = headers[i + 1]?.y ?? Infinity;
  return body.widgets.filter((w) => w.type !== 'text' && w.y > headers[i].y && w.y < next);
}

/** The dimensions of a metric row (`[namespace, name, key, value, ...]`) as an object. */
export function dimensionsOf(row: unknown[]): Record<string, unknown> {
  const dims: Record<string, unknown> = {};
  for (let i = 2; i + 1 < row.length; i += 2) dims[String(row[i])] = row[i + 1];
  return dims;
}
