import * as fs from 'node:fs';
import * as path from 'node:path';
import { transform } from '../../../examples/clickstream/transform';
import type { TransformContext } from '../../../lambda/runtime/transform-contract';
import { checkBackwardCompatibility } from '../../../lib/schema/schema-compatibility';
import { ROOT } from '../../support/cdk';

const DIR = path.join(ROOT, 'examples', 'clickstream');
const context: TransformContext = {
  pipeline: 'clickstream',
  stage: 'transform',
  recordId: 'evt-0001',
  eventTime: '2026-11-24T09:00:07.000Z',
  source: { kind: 'sqs', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q', messageId: 'm1' },
  receivedAt: '2026-11-24T09:00:08.000Z',
};
const event = { eventId: 'evt-0001', eventTime: '2026-11-24T09:00:07.000Z', eventType: 'click', userId: 'u', sessionId: 's', page: { url: 'https://shop.example.com/A/' } };
const lines = (file: string) =>
  fs
    .readFileSync(path.join(DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the clickstream transform: corrections', () => {
  test('passes the revision on, 1 when the event has none (its first)', () => {
    expect(transform(event, context)).toMatchObject({ eventId: 'evt-0001', revision: 1, path: '/a' });
    expect(transform({ ...event, revision: 3, schemaVersion: '2' }, context)).toMatchObject({ eventId: 'evt-0001', revision: 3 });
  });

  test('a retraction is a delete of its eventId, ordered by its revision', () => {
    expect(transform({ ...event, eventType: 'retracted', revision: 2, schemaVersion: '2' }, context)).toEqual({ revision: 2, _etl_op: 'delete', _etl_key: 'evt-0001' });
  });

  test('schema version 2 adds the revision and retractions compatibly, and every correction is a version 2 event', () => {
    const v1 = JSON.parse(fs.readFileSync(path.join(DIR, 'schemas', 'clickstream-v1.json'), 'utf8')) as unknown;
    const v2 = JSON.parse(fs.readFileSync(path.join(DIR, 'schemas', 'clickstream-v2.json'), 'utf8')) as unknown;
    expect(checkBackwardCompatibility(v1, v2, { previous: '1', next: '2', versionField: 'schemaVersion' })).toEqual([]);
    const corrections = lines('sample-corrections.jsonl');
    expect(corrections.map((c) => c.schemaVersion)).toEqual(corrections.map(() => '2'));
    // Updated ids (a newer revision), one older revision sent after a newer one, retractions, a new id, a redelivery.
    const byId = new Map<string, number[]>();
    for (const c of corrections) byId.set(String(c.eventId), [...(byId.get(String(c.eventId)) ?? []), Number(c.revision)]);
    expect(Object.fromEntries(byId)).toEqual({ 'evt-0002': [2, 2], 'evt-0005': [2, 3], 'evt-0008': [3, 2], 'evt-0007': [2], 'evt-0011': [2, 1], 'evt-0017': [1] });
    expect(corrections.filter((c) => c.eventType === 'retracted').map((c) => c.eventId)).toEqual(['evt-0007', 'evt-0011']);
  });
});
