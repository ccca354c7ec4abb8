import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { PipelineMetrics } from '../../lambda/runtime/metrics';
import { publishWatermarks, readPublisherConfig } from '../../lambda/runtime/watermark/publish';
import { PipelineMetricName } from '../../lib/contract/metrics';
import { PipelineSource } from '../../lib/contract/watermarks';
import { AlarmRouting } from '../../lib/observability/alarm-routing';
import { PipelineAlarms } from '../../lib/observability/pipeline-alarms';
import { PipelineSlos } from '../../lib/observability/pipeline-slos';
import { WatermarkPublisher } from '../../lib/observability/watermark-publisher';
import { testStack } from '../support/cdk';
import { logicalId, propsOf, transformFunction } from './fixtures';
import { alarmFires, compositeFires, EvaluationOptions } from './metric-math';
import { MetricStore } from './metric-store';

/**
 * The "done when" of issue #17 item 1: the metric series the runtime emits (its EMF lines, written
 * by the runtime's own PipelineMetrics) and the ones the watermark publisher derives from them
 * (its real code, reading and writing a stand-in CloudWatch), evaluated against the synthesized
 * alarms (their metric math read from the template). A stalled stream burns the streaming
 * freshness budget and trips its source's staleness alarm; a nightly batch of yesterday's events
 * loaded before its deadline burns nothing, and one loaded late trips the deadline alarm.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Day D, 00:00 UTC. */
const D = Date.parse('2026-03-03T00:00:00Z');

const stack = testStack();
const routing = new AlarmRouting(stack, 'Routing');
const transform = transformFunction(stack);
const deadline = { loadedBy: '06:00', timeZone: 'UTC' };
const watermarks = new WatermarkPublisher(stack, 'Watermarks', {
  pipelineName: 'orders',
  sources: [PipelineSource.STREAM, PipelineSource.BUS, PipelineSource.BATCH],
  batchDeadline: deadline,
});
const slos = new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, watermarks, batchDeadline: deadline });
const alarms = new PipelineAlarms(stack, 'Alarms', { pipelineName: 'orders', routing, transform, watermarks });
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
/** The publisher's configuration, read from the synthesized function's environment. */
const publisherConfig = readPublisherConfig(
  (propsOf(template, watermarks.function).Environment as { Variables: Record<string, string> }).Variables,
);

const READINGS: Array<[string, EvaluationOptions]> = [
  ['FILL fills an empty window', { fillEmptyWindow: true }],
  ['no data point (TreatMissingData)', { fillEmptyWindow: false }],
];

/** One invocation of the transform as the runtime reports it (see batch-handler.test: no lag for a batch). */
function invocation(store: MetricStore, source: PipelineSource, atMs: number, eventTimesMs: number[]): void {
  const metrics = new PipelineMetrics('orders', 'transform', (line) => store.addEmf(line));
  metrics.count(PipelineMetricName.RECORDS_IN, eventTimesMs.length);
  metrics.count(PipelineMetricName.RECORDS_OUT, eventTimesMs.length);
  if (source !== PipelineSource.BATCH) eventTimesMs.forEach((t) => metrics.freshnessLag((atMs - t) / 1000));
  metrics.curatedEventTime(source, Math.max(...eventTimesMs));
  metrics.publish(atMs);
}

/** A continuous source curating three records a minute, 5 to 45 seconds after their event time. */
function flowing(store: MetricStore, source: PipelineSource, fromMs: number, toMs: number): void {
  for (let t = fromMs; t <= toMs; t += MINUTE) invocation(store, source, t, [t - 5_000, t - 20_000, t - 45_000]);
}

/**
 * The nightly batch: from `atMs`, the export of the day starting at `dayMs` (a record a minute)
 * in 24 line ranges of an hour of events each, one invocation every 30 seconds: ten times the
 * stream's volume, which would burn the streaming budget were its lags counted.
 */
function nightlyBatch(store: MetricStore, dayMs: number, atMs: number): void {
  for (let range = 0; range < 24; range++) {
    const events = Array.from({ length: 60 }, (_, i) => dayMs + (range * 60 + i) * MINUTE);
    invocation(store, PipelineSource.BATCH, atMs + range * 30_000, events);
  }
}

/** The publisher's ticks of the five minutes up to `atMs` (what the watermark alarms read). */
async function tick(store: MetricStore, atMs: number): Promise<void> {
  for (let t = atMs - 4 * MINUTE; t <= atMs; t += MINUTE) await publishWatermarks(store.client(), publisherConfig, t);
}

/** Whether an alarm (a composite: its rule over its components) is in ALARM at `atMs`. */
function inAlarm(store: MetricStore, construct: IConstruct, atMs: number, options: EvaluationOptions = READINGS[0][1]): boolean {
  const props = propsOf(template, construct);
  const fires = (id: string) => alarmFires(resources[id].Properties, store.samples, atMs / 1000, options);
  return props.AlarmRule ? compositeFires(props, fires) : fires(logicalId(construct));
}

const freshnessPage = slos.node.findChild('FreshnessPage');
const freshnessTicket = slos.node.findChild('FreshnessTicket');
const batchDeadline = slos.node.findChild('BatchDeadline');
const staleStream = alarms.node.findChild('WatermarkStaleStream');
const staleBus = alarms.node.findChild('WatermarkStaleBus');
const staleBatch = alarms.node.findChild('WatermarkStaleBatch');

describe.each(READINGS)('a stalled stream (%s)', (_reading, options) => {
  const stallAt = D + 8 * HOUR;
  const store = new MetricStore();
  flowing(store, PipelineSource.STREAM, D + MINUTE, stallAt);

  test('burns the streaming freshness budget: pages once a whole hour is silent, tickets after a day', () => {
    expect(inAlarm(store, freshnessPage, stallAt, options)).toBe(false);
    expect(inAlarm(store, freshnessPage, stallAt + 30 * MINUTE, options)).toBe(false);
    expect(inAlarm(store, freshnessPage, stallAt + HOUR + 5 * MINUTE, options)).toBe(true);
    expect(inAlarm(store, freshnessTicket, stallAt + 25 * HOUR, options)).toBe(true);
  });
});

describe('a stream that stalls while the event bus flows', () => {
  const stallAt = D + 8 * HOUR;
  const store = new MetricStore();
  flowing(store, PipelineSource.STREAM, D + MINUTE, stallAt);
  flowing(store, PipelineSource.BUS, D + MINUTE, stallAt + 2 * HOUR);

  test('keeps the shared freshness SLI green (the bus is fresh) but trips the stream watermark alarm after 15 minutes', async () => {
    await tick(store, stallAt + 10 * MINUTE);
    expect(inAlarm(store, staleStream, stallAt + 10 * MINUTE)).toBe(false);
    await tick(store, stallAt + 20 * MINUTE);
    expect(inAlarm(store, staleStream, stallAt + 20 * MINUTE)).toBe(true);
    expect(inAlarm(store, staleBus, stallAt + 20 * MINUTE)).toBe(false);
    expect(inAlarm(store, freshnessPage, stallAt + 70 * MINUTE)).toBe(false);
  });
});

describe('a nightly batch of yesterday\'s events with a healthy stream (deadline 06:00 UTC)', () => {
  /** Stream all along; the exports of D and D+1 loaded at 04:00 the next day, or D+1's late at 08:30. */
  function scenario(secondLoadAt: number): MetricStore {
    const store = new MetricStore();
    flowing(store, PipelineSource.STREAM, D, D + 3 * DAY);
    flowing(store, PipelineSource.BUS, D, D + 3 * DAY);
    nightlyBatch(store, D, D + DAY + 4 * HOUR);
    nightlyBatch(store, D + DAY, secondLoadAt);
    return store;
  }
  const onTime = scenario(D + 2 * DAY + 4 * HOUR);
  const late = scenario(D + 2 * DAY + 8 * HOUR + 30 * MINUTE);

  test.each(READINGS)('burns nothing of the streaming freshness budget, although its records are 4 to 28 hours old (%s)', (_reading, options) => {
    for (const at of [D + DAY + 4 * HOUR + 12 * MINUTE, D + DAY + 6 * HOUR, D + DAY + 10 * HOUR, D + 2 * DAY + 4 * HOUR + 12 * MINUTE, D + 2 * DAY + 12 * HOUR]) {
      expect({ at: new Date(at).toISOString(), page: inAlarm(onTime, freshnessPage, at, options), ticket: inAlarm(onTime, freshnessTicket, at, options) }).toEqual({
        at: new Date(at).toISOString(),
        page: false,
        ticket: false,
      });
    }
  });

  test('loaded before the deadline each night: the deadline alarm and the batch staleness alarm stay quiet', async () => {
    for (const at of [D + DAY + 6 * HOUR + MINUTE, D + DAY + 18 * HOUR, D + 2 * DAY + 5 * HOUR + 59 * MINUTE, D + 2 * DAY + 6 * HOUR + MINUTE, D + 2 * DAY + 23 * HOUR]) {
      await tick(onTime, at);
      expect({ at: new Date(at).toISOString(), deadline: inAlarm(onTime, batchDeadline, at), stale: inAlarm(onTime, staleBatch, at) }).toEqual({
        at: new Date(at).toISOString(),
        deadline: false,
        stale: false,
      });
    }
  });

  test('loaded late: the deadline alarm fires from the deadline until the export is loaded', async () => {
    const fired: Record<string, boolean> = {};
    for (const at of [D + 2 * DAY + 5 * HOUR + 59 * MINUTE, D + 2 * DAY + 6 * HOUR + MINUTE, D + 2 * DAY + 8 * HOUR + 29 * MINUTE, D + 2 * DAY + 8 * HOUR + 31 * MINUTE]) {
      await tick(late, at);
      fired[new Date(at).toISOString().slice(11, 16)] = inAlarm(late, batchDeadline, at);
    }
    expect(fired).toEqual({ '05:59': false, '06:01': true, '08:29': true, '08:31': false });
    // Nothing was due in the streaming budget meanwhile.
    expect(inAlarm(late, freshnessPage, D + 2 * DAY + 8 * HOUR + 31 * MINUTE)).toBe(false);
  });

  test('an export that never comes: the deadline alarm fires at the deadline, the batch staleness alarm 36 hours after the last day loaded', async () => {
    const store = new MetricStore();
    nightlyBatch(store, D, D + DAY + 4 * HOUR);
    const missing = D + 2 * DAY + 6 * HOUR + MINUTE;
    await tick(store, missing);
    expect(inAlarm(store, batchDeadline, missing)).toBe(true);
    expect(inAlarm(store, staleBatch, missing)).toBe(false);
    // The watermark is 23:59 on D: 36 hours later is 11:59 on D+2.
    await tick(store, D + 2 * DAY + 11 * HOUR + 45 * MINUTE);
    expect(inAlarm(store, staleBatch, D + 2 * DAY + 11 * HOUR + 45 * MINUTE)).toBe(false);
    await tick(store, D + 2 * DAY + 12 * HOUR);
    expect(inAlarm(store, staleBatch, D + 2 * DAY + 12 * HOUR)).toBe(true);
  });

  test('a publisher that stops publishing reads as breaching (missing data), not as healthy', () => {
    const silent = new MetricStore();
    expect(inAlarm(silent, batchDeadline, D + DAY)).toBe(true);
    expect(inAlarm(silent, staleStream, D + DAY)).toBe(true);
  });
});
