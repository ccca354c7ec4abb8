import * as library from '../../lib';
import * as contract from '../../lib/contract';
import * as workflow from '../../lib/orchestration/batch-workflow';

describe('the contract', () => {
  it('keeps its names: changing one breaks deployed alarms, event rules, older CLIs and the runtime of deployed stacks', () => {
    // A snapshot, not a second list: the names are defined once, in lib/contract/; this fails on
    // any rename so that it is made on purpose (and released as a breaking change).
    expect({
      environment: contract.RUNTIME_ENV,
      defaults: contract.RUNTIME_DEFAULTS,
      metrics: {
        namespace: contract.METRIC_NAMESPACE,
        dimensions: contract.METRIC_DIMENSION,
        names: contract.PipelineMetricName,
        counts: contract.COUNT_METRICS,
      },
      watermarks: {
        sources: contract.PipelineSource,
        dimension: contract.SOURCE_DIMENSION,
        names: contract.WatermarkMetricName,
        environment: contract.WATERMARK_ENV,
        lookbackSeconds: contract.WATERMARK_LOOKBACK_SECONDS,
        publisherTimeoutSeconds: contract.WATERMARK_PUBLISHER_TIMEOUT_SECONDS,
      },
      workflow: {
        actions: contract.StepAction,
        objectCheckErrors: contract.OBJECT_CHECK_ERRORS,
        errors: contract.WorkflowError,
        summaryFields: contract.BATCH_SUMMARY_FIELDS,
        stepsTimeoutSeconds: contract.STEPS_FUNCTION_TIMEOUT_SECONDS,
        eventSource: contract.BATCH_WORKFLOW_EVENT_SOURCE,
        eventTypes: contract.BatchWorkflowEventType,
      },
      piiActions: contract.PII_ACTIONS,
      outputs: contract.PIPELINE_OUTPUT,
      dlqs: { ids: contract.DLQ_ID, kinesis: contract.kinesisDlqId(2), output: contract.dlqOutputId(contract.DLQ_ID.buffer) },
      logFields: {
        batchProcessed: contract.BATCH_PROCESSED_MESSAGE,
        batch: contract.BATCH_LOG_FIELD,
        quarantinedId: contract.QUARANTINED_ID_FIELD,
        powertools: contract.POWERTOOLS_LOG_FIELD,
        lambdaError: contract.LAMBDA_ERROR_LOG_FIELD,
        errorLevel: contract.ERROR_LOG_LEVEL,
        platform: contract.LAMBDA_PLATFORM_LOG_FIELD,
        platformReport: contract.PLATFORM_REPORT_TYPE,
        failedStatuses: contract.FAILED_INVOCATION_STATUSES,
      },
      storage: {
        streamArchive: contract.STREAM_ARCHIVE_PREFIX,
        claimChecks: contract.claimCheckPrefix('orders'),
        lineage: contract.lineagePrefix('orders'),
        runLineage: contract.runLineagePrefix('orders'),
        quarantinedObjects: contract.quarantinedObjectsPrefix('orders'),
        pointerSuffix: contract.QUARANTINE_POINTER_SUFFIX,
        partition: contract.partitionPath('2026-03-01', '07'),
        idempotencyTable: contract.IDEMPOTENCY_TABLE,
      },
    }).toMatchSnapshot();
  });

  it('publishes its constants frozen: no caller can change what the other side reads', () => {
    const constants = Object.entries(contract).filter(([name, value]) => /^[A-Z][A-Z0-9_]*$/.test(name) && typeof value === 'object');
    expect(constants.map(([name]) => name)).toContain('OBJECT_CHECK_ERRORS');
    for (const [name, value] of constants) expect([name, Object.isFrozen(value)]).toEqual([name, true]);
  });

  it('counts every metric but the freshness lag, whose values are a distribution', () => {
    expect([...contract.COUNT_METRICS, contract.PipelineMetricName.FRESHNESS_LAG_SECONDS].sort()).toEqual(
      Object.values(contract.PipelineMetricName).sort(),
    );
  });

  it('keeps the earlier names as deprecated aliases (from their module), and the package root exports the enums', () => {
    expect(workflow.BatchWorkflowEvents).toBe(contract.BatchWorkflowEventType);
    expect(workflow.BatchWorkflowEvents.COMPLETED).toBe('BatchCompleted');
    expect(workflow.OBJECT_CHECK_ERRORS).toEqual(Object.values(contract.ObjectCheckError));
    expect(workflow.BATCH_WORKFLOW_EVENT_SOURCE).toBe(contract.BATCH_WORKFLOW_EVENT_SOURCE);
    expect([library.PipelineMetricName, library.ObjectCheckError, library.WorkflowError, library.BatchWorkflowEventType, library.PipelineMetrics.NAMESPACE]).toEqual([
      contract.PipelineMetricName,
      contract.ObjectCheckError,
      contract.WorkflowError,
      contract.BatchWorkflowEventType,
      contract.METRIC_NAMESPACE,
    ]);
  });
});
