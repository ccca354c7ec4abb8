import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { MergeStepAction } from '../contract/lakehouse/merge-steps';
import { optimizeSql, vacuumSql, type CurrentTableSqlSpec } from '../contract/lakehouse/sql';
import { retryLambdaErrors } from '../orchestration/fragments/retry';

/** Where the statements run. */
export interface QuerySettings {
  readonly workGroupName: string;
  readonly database: string;
  /** A statement running longer is stopped (and retried). */
  readonly timeout: Duration;
}

/** What the merge definition needs. */
export interface MergeDefinitionProps extends QuerySettings {
  readonly stepsFunction: lambda.IFunction;
  readonly spec: CurrentTableSqlSpec;
  readonly maxObjects: number;
}

/**
 * Athena errors worth another attempt: throttling, the service's own, a statement that failed
 * (an Iceberg commit conflict with a concurrent MERGE or OPTIMIZE fails the query) or ran out of time.
 */
const QUERY_RETRY_ERRORS = ['Athena.TooManyRequestsException', 'Athena.InternalServerException', 'States.TaskFailed', 'States.Timeout'];

/**
 * One Athena statement, waited for (`startQueryExecution.sync`): the state's `queryPath` holds
 * the SQL, or `sql` is the statement itself. Written as the state's JSON, not with aws-cdk-lib's
 * AthenaStartQueryExecution, whose policy grants Glue and S3 on every table and bucket: the
 * state machine's grants are the library's own (query-access.ts). Retries 3 times with backoff.
 */
export function athenaQuery(scope: Construct, id: string, settings: QuerySettings, sql: { readonly path: string } | { readonly text: string }): sfn.CustomState {
  const partition = Stack.of(scope).partition;
  const state = new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${partition}:states:::athena:startQueryExecution.sync`,
      Parameters: {
        ...('path' in sql ? { 'QueryString.$': sql.path } : { QueryString: sql.text }),
        WorkGroup: settings.workGroupName,
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: settings.database },
      },
      ResultPath: null,
      TimeoutSeconds: settings.timeout.toSeconds(),
    },
  });
  state.addRetry({ errors: QUERY_RETRY_ERRORS, interval: Duration.seconds(15), backoffRate: 2, maxAttempts: 3, maxDelay: Duration.minutes(2), jitterStrategy: sfn.JitterType.FULL });
  return state;
}

function steps(scope: Construct, id: string, fn: lambda.IFunction, payload: object, resultPath: string): tasks.LambdaInvoke {
  return retryLambdaErrors(
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject(payload),
      resultPath,
    }),
  );
}

/**
 * The merge: collect a bounded set of pending curated objects (`Collect`), nothing pending →
 * `NothingPending`; else run the MERGE statements over exactly those objects one after the other
 * (`MergeStatements` → `Merge`, `.sync`), then delete their messages (`Acknowledge`); more pending →
 * collect again, else `Merged`. Any error that retries do not absorb ends in `MergeFailed`
 * before the messages are deleted: they come back after the queue's visibility timeout.
 */
export function createMergeDefinition(scope: Construct, props: MergeDefinitionProps): sfn.IChainable {
  const failed = new sfn.Fail(scope, 'MergeFailed', { error: 'MergeFailed', cause: 'The pending objects stay in the merge queue and are merged again (after maxMergeAttempts: the merge DLQ)' });
  const collect = steps(scope, 'Collect', props.stepsFunction, { action: MergeStepAction.COLLECT, spec: props.spec, maxObjects: props.maxObjects }, '$.pending');
  collect.addCatch(failed, { resultPath: '$.failure' });
  const merge = athenaQuery(scope, 'Merge', props, { path: '$.sql' });
  const statements = new sfn.Map(scope, 'MergeStatements', {
    itemsPath: '$.pending.statements',
    itemSelector: { 'sql.$': '$$.Map.Item.Value' },
    maxConcurrency: 1,
    resultPath: sfn.JsonPath.DISCARD,
  });
  statements.itemProcessor(merge);
  statements.addCatch(failed, { resultPath: '$.failure' });
  const acknowledge = steps(scope, 'Acknowledge', props.stepsFunction, { action: MergeStepAction.ACKNOWLEDGE, 'receipts.$': '$.pending.receipts' }, sfn.JsonPath.DISCARD);
  acknowledge.addRetry({ errors: ['Error'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
  acknowledge.addCatch(failed, { resultPath: '$.failure' });
  const more = new sfn.Choice(scope, 'MorePending')
    .when(sfn.Condition.booleanEquals('$.pending.more', true), collect)
    .otherwise(new sfn.Succeed(scope, 'Merged'));
  return collect.next(
    new sfn.Choice(scope, 'AnythingPending')
      .when(sfn.Condition.numberEquals('$.pending.count', 0), new sfn.Succeed(scope, 'NothingPending'))
      .otherwise(statements.next(acknowledge).next(more)),
  );
}

/**
 * Maintenance: compaction (`Optimize`: OPTIMIZE … REWRITE DATA USING BIN_PACK), then snapshot
 * expiry and orphan-file removal (`Vacuum`), each waited for; an error that retries do not absorb
 * ends in `MaintenanceFailed` (the table stays correct; the next run catches up).
 */
export function createMaintenanceDefinition(scope: Construct, props: QuerySettings & { readonly spec: CurrentTableSqlSpec }): sfn.IChainable {
  const failed = new sfn.Fail(scope, 'MaintenanceFailed', { error: 'MaintenanceFailed', cause: 'Compaction or snapshot expiry failed; the table is still correct' });
  const optimize = athenaQuery(scope, 'Optimize', props, { text: optimizeSql(props.spec) });
  const vacuum = athenaQuery(scope, 'Vacuum', props, { text: vacuumSql(props.spec) });
  optimize.addCatch(failed, { resultPath: '$.failure' });
  vacuum.addCatch(failed, { resultPath: '$.failure' });
  return optimize.next(vacuum).next(new sfn.Succeed(scope, 'Maintained'));
}
