/**
 * S3 → EventBridge notifications, which fauxqs does not send: for a bucket with
 * `NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled`, an `Object Created`
 * event on the account's default bus, shaped as S3 sends it.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_BUS, type LocalEventBridge, type PutEventsResult } from './event-bus';

/** Sends the `Object Created` event of one object to the default bus. */
export function notifyObjectCreated(
  eventBridge: LocalEventBridge,
  object: { bucket: string; key: string; size: number; etag?: string },
): Promise<PutEventsResult> {
  return eventBridge.putEvents([
    {
      EventBusName: DEFAULT_BUS,
      Source: 'aws.s3',
      DetailType: 'Object Created',
      Resources: [`arn:aws:s3:::${object.bucket}`],
      Detail: JSON.stringify({
        version: '0',
        bucket: { name: object.bucket },
        object: { key: object.key, size: object.size, etag: object.etag ?? '', sequencer: Date.now().toString(16).toUpperCase() },
        'request-id': randomUUID(),
        requester: 'local-run',
        'source-ip-address': '127.0.0.1',
        reason: 'PutObject',
      }),
    },
  ]);
}
