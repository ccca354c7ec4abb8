import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../../lambda/handlers/publish-watermarks';
import { publishWatermarks, readPublisherConfig } from '../../../../lambda/runtime/watermark/publish';
import { PipelineSource, WATERMARK_ENV } from '../../../../lib/contract/watermarks';

const NOW = Date.parse('2026-03-04T06:30:00Z');
const ENV = {
  [WATERMARK_ENV.pipeline]: 'orders',
  [WATERMARK_ENV.stage]: 'transform',
  [WATERMARK_ENV.sources]: 'stream,bus,batch',
  [WATERMARK_ENV.lookbackSeconds]: '1209600',
  [WATERMARK_ENV.batchLoadedBy]: '06:00',
};

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());
afterAll(() => cw.restore());

describe('readPublisherConfig', () => {
  it('reads the sources, the lookback and the batch deadline (UTC by default)', () => {
    expect(readPublisherConfig(ENV)).toEqual({
      pipeline: 'orders',
      stage: 'transform',
      sources: [PipelineSource.STREAM, PipelineSource.BUS, PipelineSource.BATCH],
      lookbackSeconds: 1209600,
      batchDeadline: { loadedBy: '06:00', timeZone: 'UTC' },
    });
  });

  it('names what is missing or malformed', () => {
    expect(() => readPublisherConfig({ ...ENV, [WATERMARK_ENV.pipeline]: undefined })).toThrow('environment variable WATERMARK_PIPELINE is not set');
    expect(() => readPublisherConfig({ ...ENV, [WATERMARK_ENV.sources]: 'stream,files' })).toThrow('WATERMARK_SOURCES has unknown sources files');
    expect(() => readPublisherConfig({ ...ENV, [WATERMARK_ENV.lookbackSeconds]: '30' })).toThrow('at least 60');
    expect(() => readPublisherConfig({ ...ENV, [WATERMARK_ENV.batchLoadedBy]: '6am' })).toThrow('is not HH:MM');
  });
});

describe('publishWatermarks', () => {
  it('reads the Maximum of CuratedEventTime per source over the lookback and publishes each age and the batch overdue seconds', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 's0', Values: [Date.parse('2026-03-04T06:29:00Z') / 1000, Date.parse('2026-03-04T06:20:00Z') / 1000] },
        { Id: 's1', Values: [] },
        { Id: 's2', Values: [Date.parse('2026-03-02T23:59:00Z') / 1000] },
      ],
    });
    cw.on(PutMetricDataCommand).resolves({});
    const published = await publishWatermarks(new CloudWatchClient({ region: 'us-east-1' }), readPublisherConfig(ENV), NOW);

    expect(published).toEqual({
      ages: { stream: 60, bus: 1209600, batch: 30 * 3600 + 31 * 60 },
      watermarks: { stream: '2026-03-04T06:29:00.000Z', bus: null, batch: '2026-03-02T23:59:00.000Z' },
      batchOverdueSeconds: 30 * 60,
    });
    const query = cw.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(query.StartTime).toEqual(new Date(NOW - 1209600 * 1000));
    expect(query.MetricDataQueries?.[2]).toEqual({
      Id: 's2',
      MetricStat: {
        Metric: {
          Namespace: 'ServerlessEtl',
          MetricName: 'CuratedEventTime',
          Dimensions: [
            { Name: 'Pipeline', Value: 'orders' },
            { Name: 'Stage', Value: 'transform' },
            { Name: 'Source', Value: 'batch' },
          ],
        },
        Period: 3600,
        Stat: 'Maximum',
      },
      ReturnData: true,
    });
    const put = cw.commandCalls(PutMetricDataCommand)[0].args[0].input;
    expect(put.Namespace).toBe('ServerlessEtl');
    expect(put.MetricData?.map((d) => [d.MetricName, d.Dimensions?.[2].Value, d.Value, d.Unit])).toEqual([
      ['WatermarkAgeSeconds', 'stream', 60, 'Seconds'],
      ['WatermarkAgeSeconds', 'bus', 1209600, 'Seconds'],
      ['WatermarkAgeSeconds', 'batch', 30 * 3600 + 31 * 60, 'Seconds'],
      ['BatchOverdueSeconds', 'batch', 30 * 60, 'Seconds'],
    ]);
  });

  it('follows NextToken pages', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 's0', Values: [100] }], NextToken: 'more' })
      .resolvesOnce({ MetricDataResults: [{ Id: 's0', Values: [NOW / 1000 - 5] }] });
    cw.on(PutMetricDataCommand).resolves({});
    const published = await publishWatermarks(new CloudWatchClient({ region: 'us-east-1' }), { ...readPublisherConfig(ENV), sources: [PipelineSource.STREAM], batchDeadline: undefined }, NOW);
    expect(published.ages).toEqual({ stream: 5 });
    expect(cw.commandCalls(GetMetricDataCommand)[1].args[0].input.NextToken).toBe('more');
  });
});

describe('the publisher handler', () => {
  it('reads its environment on the first tick and logs what it published', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    cw.on(PutMetricDataCommand).resolves({});
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const info = jest.spyOn(logger, 'info');
    const handler = createHandler(new CloudWatchClient({ region: 'us-east-1' }), () => NOW, { ...ENV, [WATERMARK_ENV.sources]: 'stream' }, logger);
    await expect(handler()).resolves.toEqual({ ages: { stream: 1209600 }, watermarks: { stream: null } });
    expect(info).toHaveBeenCalledWith('watermarks published', expect.objectContaining({ pipeline: 'orders', ages: { stream: 1209600 } }));
  });
});
