import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CostService } from '../../contract/cost';
import type { ICostPerUnit } from '../../governance/cost-per-unit';
import { FULL_WIDTH, rowHeader } from './widget-kit';

/**
 * "What does it cost?": the published cost per million records and per service (M6, every
 * service the pipeline uses, from usage metrics and the price table). Empty without the published
 * cost: the dashboard tells one cost story, the published one.
 */
export function costRow(costPerUnit: ICostPerUnit | undefined): cloudwatch.IWidget[] {
  if (!costPerUnit) return [];
  return [
    rowHeader('What does it cost?', 'Published hourly from usage metrics and the price table (CostPerUnit): per million records, and per service.'),
    new cloudwatch.GraphWidget({
      title: 'Cost per million records (USD, published hourly)',
      left: [costPerUnit.metricCostPerMillionRecords({ label: 'USD per million records' })],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Cost per service (USD per day)',
      left: Object.values(CostService).map((service) => costPerUnit.metricCostUsd(service, { period: Duration.days(1), label: service })),
      stacked: true,
      width: FULL_WIDTH - 8,
    }),
  ];
}
