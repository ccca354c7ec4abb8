import type { Template } from '../../../local/template/cloud-assembly';
import type { ProvisionedStack } from '../../../local/run/provision';
import { LocalReferences } from '../../../local/template/references';
import { readLocalResources } from '../../../local/template/template-resources';
import { findBatchRoute, prepareStateMachines, resolveDefinition } from '../../../local/run/workflows';

/** A stack with a raw bucket (S3 events to EventBridge), a function and its alias, a parameter, a queue and a state machine started by a rule. */
function stack(keyFilter: unknown): ProvisionedStack {
  const template: Template = {
    Resources: {
      Raw: { Type: 'AWS::S3::Bucket', Properties: { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x' } },
      Live: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, Name: 'live' } },
      Flag: { Type: 'AWS::SSM::Parameter', Properties: { Name: '/etl/paused', Type: 'String', Value: 'false' } },
      Dlq: { Type: 'AWS::SQS::Queue' },
      Wf: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          DefinitionString: {
            'Fn::Join': [
              '',
              [
                '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"',
                { Ref: 'Live' },
                '","Parameters":{"flag":"',
                { Ref: 'Flag' },
                '","queue":"',
                { Ref: 'Dlq' },
                '","bucket":"${RawName}"},"End":true}}}',
              ],
            ],
          },
          DefinitionSubstitutions: { RawName: { Ref: 'Raw' } },
        },
      },
      Start: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [{ Ref: 'Raw' }] }, object: { key: keyFilter } } },
          Targets: [{ Id: 'T', Arn: { Ref: 'Wf' }, InputTransformer: { InputPathsMap: { k: '$.detail.object.key' }, InputTemplate: '{"key":<k>}' } }],
        },
      },
    },
  };
  const resources = readLocalResources(template, 'S');
  const refs = new LocalReferences(template, resources, { region: 'us-east-1', queueUrls: new Map([['Dlq', 'http://sqs.local/000000000000/S-Dlq']]) });
  return { stack: { name: 'S', environment: '', template, templateFile: '' }, resources, refs, queueUrls: new Map(), notes: [] };
}

describe('state machines of a template', () => {
  test('are read with their definition, parameters and rule targets (input transformer)', () => {
    const s = stack([{ prefix: 'batch/' }]);
    expect(s.resources.stateMachines).toEqual([expect.objectContaining({ name: 'S-Wf', type: 'STANDARD', definitionInS3: false })]);
    expect(s.resources.parameters).toEqual([expect.objectContaining({ name: '/etl/paused', type: 'String', value: 'false' })]);
    expect(s.resources.rules[0].targets[0].inputTransformer).toEqual({ inputPathsMap: { k: '$.detail.object.key' }, inputTemplate: '{"key":<k>}' });
    expect(s.resources.notEmulated).toEqual([]);
    expect(s.refs.target({ Ref: 'Wf' })).toEqual({ kind: 'stateMachine', logicalId: 'Wf' });
    expect(s.refs.ref('Wf')).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:S-Wf');
  });

  test('definitions resolve to the local names and ARNs; the functions they invoke are found through aliases', () => {
    const s = stack([{ prefix: 'batch/' }]);
    expect(resolveDefinition(s.resources.stateMachines[0], s)).toEqual({
      StartAt: 'A',
      States: {
        A: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:000000000000:function:S-Fn:live',
          Parameters: { flag: '/etl/paused', queue: 'http://sqs.local/000000000000/S-Dlq', bucket: 's-raw' },
          End: true,
        },
      },
    });
    const [prepared] = prepareStateMachines([s]);
    expect(prepared.problem).toBeUndefined();
    expect(prepared.functions.map((f) => f.logicalId)).toEqual(['Fn']);
  });

  test.each([
    [[{ prefix: 'batch/' }], /^batch\/local-run\/.*\.jsonl$/],
    [[{ suffix: '.ndjson' }], /^local-run\/.*\.ndjson$/],
    [[{ wildcard: 'in/*/data-*.json' }], /^in\/local-run\/[^/]*\/data-\.json$/],
    [['exports/nightly.jsonl'], /^exports\/nightly\.jsonl$/],
  ])('the batch route picks a key the rule matches: %j', (filter, key) => {
    const route = findBatchRoute([stack(filter)]);
    expect(route?.bucket.logicalId).toBe('Raw');
    expect(route?.stateMachine.logicalId).toBe('Wf');
    expect(route?.key).toMatch(key);
  });

  test('no route when no key can match (e.g. anything-but every key)', () => {
    expect(findBatchRoute([stack([{ 'anything-but': { prefix: '' } }])])).toBeUndefined();
  });
});
