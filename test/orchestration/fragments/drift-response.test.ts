import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { DriftResponse } from '../../../lib/orchestration/fragments/drift-response';
import { execute, renderFragment, taskError } from './support';

const { definition } = renderFragment((stack, stubs) =>
  new DriftResponse(stack, 'Drift', {
    pausedParameter: new ssm.StringParameter(stack, 'Paused', { parameterName: '/etl/clicks/paused', stringValue: 'false' }),
    maxDriftRate: 0.05,
    stepsFunction: stubs.stepsFunction,
    quarantineBucket: s3.Bucket.fromBucketName(stack, 'Quarantine', 'quarantine'),
    dataset: 'clicks',
    eventBus: stubs.eventBus,
    pipelineName: 'clicks',
    onError: stubs.onError,
  }),
);
const SUMMARY = { scope: 'object', recordsIn: 10, schemaMismatches: 2, driftRate: 0.2, drifted: true };
const RUN = { bucket: 'raw', key: 'batch/a.jsonl', summary: SUMMARY };
const handlers = {
  PausePipeline: () => ({ Version: 2 }),
  QuarantineDriftedObject: () => ({ bucket: 'quarantine', key: 'k' }),
  EmitDrift: () => ({ Entries: [{ EventId: 'e' }], FailedEntryCount: 0 }),
};

describe('DriftResponse', () => {
  test('pauses the pipeline first, quarantines the object, announces the drift with the counts, and fails with SchemaDrift', async () => {
    const { failure, calls } = await execute(definition, RUN, handlers);
    expect(failure).toEqual({ error: 'SchemaDrift', cause: 'schema-mismatch rate 0.2 above 0.05' });
    expect(calls.map((c) => c.state)).toEqual(['PausePipeline', 'QuarantineDriftedObject', 'EmitDrift']);
    expect(calls[0].input).toEqual({ Name: '/etl/clicks/paused', Value: 'true', Type: 'String', Overwrite: true });
    expect(calls[1].input).toMatchObject({ action: 'quarantine', reason: 'SchemaDrift', cause: 'schema-mismatch rate 0.2 above 0.05', prefix: 'clicks/objects/' });
    expect(calls[2].input.Entries).toEqual([
      expect.objectContaining({
        DetailType: 'SchemaDriftDetected',
        Detail: expect.objectContaining({ pipeline: 'clicks', key: 'batch/a.jsonl', counts: SUMMARY, maxDriftRate: 0.05, pausedParameter: '/etl/clicks/paused' }),
      }),
    ]);
  });

  test('a flag that cannot be set sends the run to onError before anything else happens', async () => {
    const { failure, calls } = await execute(definition, RUN, { ...handlers, PausePipeline: () => Promise.reject(taskError('States.TaskFailed', 'denied')) });
    expect(failure).toEqual({ error: 'OnError', cause: 'denied' });
    expect(calls.map((c) => c.state)).toEqual(['PausePipeline', 'PausePipeline', 'PausePipeline', 'PausePipeline']);
  });

  test('an undeliverable drift event still fails the run with SchemaDrift', async () => {
    const { failure } = await execute(definition, RUN, { ...handlers, EmitDrift: () => Promise.reject(taskError('States.TaskFailed', 'bus down')) });
    expect(failure?.error).toBe('SchemaDrift');
  });
});
