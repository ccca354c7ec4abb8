/**
 * S3 → EventBridge for the objects the app's functions write: fauxqs sends no notifications, so
 * the front door announces each object created (PutObject, CopyObject, CompleteMultipartUpload
 * answered 200) in a bucket with EventBridge notifications on, as S3 does: an `Object Created`
 * event on the default bus of the bucket's account and region. (The run's own input object is
 * announced where it is put, local/run/pipeline-run.ts.)
 */
import type { BusEnvironment, LocalEventBridge } from './event-bus';
import type { FrontDoorInterceptor } from './front-door/front-door';
import { notifyObjectCreated } from './s3-notifications';

const CREATING = new Set(['PutObject', 'CopyObject', 'CompleteMultipartUpload']);

/**
 * The interceptor that announces created objects of `buckets` (bucket name → the account and
 * region of its stack). `onError` hears a notification that could not be put (the write itself
 * stands, as on AWS).
 */
export function objectCreatedNotifications(
  eventBridge: LocalEventBridge,
  buckets: ReadonlyMap<string, BusEnvironment>,
  onError: (error: Error) => void = () => undefined,
): FrontDoorInterceptor {
  return {
    name: 's3-notifications',
    async afterResponse(request, response) {
      const bucket = request.s3?.bucket;
      const key = request.s3?.key;
      if (request.service !== 's3' || !CREATING.has(request.operation) || response.status !== 200 || !bucket || !key) return undefined;
      const environment = buckets.get(bucket);
      if (!environment) return undefined;
      const etag = response.headers.etag ?? response.headers.ETag;
      const size = request.operation === 'PutObject' ? request.body.length : Number(request.headers['content-length'] ?? 0);
      await notifyObjectCreated(eventBridge, { bucket, key, size, etag: etag?.replace(/"/g, '') }, environment).catch((error: Error) => onError(error));
      return undefined;
    },
  };
}
