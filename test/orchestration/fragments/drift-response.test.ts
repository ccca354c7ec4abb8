import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { DriftResponse } from '../../../lib/orchestration/fragments/drift-response';
import { execute, renderFragment, taskError } from './support';

const render = (held: string[]) =>
  renderFragment((stack, stubs) =>
  new DriftResponse(stack, 'Drift', {
    pausedParameter: new ssm.StringParameter(stack, 'Paused', { parameterName: '/etl/clicks/paused', stringValue: 'false' }),
    maxDriftRate: 0.05,
    stepsFunction: stubs.stepsFunction,
    quarantineBucket: s3.Bucket.fromBucketName(stack, 'Quarantine', 'quarantine'),
    dataset: 'clicks',
    eventBus: stubs.eventBus,
    pipelineName: 'clicks',
    onError: stubs.onError,
    heldSources: held.map((uuid, i) => lambda.EventSourceMapping.fromEventSourceMappingId(stack, `Mapping${i}`, uuid)),
  }),
);
const { definition } = render([]);
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

  describe('with held sources (the stream and bus event source mappings)', () => {
    const held = render(['uuid-stream', 'uuid-bus']);

    test('disables each mapping right after the flag is set, before anything else, so their records wait in the source', async () => {
      const holding = { ...handlers, HoldSource1: () => ({ State: 'Disabling' }), HoldSource2: () => ({ State: 'Disabling' }) };
      const { failure, calls } = await execute(held.definition, RUN, holding);
      expect(failure?.error).toBe('SchemaDrift');
      expect(calls.map((c) => c.state)).toEqual(['PausePipeline', 'HoldSource1', 'HoldSource2', 'QuarantineDriftedObject', 'EmitDrift']);
      expect(calls[1].input).toEqual({ Uuid: 'uuid-stream', Enabled: false });
      expect(calls[2].input).toEqual({ Uuid: 'uuid-bus', Enabled: false });
      expect(held.states.HoldSource1.Resource).toBe('arn:aws:states:::aws-sdk:lambda:updateEventSourceMapping');
    });

    test('a mapping in a transition is waited for; one that cannot be disabled sends the run to onError', async () => {
      let inUse = 2;
      const busy = () => (inUse-- > 0 ? Promise.reject(taskError('Lambda.ResourceInUseException', 'updating')) : { State: 'Disabling' });
      const waited = await execute(held.definition, RUN, { ...handlers, HoldSource1: busy, HoldSource2: () => ({}) });
      expect(waited.calls.map((c) => c.state).filter((s) => s === 'HoldSource1')).toHaveLength(3);
      expect(waited.failure?.error).toBe('SchemaDrift');
      const denied = await execute(held.definition, RUN, { ...handlers, HoldSource1: () => Promise.reject(taskError('Lambda.AccessDeniedException', 'denied')) });
      expect(denied.failure).toEqual({ error: 'OnError', cause: 'denied' });
    });

    test('the state machine may update these two mappings and nothing else', () => {
      const arn = (uuid: string) => `arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:${uuid}`;
      const statements = Object.values(held.template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown }>);
      expect(statements.filter((st) => JSON.stringify(st).includes('EventSourceMapping'))).toEqual([
        { Action: 'lambda:UpdateEventSourceMapping', Effect: 'Allow', Resource: expect.arrayContaining([arn('uuid-stream'), arn('uuid-bus')]) },
      ]);
    });
  });
});
