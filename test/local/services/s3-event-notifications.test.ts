/**
 * S3 → EventBridge for objects the functions create: an `Object Created` event for each object
 * written (200) to a bucket with EventBridge notifications on, none otherwise.
 */
import type { LocalEventBridge, PutEventsEntry } from '../../../local/services/event-bus';
import type { AwsRequest } from '../../../local/services/front-door/aws-request';
import { objectCreatedNotifications } from '../../../local/services/s3-event-notifications';

function request(operation: string, bucket: string, key: string): AwsRequest {
  return { service: 's3', operation, accessKeyId: 'k', method: 'PUT', url: `/${bucket}/${key}`, headers: {}, body: Buffer.from('{"a":1}\n'), params: {}, s3: { bucket, key, query: new URLSearchParams() } };
}

test('announces objects created in EventBridge-enabled buckets on the default bus of their account and region', async () => {
  const put: Array<{ entries: PutEventsEntry[]; environment?: unknown }> = [];
  const bus = { putEvents: async (entries: PutEventsEntry[], environment?: unknown) => (put.push({ entries, environment }), { entries: [], failedEntryCount: 0, delivered: 1, deadLettered: 0, unmatched: 0 }) };
  const env = { account: '111111111111', region: 'eu-west-1' };
  const interceptor = objectCreatedNotifications(bus as unknown as LocalEventBridge, new Map([['curated', env]]));
  const ok = { status: 200, headers: { etag: '"abc"' }, body: '' };
  const context = { signal: new AbortController().signal };
  await interceptor.afterResponse!(request('PutObject', 'curated', 'orders/dt=2026-12-07/hr=08/a.jsonl.gz'), ok, context);
  await interceptor.afterResponse!(request('PutObject', 'other', 'x'), ok, context);
  await interceptor.afterResponse!(request('PutObject', 'curated', 'y'), { ...ok, status: 503 }, context);
  await interceptor.afterResponse!(request('GetObject', 'curated', 'z'), ok, context);
  expect(put).toHaveLength(1);
  expect(put[0].environment).toEqual(env);
  expect(put[0].entries[0]).toMatchObject({ Source: 'aws.s3', DetailType: 'Object Created', EventBusName: 'default' });
  expect(JSON.parse(put[0].entries[0].Detail)).toMatchObject({ bucket: { name: 'curated' }, object: { key: 'orders/dt=2026-12-07/hr=08/a.jsonl.gz', size: 8, etag: 'abc' } });
});
