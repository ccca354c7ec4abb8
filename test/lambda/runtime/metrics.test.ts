import { PipelineMetrics } from '../../../lambda/runtime/metrics';
import { COUNT_METRICS, PipelineMetricName } from '../../../lib/contract/metrics';
import { PipelineSource } from '../../../lib/contract/watermarks';

const NOW = Date.parse('2026-11-24T10:00:00Z');

function collect() {
  const lines: string[] = [];
  return { lines, write: (line: string) => lines.push(line), parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

type Emf = {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
} & Record<string, unknown>;

describe('PipelineMetrics', () => {
  it('writes one EMF line: namespace ServerlessEtl, dimensions Pipeline and Stage only, every metric with zeros', () => {
    const out = collect();
    const metrics = new PipelineMetrics('clickstream', 'transform', out.write);
    metrics.count(PipelineMetricName.RECORDS_IN, 18);
    metrics.count(PipelineMetricName.RECORDS_OUT, 13);
    metrics.count(PipelineMetricName.DUPLICATES_SKIPPED);
    metrics.publish(NOW);

    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).not.toContain('\n');
    const emf = JSON.parse(out.lines[0]) as Emf;
    expect(emf._aws).toEqual({
      Timestamp: NOW,
      CloudWatchMetrics: [
        {
          Namespace: 'ServerlessEtl',
          Dimensions: [['Pipeline', 'Stage']],
          Metrics: COUNT_METRICS.map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    });
    expect(emf).toEqual({
      _aws: emf._aws,
      Pipeline: 'clickstream',
      Stage: 'transform',
      RecordsIn: 18,
      RecordsOut: 13,
      RecordsQuarantined: 0,
      RecordsDropped: 0,
      DuplicatesSkipped: 1,
      SchemaMismatches: 0,
      TransformErrors: 0,
      RecordsRetried: 0,
      ClaimChecked: 0,
      ColdStarts: 0,
      EventTimeOutOfBounds: 0,
    });
  });

  it('adds up counts and reports them through value()', () => {
    const metrics = new PipelineMetrics('p', 's', () => undefined);
    metrics.count(PipelineMetricName.RECORDS_QUARANTINED, 2);
    metrics.count(PipelineMetricName.RECORDS_QUARANTINED, 3);
    metrics.count(PipelineMetricName.RECORDS_QUARANTINED);
    expect(metrics.value(PipelineMetricName.RECORDS_QUARANTINED)).toBe(6);
    expect(metrics.value(PipelineMetricName.RECORDS_IN)).toBe(0);
  });

  it('writes FreshnessLagSeconds only when a lag was recorded, in seconds, clamped at zero', () => {
    const out = collect();
    const metrics = new PipelineMetrics('p', 's', out.write);
    metrics.publish(NOW);
    metrics.freshnessLag(1.23456);
    metrics.freshnessLag(-4);
    metrics.freshnessLag(Number.NaN);
    metrics.freshnessLag(Number.POSITIVE_INFINITY);
    metrics.publish(NOW);

    const [without, withLag] = out.parsed() as Emf[];
    expect(without).not.toHaveProperty('FreshnessLagSeconds');
    expect(without._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).not.toContain('FreshnessLagSeconds');
    expect(withLag.FreshnessLagSeconds).toEqual([1.235, 0]);
    expect(withLag._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'FreshnessLagSeconds', Unit: 'Seconds' });
    expect(withLag._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Pipeline', 'Stage']]);
  });

  it('writes at most 100 lag values, spread over the range (min and max kept)', () => {
    const out = collect();
    const metrics = new PipelineMetrics('p', 's', out.write);
    const lags = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) + 0.5);
    lags.forEach((s) => metrics.freshnessLag(s));
    metrics.publish(NOW);
    const values = (out.parsed()[0] as Emf).FreshnessLagSeconds as number[];
    expect(values).toHaveLength(100);
    expect(Math.min(...values)).toBe(0.5);
    expect(Math.max(...values)).toBe(999.5);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
  });

  it('resets after publishing', () => {
    const out = collect();
    const metrics = new PipelineMetrics('p', 's', out.write);
    metrics.count(PipelineMetricName.RECORDS_IN, 5);
    metrics.freshnessLag(3);
    metrics.publish(NOW);
    metrics.publish(NOW);
    const second = out.parsed()[1] as Emf;
    expect(second.RecordsIn).toBe(0);
    expect(second).not.toHaveProperty('FreshnessLagSeconds');
    expect(metrics.value(PipelineMetricName.RECORDS_IN)).toBe(0);
  });

  it('publishes the newest curated event time of the source as CuratedEventTime (epoch seconds), per Pipeline, Stage and Source, once', () => {
    const out = collect();
    const metrics = new PipelineMetrics('p', 's', out.write);
    metrics.curatedEventTime(PipelineSource.STREAM, NOW - 90_500);
    metrics.curatedEventTime(PipelineSource.STREAM, NOW - 30_500);
    metrics.curatedEventTime(PipelineSource.STREAM, NOW - 60_000);
    metrics.curatedEventTime(PipelineSource.STREAM, Number.NaN);
    metrics.publish(NOW);
    metrics.publish(NOW);
    const [first, second] = out.parsed() as Emf[];
    expect(first._aws.CloudWatchMetrics[1]).toEqual({
      Namespace: 'ServerlessEtl',
      Dimensions: [['Pipeline', 'Stage', 'Source']],
      Metrics: [{ Name: 'CuratedEventTime', Unit: 'None' }],
    });
    expect(first).toMatchObject({ Pipeline: 'p', Stage: 's', Source: 'stream', CuratedEventTime: Math.floor((NOW - 30_500) / 1000) });
    // Nothing curated since: no watermark value (the publisher keeps the last one it finds).
    expect(second._aws.CloudWatchMetrics).toHaveLength(1);
    expect(second).not.toHaveProperty('CuratedEventTime');
    expect(second).not.toHaveProperty('Source');
  });

  it('writes to stdout by default', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      new PipelineMetrics('p', 's').publish(NOW);
      expect(write).toHaveBeenCalledTimes(1);
      const text = String(write.mock.calls[0][0]);
      expect(text.endsWith('\n')).toBe(true);
      expect(JSON.parse(text)).toMatchObject({ Pipeline: 'p', Stage: 's' });
    } finally {
      write.mockRestore();
    }
  });

  it('uses the current time by default', () => {
    const out = collect();
    const now = jest.spyOn(Date, 'now').mockReturnValue(NOW + 42);
    try {
      new PipelineMetrics('p', 's', out.write).publish();
    } finally {
      now.mockRestore();
    }
    expect((out.parsed()[0] as Emf)._aws.Timestamp).toBe(NOW + 42);
  });
});
