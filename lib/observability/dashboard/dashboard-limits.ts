import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { MAX_ALARMS_PER_WIDGET } from './health-widgets';

/** CloudWatch: a dashboard body holds 0 to 500 widgets. */
export const MAX_WIDGETS_PER_DASHBOARD = 500;

/**
 * Checks the widgets against CloudWatch's limits at synth (a dashboard CloudFormation would
 * refuse at deploy): at most {@link MAX_WIDGETS_PER_DASHBOARD} widgets, and at most
 * {@link MAX_ALARMS_PER_WIDGET} alarms in an alarm status widget. Throws with what to change.
 */
export function checkDashboardLimits(path: string, widgets: readonly cloudwatch.IWidget[]): void {
  const rendered = widgets.flatMap((w) => w.toJson() as Array<{ type: string; properties: { alarms?: unknown[] } }>);
  if (rendered.length > MAX_WIDGETS_PER_DASHBOARD) {
    throw new Error(
      `PipelineDashboard (${path}): ${rendered.length} widgets; a CloudWatch dashboard holds at most ${MAX_WIDGETS_PER_DASHBOARD}. ` +
        'Pass fewer dead-letter queues or alarms, or build your own dashboards from the constructs\' metric methods',
    );
  }
  for (const widget of rendered) {
    const alarms = widget.properties.alarms?.length ?? 0;
    if (widget.type === 'alarm' && alarms > MAX_ALARMS_PER_WIDGET) {
      throw new Error(`PipelineDashboard (${path}): an alarm status widget with ${alarms} alarms; CloudWatch shows at most ${MAX_ALARMS_PER_WIDGET} in one`);
    }
  }
}
