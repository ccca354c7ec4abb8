/**
 * S3 → EventBridge notifications, which fauxqs does not send: for a bucket with
 * `NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled`, an `Object Created`
 * event on the account's default bus, shaped as S3 sends it.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_BUS, type BusEnvironment, type EventBridgeEnvelope, type LocalEventBridge, type PutEventsEntry, type PutEventsResult } from './event-bus';

/** An object whose creation is announced. */
export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
}

/** The `PutEvents` entry S3 sends for a created object. */
export function objectCreatedEntry(object: CreatedObject): PutEventsEntry {
  return {
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
  };
}

/** The event as a rule sees it (to test a rule's pattern before putting an object). */
export function objectCreatedEvent(object: CreatedObject, account: string, region: string): EventBridgeEnvelope {
  const entry = objectCreatedEntry(object);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: entry.Resources ?? [],
    detail: JSON.parse(entry.Detail) as unknown,
  };
}

/**
 * Sends the `Object Created` event of one object to the default bus of the bucket's account and
 * region (`environment`; by default the event bridge's own).
 */
export function notifyObjectCreated(eventBridge: LocalEventBridge, object: CreatedObject, environment?: BusEnvironment): Promise<PutEventsResult> {
  return eventBridge.putEvents([objectCreatedEntry(object)], environment);
}
