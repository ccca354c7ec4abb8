import { GetMetricDataCommand, PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Sample } from './metric-math';

/**
 * A stand-in for CloudWatch metrics in tests: EMF lines the runtime writes and PutMetricData calls
 * become {@link Sample}s (one per dimension set, times in seconds), and GetMetricData answers the
 * `Maximum` of a metric over the query's range, the way the watermark publisher asks.
 */
export class MetricStore {
  /** Every data point stored, by time of publication. */
  public readonly samples: Sample[] = [];

  /** Stores one EMF line (the runtime's): each directive's metrics under its own dimension set. */
  public addEmf(line: string): void {
    const emf = JSON.parse(line) as {
      _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
    } & Record<string, unknown>;
    for (const directive of emf._aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        const dimensions = Object.fromEntries(set.map((name) => [name, String(emf[name])]));
        const values = Object.fromEntries(directive.Metrics.map((m) => [m.Name, emf[m.Name] as number | number[]]));
        this.samples.push({ time: emf._aws.Timestamp / 1000, dimensions, values });
      }
    }
  }

  /** This store as the CloudWatch client of the watermark publisher (GetMetricData and PutMetricData). */
  public client(): CloudWatchClient {
    const send = async (command: unknown) => {
      if (command instanceof GetMetricDataCommand) {
        const { StartTime, EndTime, MetricDataQueries } = command.input;
        const from = (StartTime as Date).getTime() / 1000;
        const to = (EndTime as Date).getTime() / 1000;
        return {
          MetricDataResults: (MetricDataQueries ?? []).map((q) => {
            const metric = q.MetricStat!.Metric!;
            if (q.MetricStat!.Stat !== 'Maximum') throw new Error(`statistic ${q.MetricStat!.Stat} not supported by the metric store`);
            const values = this.samples
              .filter((s) => s.time >= from && s.time < to)
              .filter((s) => {
                const dims = metric.Dimensions ?? [];
                const given = Object.entries(s.dimensions ?? {});
                return given.length === dims.length && dims.every((d) => s.dimensions?.[d.Name!] === d.Value);
              })
              .flatMap((s) => {
                const v = s.values[metric.MetricName!];
                return v === undefined ? [] : Array.isArray(v) ? v : [v as number];
              });
            return { Id: q.Id, Values: values.length > 0 ? [Math.max(...values)] : [] };
          }),
        };
      }
      if (command instanceof PutMetricDataCommand) {
        for (const datum of command.input.MetricData ?? []) {
          this.samples.push({
            time: (datum.Timestamp as Date).getTime() / 1000,
            dimensions: Object.fromEntries((datum.Dimensions ?? []).map((d) => [d.Name!, d.Value!])),
            values: { [datum.MetricName!]: datum.Value! },
          });
        }
        return {};
      }
      throw new Error(`the metric store does not answer ${(command as object).constructor.name}`);
    };
    return { send } as unknown as CloudWatchClient;
  }
}
