import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as clickstreamTransform from '../../examples/clickstream/transform';
import { createBatchHandler } from '../../lambda/runtime/batch-handler';
import type { TransformModule } from '../../lambda/runtime/transform-contract';
import {
  BATCH_LOG_FIELD,
  BATCH_PROCESSED_MESSAGE,
  LAMBDA_ERROR_LOG_FIELD,
  POWERTOOLS_LOG_FIELD,
  QUARANTINED_ID_FIELD,
} from '../../lib/contract/log-fields';
import { errorsByTypeQuery, LAST_FAILURES_LIMIT, lastFailuresQuery, quarantineReasonsQuery } from '../../lib/observability/log-queries';
import { fakeS3Store, kinesisEvent, sampleEventLines, testConfig } from '../lambda/support/fixtures';

describe('Logs Insights queries', () => {
  test('quarantined records by reason: the batch lines with quarantines, one row per record, counted by its reason', () => {
    expect(quarantineReasonsQuery()).toEqual([
      `filter ${POWERTOOLS_LOG_FIELD.message} = "${BATCH_PROCESSED_MESSAGE}" and ${BATCH_LOG_FIELD.quarantined} > 0`,
      'fields jsonParse(@message) as batchLine',
      `unnest batchLine.${BATCH_LOG_FIELD.quarantinedIds} into quarantinedRecord`,
      `stats count(*) as records by quarantinedRecord.${QUARANTINED_ID_FIELD.reason}`,
      'sort records desc',
    ]);
  });

  test('errors by type: thrown errors (level ERROR) and timed-out or failed invocations, by type and log group', () => {
    const [filter, fields, stats] = errorsByTypeQuery();
    expect(filter).toBe('filter level = "ERROR" or (type = "platform.report" and record.status in ["timeout", "error", "failure"])');
    expect(fields).toBe(`fields coalesce(${LAMBDA_ERROR_LOG_FIELD.errorType}, record.status) as errorType`);
    expect(stats).toBe('stats count(*) as errors by errorType, @log');
  });

  test('last failures: newest first, limited, each with its request id', () => {
    const lines = lastFailuresQuery();
    expect(lines[0]).toContain(`(${POWERTOOLS_LOG_FIELD.message} = "${BATCH_PROCESSED_MESSAGE}" and (quarantined > 0 or retried > 0))`);
    expect(lines[1]).toContain(`coalesce(${LAMBDA_ERROR_LOG_FIELD.requestId}, ${POWERTOOLS_LOG_FIELD.requestId}, record.requestId, @requestId) as request`);
    expect(lines.slice(2)).toEqual(['sort @timestamp desc', `limit ${LAST_FAILURES_LIMIT}`]);
    expect(lastFailuresQuery(5)[3]).toBe('limit 5');
  });
});

describe('the runtime writes the fields the queries read', () => {
  const s3Mock = mockClient(S3Client);
  afterAll(() => s3Mock.restore());

  test('its "batch processed" line carries the message, counts, quarantined records with their reason, and the request id', async () => {
    fakeS3Store(s3Mock);
    const printed: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    }) as typeof process.stdout.write);
    try {
      const logger = new Logger({ serviceName: 'log-fields-test', logLevel: 'INFO' });
      const handler = createBatchHandler(clickstreamTransform as unknown as TransformModule, undefined, {
        s3: new S3Client({ region: 'us-east-1' }),
        dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
        config: testConfig(),
        logger,
        writeMetrics: () => undefined,
      });
      const context = { awsRequestId: 'req-0001', functionName: 'transform', memoryLimitInMB: '1024', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:transform', functionVersion: '1' };
      await handler(kinesisEvent([sampleEventLines()[0], '{"truncated": ']), context as unknown as Context);
    } finally {
      stdout.mockRestore();
    }
    const lines = printed.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const batch = lines.find((l) => l[POWERTOOLS_LOG_FIELD.message] === BATCH_PROCESSED_MESSAGE);
    expect(batch).toBeDefined();
    expect(batch![POWERTOOLS_LOG_FIELD.requestId]).toBe('req-0001');
    expect(batch![BATCH_LOG_FIELD.quarantined]).toBe(1);
    expect(batch![BATCH_LOG_FIELD.retried]).toBe(0);
    expect(batch![BATCH_LOG_FIELD.source]).toBe('kinesis');
    const quarantined = batch![BATCH_LOG_FIELD.quarantinedIds] as Array<Record<string, unknown>>;
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0][QUARANTINED_ID_FIELD.reason]).toBe('MALFORMED_JSON');
    expect(Object.keys(quarantined[0]).sort()).toEqual(Object.values(QUARANTINED_ID_FIELD).sort());
  });
});
