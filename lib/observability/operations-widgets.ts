import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CostService } from '../contract/cost';
import type { ICostPerUnit } from '../governance/cost-per-unit';
import { AlarmSeverity } from './alarm-routing';
import type { IIncidentTiming } from './incident-timing';

/**
 * The dashboard's operations widgets: time to detect and to recover (M7, M8) and the published
 * cost per million records and per service (M6). Empty when neither construct is given.
 */
export function operationsWidgets(incidentTiming: IIncidentTiming | undefined, costPerUnit: ICostPerUnit | undefined): cloudwatch.IWidget[] {
  const widgets: cloudwatch.IWidget[] = [];
  if (incidentTiming) {
    const day = { period: Duration.days(1) };
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Time to detect and to recover, page alarms (s, daily average)',
        left: [
          incidentTiming.metricTimeToDetect(AlarmSeverity.PAGE, { ...day, label: 'MTTD' }),
          incidentTiming.metricTimeToRecover(AlarmSeverity.PAGE, { ...day, label: 'MTTR' }),
        ],
        width: 12,
      }),
    );
  }
  if (costPerUnit) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Cost per million records (USD, published hourly)',
        left: [costPerUnit.metricCostPerMillionRecords({ label: 'USD per million records' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Cost per service (USD per day)',
        left: Object.values(CostService).map((service) => costPerUnit.metricCostUsd(service, { period: Duration.days(1), label: service })),
        stacked: true,
        width: 24,
      }),
    );
  }
  return widgets;
}
