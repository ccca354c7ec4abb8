import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { DEFAULT_RUNBOOK_URL, runbookUrlProblem } from '../core/docs';
import { PropValidator } from '../core/prop-validator';
import { costRow } from './dashboard/cost-widgets';
import { checkDashboardLimits } from './dashboard/dashboard-limits';
import { failureRow } from './dashboard/failure-widgets';
import { healthRow } from './dashboard/health-widgets';
import { lagRow } from './dashboard/lag-widgets';
import type { MetricOf } from './dashboard/widget-kit';
import { pipelineMetric } from './pipeline-metric';
import type { IPipelineSlos } from './pipeline-slos';
import type { IIncidentTiming } from './incident-timing';
import type { IWatermarkPublisher } from './watermark-publisher';
import type { ICostPerUnit } from '../governance/cost-per-unit';
import type { IEventBusIngest } from '../ingest/event-bus-ingest';
import type { IStreamIngest } from '../ingest/stream-ingest';
import type { ICurrentTable } from '../lakehouse/current-table';
import type { IBatchWorkflow } from '../orchestration/batch-workflow';
import type { IDeadLetterQueue } from '../reliability/dead-letter-queue';
import type { ITransformFunction } from '../transform/transform-function';

/** Props for {@link PipelineDashboard}. */
export interface PipelineDashboardProps {
  /** The pipeline's name (the `Pipeline` dimension of its metrics). */
  readonly pipelineName: string;
  /** The transform function: its stage, invocations, duration, errors and logs. */
  readonly transform: ITransformFunction;
  /**
   * The pipeline's objectives: success rate and fresh share now, over 30 days and per day, and the
   * error budget left.
   * @default - no objective widgets
   */
  readonly slos?: IPipelineSlos;
  /**
   * Every alarm to show (alarm status widgets, in alarm first, at most 100 alarms each).
   * @default - none
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * The Kinesis ingest: the mapping's iterator age, the per-shard metrics it enables, and its
   * archive's deliveries and freshness.
   * @default - none
   */
  readonly streamIngest?: IStreamIngest;
  /**
   * The EventBridge ingest: its buffer's oldest message.
   * @default - none
   */
  readonly eventBusIngest?: IEventBusIngest;
  /**
   * The dead-letter queues whose depths the dashboard shows.
   * @default - none
   */
  readonly deadLetterQueues?: IDeadLetterQueue[];
  /**
   * The batch workflow: its executions and duration; its steps function's logs are searched with the transform's.
   * @default - none
   */
  readonly batchWorkflow?: IBatchWorkflow;
  /**
   * The current table: its merge and maintenance executions, merge backlog and merge DLQ.
   * @default - none
   */
  readonly currentTable?: ICurrentTable;
  /**
   * The watermark publisher: the watermark age per source, and the batch deadline when it publishes one.
   * @default - none
   */
  readonly watermarks?: IWatermarkPublisher;
  /**
   * Log groups of the pipeline's other functions that the Logs Insights widgets search with the
   * transform's and the batch workflow's steps function's (e.g. the current table's merge steps).
   * @default - none
   */
  readonly logGroups?: logs.ILogGroup[];
  /**
   * Name of the CloudWatch dashboard.
   * @default - `<pipelineName>-pipeline`
   */
  readonly dashboardName?: string;
  /**
   * Runbook the dashboard links to: an absolute http(s) URL without a #fragment.
   * @default - the installed version's published docs/runbooks.md
   *   (`https://unpkg.com/cdk-serverless-etl@<version>/docs/runbooks.md`)
   */
  readonly runbookUrl?: string;
  /**
   * Time to detect and to recover (MTTD and MTTR of page alarms).
   * @default - no incident-timing widget
   */
  readonly incidentTiming?: IIncidentTiming;
  /**
   * The published cost per unit: the cost row (per million records and per service).
   * @default - no cost row
   */
  readonly costPerUnit?: ICostPerUnit;
}

/** A pipeline's dashboard, as other constructs accept it: implemented by {@link PipelineDashboard}. */
export interface IPipelineDashboard extends IConstruct {
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
}

/**
 * The dashboard an on-call engineer opens: one CloudWatch dashboard in rows by question, each
 * under a header. "Is it healthy?": alarm states, the objectives now, over 30 days and per day with
 * the error budget left, records per day, the batch deadline, time to detect and recover. "What is
 * failing?": quarantine reasons, failed invocations by error type and the last failures with
 * their request id (Logs Insights over the functions' logs), failing stages, dead letters, the
 * batch workflow's and the current table's executions, the stream archive's deliveries, duration
 * and retries. "Where is it behind?": watermark age and lag per source (per shard with Kinesis
 * enhanced monitoring), freshness, throughput, merge backlog, archive freshness. "What does it
 * cost?": the published cost per million records and per service.
 */
export class PipelineDashboard extends Construct implements IPipelineDashboard {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const runbookProblem = runbookUrlProblem('runbookUrl', props.runbookUrl);
    new PropValidator(`PipelineDashboard (${this.node.path})`).check(runbookProblem !== undefined, runbookProblem ?? '').throwIfInvalid();
    const stage = props.transform.stage;
    const metricOf: MetricOf = (name, period = Duration.minutes(5), statistic = cloudwatch.Stats.SUM) =>
      pipelineMetric(props.pipelineName, stage, name, { period, statistic, label: name });

    const rows = [
      healthRow({ ...props, runbookUrl: props.runbookUrl ?? DEFAULT_RUNBOOK_URL, metricOf }),
      failureRow({
        ...props,
        metricOf,
        functionLogGroups: [...(props.batchWorkflow ? [props.batchWorkflow.stepsFunction.logGroup] : []), ...(props.logGroups ?? [])],
      }),
      lagRow({ ...props, metricOf }),
      costRow(props.costPerUnit),
    ].filter((row) => row.length > 0);
    checkDashboardLimits(this.node.path, rows.flat());

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${props.pipelineName}-pipeline`,
      defaultInterval: Duration.hours(24),
    });
    rows.forEach((row) => this.dashboard.addWidgets(...row));
  }
}
