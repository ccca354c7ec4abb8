import { LambdaApiError, LocalEventSourceMappings } from '../../../local/services/event-source-mappings';

const UUID = '0b1c2d3e-0000-4000-8000-000000000001';

function registry(enabled = true): LocalEventSourceMappings {
  const m = new LocalEventSourceMappings();
  m.register({
    uuid: UUID,
    arn: `arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${UUID}`,
    eventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f:live',
    path: 'Pipeline/Transform/Live/KinesisEventSource',
    enabled,
  });
  return m;
}

describe('LocalEventSourceMappings', () => {
  test('an update answers the transition, a read the settled state; only a change is recorded', () => {
    const m = registry();
    expect(m.isEnabled(UUID)).toBe(true);
    expect(m.update(UUID, false).State).toBe('Disabling');
    expect(m.isEnabled(UUID)).toBe(false);
    expect(m.get(UUID)).toEqual(expect.objectContaining({ UUID, State: 'Disabled', EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s' }));
    expect(m.update(UUID, false).State).toBe('Disabled');
    expect(m.update(UUID, true).State).toBe('Enabling');
    expect(m.get(UUID).State).toBe('Enabled');
    expect(m.updates).toEqual([
      { path: 'Pipeline/Transform/Live/KinesisEventSource', enabled: false },
      { path: 'Pipeline/Transform/Live/KinesisEventSource', enabled: true },
    ]);
  });

  test('a mapping disabled in the template starts disabled', () => {
    expect(registry(false).get(UUID).State).toBe('Disabled');
  });

  test('an unknown UUID or a non-boolean Enabled is refused as Lambda refuses it', () => {
    const m = registry();
    expect(() => m.get('nope')).toThrow(expect.objectContaining({ name: 'ResourceNotFoundException' }));
    expect(() => m.update(UUID, 'false')).toThrow(LambdaApiError);
    expect(m.isEnabled(UUID)).toBe(true);
  });
});
