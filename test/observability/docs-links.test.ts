import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EtlPipeline, EtlPipelineProps, PipelineAlarms, PipelineDashboard, PipelineSlos } from '../../lib';
import { AlarmRouting } from '../../lib/observability/alarm-routing';
import { TransformFunction } from '../../lib/transform/transform-function';
import { CLICKSTREAM_TRANSFORM, ROOT, TEST_ENV, testApp } from '../support/cdk';

const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; files: string[] };
const PUBLISHED = `https://unpkg.com/${PACKAGE.name}@${PACKAGE.version}/docs/`;

function pipeline(props: Partial<EtlPipelineProps> = {}): { stack: Stack; template: Template } {
  const stack = new Stack(testApp(), 'S', { env: TEST_ENV });
  new EtlPipeline(stack, 'Pipeline', {
    pipelineName: 'clicks',
    transformEntry: CLICKSTREAM_TRANSFORM,
    batchWorkflow: {},
    monthlyBudgetUsd: 50,
    warehouse: { columns: [{ name: 'event_id', type: 'string' }] },
    schemas: { schemas: [{ version: '1', file: path.join(path.dirname(CLICKSTREAM_TRANSFORM), 'schemas', 'clickstream-v1.json') }] },
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

/** Every string of a template (resources, outputs, parameters), Fn::Join parts joined. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object') {
    const join = (node as Record<string, unknown>)['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return [join[1].map((p) => (typeof p === 'string' ? p : '<token>')).join(join[0]), ...join[1].flatMap(strings)];
    return Object.values(node).flatMap(strings);
  }
  return [];
}

/** The anchors of a markdown file: `<a id="x">` and GitHub's heading slugs. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/<a id="([^"]+)"><\/a>\s*\n#+ /g)) anchors.add(m[1]);
  for (const m of markdown.matchAll(/^#+ (.+)$/gm)) {
    anchors.add(m[1].trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
  }
  return anchors;
}

describe('docs links the library puts in templates', () => {
  test('every link is absolute, to the published docs of this version, and its file and #anchor exist in docs/', () => {
    const { template } = pipeline();
    const texts = strings(template.toJSON());
    const links = new Set<string>();
    for (const text of texts) {
      for (const m of text.matchAll(/https:\/\/unpkg\.com\/[^\s)"]+/g)) links.add(m[0].replace(/[.,;]$/, ''));
      // No repository-relative docs link anywhere: it leads nowhere in a pager or console.
      expect({ text, relative: /(^|[\s(:])docs\/[\w./-]+\.md/.test(text) }).toEqual({ text, relative: false });
    }
    // Alarm descriptions (many sections), the SSM paused flag and the dashboard link.
    expect(links.size).toBeGreaterThan(15);
    for (const link of links) {
      expect(link.startsWith(PUBLISHED)).toBe(true);
      const [file, anchor] = link.slice(PUBLISHED.length).split('#');
      const docFile = path.join(ROOT, 'docs', file);
      expect({ link, exists: fs.existsSync(docFile) }).toEqual({ link, exists: true });
      if (anchor !== undefined) {
        expect({ link, anchored: anchorsOf(fs.readFileSync(docFile, 'utf8')).has(anchor) }).toEqual({ link, anchored: true });
      }
    }
    // The SSM parameter's runbook section.
    expect([...links]).toContain(`${PUBLISHED}runbooks.md#schema-drift-paused`);
  });

  test('docs/ ships in the npm package (the published links resolve for the installed version)', () => {
    expect(PACKAGE.files).toContain('docs/**');
  });

  test('a custom runbookUrl replaces the default in every alarm description and the dashboard', () => {
    const { template } = pipeline({ runbookUrl: 'https://wiki.example.com/etl/runbooks' });
    const descriptions = [
      ...Object.values(template.findResources('AWS::CloudWatch::Alarm')),
      ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
    ]
      .map((a) => String(a.Properties.AlarmDescription))
      .filter((d) => d.includes('Runbook:'));
    expect(descriptions.length).toBeGreaterThan(15);
    for (const d of descriptions) expect(d).toMatch(/Runbook: https:\/\/wiki\.example\.com\/etl\/runbooks#[a-z-]+$/);
    const dashboard = strings(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))).join('\n');
    expect(dashboard).toContain('Runbook: https://wiki.example.com/etl/runbooks');
  });
});

describe('runbookUrl validation', () => {
  test.each([
    ['docs/runbooks.md', /runbookUrl is "docs\/runbooks\.md"; it must be an absolute http\(s\) URL such as https:\/\/wiki\.example\.com\/etl\/runbooks \(alarm descriptions are read in pagers/],
    ['/runbooks.md', /runbookUrl is "\/runbooks\.md"; it must be an absolute http\(s\) URL/],
    ['ftp://example.com/runbooks', /runbookUrl is "ftp:\/\/example\.com\/runbooks"; it must be an absolute http\(s\) URL/],
    ['https://example.com/runbooks#top', /runbookUrl is "https:\/\/example\.com\/runbooks#top"; it must not have a #fragment: each alarm appends the anchor of its own section/],
  ])('EtlPipeline rejects %j', (runbookUrl, message) => {
    expect(() => pipeline({ runbookUrl })).toThrow(message);
  });

  test('PipelineSlos, PipelineAlarms and PipelineDashboard each reject a relative runbookUrl, naming the construct', () => {
    const stack = new Stack(testApp(), 'S', { env: TEST_ENV });
    const transform = new TransformFunction(stack, 'T', {
      transformEntry: CLICKSTREAM_TRANSFORM,
      pipelineName: 'orders',
      curatedBucket: new s3.Bucket(stack, 'C'),
      quarantineBucket: new s3.Bucket(stack, 'Q'),
    });
    const routing = new AlarmRouting(stack, 'Routing');
    const runbookUrl = 'runbooks.md';
    expect(() => new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, runbookUrl })).toThrow(/Invalid PipelineSlos \(S\/Slos\) props:\n {2}- runbookUrl is "runbooks\.md"; it must be an absolute/);
    expect(() => new PipelineAlarms(stack, 'Alarms', { pipelineName: 'orders', routing, transform, runbookUrl })).toThrow(
      /Invalid PipelineAlarms \(S\/Alarms\) props:\n {2}- runbookUrl is "runbooks\.md"; it must be an absolute/,
    );
    expect(() => new PipelineDashboard(stack, 'Dashboard', { pipelineName: 'orders', transform, runbookUrl })).toThrow(
      /Invalid PipelineDashboard \(S\/Dashboard\) props:\n {2}- runbookUrl is "runbooks\.md"; it must be an absolute/,
    );
    expect(() => new PipelineSlos(stack, 'Http', { pipelineName: 'orders', routing, runbookUrl: 'http://intranet/runbooks' })).not.toThrow();
  });
});
