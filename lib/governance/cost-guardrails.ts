import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { PropValidator } from '../core/prop-validator';

/** Props for {@link CostGuardrails}. */
export interface CostGuardrailsProps {
  /** The pipeline's name: the budget counts cost tagged `pipeline=<name>`. */
  readonly pipelineName: string;
  /** Monthly budget in USD (1 to 1,000,000). */
  readonly monthlyBudgetUsd: number;
  /** Where budget notifications go (the ticket topic). */
  readonly notificationTopic: sns.ITopic;
  /**
   * Notify when actual spend passes this share of the budget (0.1 to 2).
   * @default 0.8
   */
  readonly actualThreshold?: number;
  /**
   * Notify when forecast spend passes this share of the budget (0.1 to 2).
   * @default 1
   */
  readonly forecastThreshold?: number;
}

/** A pipeline's cost budget, as other constructs accept it: implemented by {@link CostGuardrails}. */
export interface ICostGuardrails extends IConstruct {
  /** The budget. */
  readonly budget: budgets.CfnBudget;
}

/**
 * A monthly AWS Budgets cost budget for the resources tagged `pipeline=<name>` (activate the
 * `pipeline` cost allocation tag in Billing once), notifying the ticket topic on actual and
 * forecast spend. Concurrency caps and retry bounds, the other guardrails, are enforced by the
 * constructs' prop validation.
 */
export class CostGuardrails extends Construct implements ICostGuardrails {
  /** The budget. */
  public readonly budget: budgets.CfnBudget;

  constructor(scope: Construct, id: string, props: CostGuardrailsProps) {
    super(scope, id);
    const actual = props.actualThreshold ?? 0.8;
    const forecast = props.forecastThreshold ?? 1;
    const v = new PropValidator(`CostGuardrails (${this.node.path})`);
    validateCostGuardrailsProps(v, props);
    v.throwIfInvalid();
    const subscribers = [{ subscriptionType: 'SNS', address: props.notificationTopic.topicArn }];
    this.budget = new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: `${props.pipelineName}-pipeline-monthly`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyBudgetUsd, unit: 'USD' },
        costFilters: { TagKeyValue: [`user:pipeline$${props.pipelineName}`] },
      },
      notificationsWithSubscribers: [
        {
          notification: { notificationType: 'ACTUAL', comparisonOperator: 'GREATER_THAN', threshold: Number((actual * 100).toFixed(6)), thresholdType: 'PERCENTAGE' },
          subscribers,
        },
        {
          notification: { notificationType: 'FORECASTED', comparisonOperator: 'GREATER_THAN', threshold: Number((forecast * 100).toFixed(6)), thresholdType: 'PERCENTAGE' },
          subscribers,
        },
      ],
    });
  }
}

/** Checks the props of {@link CostGuardrails}; adds each problem to `v` (`EtlPipeline` passes its own). */
export function validateCostGuardrailsProps(
  v: PropValidator,
  props: Pick<CostGuardrailsProps, 'monthlyBudgetUsd' | 'actualThreshold' | 'forecastThreshold'>,
): void {
  v.number('monthlyBudgetUsd', props.monthlyBudgetUsd, 1, 1_000_000)
    .number('actualThreshold', props.actualThreshold, 0.1, 2)
    .number('forecastThreshold', props.forecastThreshold, 0.1, 2);
}
