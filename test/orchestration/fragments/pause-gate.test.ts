import * as ssm from 'aws-cdk-lib/aws-ssm';
import { PauseGate } from '../../../lib/orchestration/fragments/pause-gate';
import { execute, renderFragment, taskError, type Json } from './support';

const { definition, states, template } = renderFragment((stack, stubs) => {
  const pausedParameter = new ssm.StringParameter(stack, 'Paused', { parameterName: '/etl/clicks/paused', stringValue: 'false' });
  return new PauseGate(stack, 'Gate', { pausedParameter, pipelineName: 'clicks', onPaused: stubs.elsewhere, onError: stubs.onError }).next(stubs.next);
});
const RUN = { bucket: 'raw', key: 'batch/a.jsonl' };
const flag = (value: string) => ({ CheckPaused: (i: Json) => ({ Parameter: { Name: i.Name, Value: value } }) });

describe('PauseGate', () => {
  test('reads the named parameter into $.paused.value and lets the run on while it is not "true"', async () => {
    for (const value of ['false', 'TRUE', '']) {
      const { output, calls } = await execute(definition, RUN, flag(value));
      expect(output).toEqual({ ...RUN, paused: { value }, reached: 'Continue' });
      expect(calls).toEqual([{ state: 'CheckPaused', input: { Name: '/etl/clicks/paused' } }]);
    }
  });

  test('a paused pipeline sends the run to onPaused with a PipelinePaused failure, never to the next state', async () => {
    const { failure } = await execute(definition, RUN, flag('true'));
    expect(failure?.error).toBe('Elsewhere');
    expect(states.MarkPaused.Result).toEqual({
      Error: 'PipelinePaused',
      Cause: 'pipeline clicks is paused (schema drift): redrive this message after the operator resumes',
    });
    expect(states.MarkPaused).toMatchObject({ ResultPath: '$.failure', Next: 'Elsewhere' });
  });

  test('a flag that cannot be read is retried, then the run goes to onError with the error at $.failure', async () => {
    const { failure, calls } = await execute(definition, RUN, {
      CheckPaused: () => {
        throw taskError('States.TaskFailed', 'throttled');
      },
    });
    expect(failure).toEqual({ error: 'OnError', cause: 'throttled' });
    expect(calls).toHaveLength(4);
  });

  test('the state machine may read that parameter only', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    const ssmStatements = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('ssm:')));
    expect(ssmStatements).toHaveLength(1);
    expect(ssmStatements[0].Action).toBe('ssm:getParameter');
    const parameterId = Object.keys(template.findResources('AWS::SSM::Parameter'))[0];
    expect(ssmStatements[0].Resource).toEqual({ 'Fn::Join': ['', [expect.stringMatching(/^arn:aws:ssm:eu-west-1:123456789012:parameter$/), { Ref: parameterId }]] });
  });
});
