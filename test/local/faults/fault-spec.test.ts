import { checkFaultOperations, DEFAULT_FAULT_SEED, parseFaultSpec } from '../../../local/faults/fault-spec';
import { parseCliOptions } from '../../../local/run/cli-options';

describe('--faults spec', () => {
  test('every kind of fault, with probabilities, percentages, counts, durations and a start call', () => {
    const plan = parseFaultSpec('throttle:dynamodb:0.1, 5xx:s3:5%,hang:s3:PutObject:2x,timeout-mid-batch:1,outage:dynamodb:2s@30,outage:secrets-manager:500ms', 42);
    expect(plan.seed).toBe(42);
    expect(plan.clauses).toEqual([
      { kind: 'throttle', service: 'dynamodb', rate: { probability: 0.1 }, text: 'throttle:dynamodb:0.1' },
      { kind: '5xx', service: 's3', rate: { probability: 0.05 }, text: '5xx:s3:5%' },
      { kind: 'hang', service: 's3', operation: 'PutObject', rate: { first: 2 }, text: 'hang:s3:PutObject:2x' },
      { kind: 'timeout-mid-batch', count: 1, text: 'timeout-mid-batch:1' },
      { kind: 'outage', service: 'dynamodb', durationMs: 2000, fromCall: 30, text: 'outage:dynamodb:2s@30' },
      { kind: 'outage', service: 'secretsmanager', durationMs: 500, fromCall: 1, text: 'outage:secrets-manager:500ms' },
    ]);
    expect(parseFaultSpec('timeout-mid-batch').clauses).toEqual([{ kind: 'timeout-mid-batch', count: 1, text: 'timeout-mid-batch' }]);
    expect(parseFaultSpec('throttle:sqs:1').clauses[0]).toEqual(expect.objectContaining({ rate: { probability: 1 } }));
    expect(parseFaultSpec('outage:s3:1.5m').clauses[0]).toEqual(expect.objectContaining({ durationMs: 90_000 }));
    expect(parseFaultSpec('5xx:kinesis:0.2').seed).toBe(DEFAULT_FAULT_SEED);
  });

  test.each([
    ['', /--faults is empty/],
    ['throttle:dynamodb:0.1,', /fault 2 of "throttle:dynamodb:0.1," is empty/],
    ['slow:s3:0.1', /"slow:s3:0.1": unknown fault "slow" \(one of throttle, 5xx, hang, timeout-mid-batch, outage\)/],
    ['throttle:dynamo:0.1', /"throttle:dynamo:0.1": unknown service "dynamo" \(one of s3, dynamodb, sqs, kinesis, secretsmanager\)/],
    ['5xx:s3:1.5', /"5xx:s3:1.5": "1.5" is neither a probability .* nor a count of calls \(3x\)/],
    ['5xx:s3:0', /"5xx:s3:0": "0" is neither a probability/],
    ['5xx:s3:120%', /"120%" is neither a probability/],
    ['hang:s3:0x', /"hang:s3:0x": "0" is not a count/],
    ['hang:s3:put-object:0.1', /"put-object" is not an API operation name/],
    ['hang:s3', /"hang:s3": expected hang:<service>\[:<Operation>\]:<probability or count>/],
    ['timeout-mid-batch:two', /"timeout-mid-batch:two": "two" is not a count/],
    ['timeout-mid-batch:1:2', /expected timeout-mid-batch\[:<count>\]/],
    ['outage:s3', /"outage:s3": expected outage:<service>:<duration>\[@<call>\]/],
    ['outage:s3:2 seconds', /"2 seconds" is not a duration from 1ms to 15m/],
    ['outage:s3:20m', /"20m" is not a duration from 1ms to 15m/],
    ['outage:s3:2s@0', /"@0" must name the call the outage begins with/],
    ['outage:s3:2s@30%', /"@30%" must name the call the outage begins with/],
  ])('%j is refused, naming the bad part', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });

  test('operations are checked against the AWS SDK, with the right spelling suggested', () => {
    expect(() => checkFaultOperations(parseFaultSpec('hang:s3:PutObject:0.1,throttle:dynamodb:BatchGetItem:1x,5xx:secretsmanager:GetSecretValue:1x'))).not.toThrow();
    expect(() => checkFaultOperations(parseFaultSpec('hang:s3:PutItem:0.1'))).toThrow('--faults: "hang:s3:PutItem:0.1": s3 has no operation "PutItem" (operation names are the API names');
    expect(() => checkFaultOperations(parseFaultSpec('hang:s3:Putobject:0.1'))).toThrow('s3 has no operation "Putobject" (did you mean PutObject?)');
  });

  test('start options: --faults and --seed parsed, a bad spec or a lone --seed refused', () => {
    expect(parseCliOptions(['--faults', 'throttle:dynamodb:0.1', '--seed', '7']).faults).toEqual(expect.objectContaining({ seed: 7, spec: 'throttle:dynamodb:0.1' }));
    expect(parseCliOptions([]).faults).toBeUndefined();
    expect(() => parseCliOptions(['--seed', '7'])).toThrow('--seed seeds the faults of --faults: give --faults too');
    expect(() => parseCliOptions(['--faults', '5xx:s3:0.1', '--seed', 'x'])).toThrow('--seed must be a whole number ≥ 0, not "x"');
    expect(() => parseCliOptions(['--faults', '5xx:s3:PutObjekt:0.1'])).toThrow(/s3 has no operation "PutObjekt"/);
  });
});
