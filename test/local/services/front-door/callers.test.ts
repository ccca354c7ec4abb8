import { CallerRegistry, signerOf } from '../../../../local/services/front-door/callers';

describe('CallerRegistry', () => {
  test('each execution environment of a function signs with a key of its own, as the same caller', () => {
    const callers = new CallerRegistry();
    const fn = { id: 'S/Fn', label: 'Pipeline/Fn', roleArn: 'arn:aws:iam::111111111111:role/fn' };
    const one = callers.register({ ...fn, environment: 1 });
    const two = callers.register({ ...fn, environment: 2 });
    expect(one.accessKeyId).not.toBe(two.accessKeyId);
    // Registering again gives the same key.
    expect(callers.register({ ...fn, environment: 1 })).toEqual(one);
    expect(callers.callerOf(two.accessKeyId)).toEqual({ ...fn, environment: 2 });
    expect([signerOf({ ...fn, environment: 2 }), signerOf(fn)]).toEqual(['S/Fn#2', 'S/Fn']);
    // A caller without environments (another principal of the run) keeps one key.
    const other = callers.register({ id: 'S/Machine', label: 'Pipeline/Machine' });
    expect(callers.register({ id: 'S/Machine', label: 'Pipeline/Machine' })).toEqual(other);
    expect(callers.callerOf('AKIAUNKNOWN')).toBeUndefined();
  });
});
