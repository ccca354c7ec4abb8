import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { currentTablePrefix } from '../contract/storage-layout';
import type { IServerlessWarehouse } from '../staging/serverless-warehouse';

/** What {@link grantTableQueries} grants on. */
export interface TableQueryAccess {
  readonly warehouse: IServerlessWarehouse;
  readonly curatedBucket: s3.IBucket;
  readonly dataset: string;
  /** The tables the queries read or write (the source table and the Iceberg table). */
  readonly tableNames: readonly string[];
}

/**
 * What Athena needs of a principal that runs the current table's MERGE and maintenance in the
 * warehouse's workgroup (Athena uses the caller's credentials for Glue and S3): start, poll and
 * stop queries in that workgroup only; read and update those tables' Glue metadata (an Iceberg
 * commit updates the table's metadata location); read the dataset's curated objects; read, write
 * and delete (VACUUM) the table's files under `_current/<dataset>/`; write query results; the
 * keys of both buckets.
 */
export function grantTableQueries(grantee: iam.IGrantable, access: TableQueryAccess): void {
  const stack = Stack.of(access.warehouse);
  const { warehouse, curatedBucket, dataset } = access;
  const add = (actions: string[], resources: string[]) => iam.Grant.addToPrincipal({ grantee, actions, resourceArns: resources });
  add(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'], [
    stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: warehouse.workGroupName }),
  ]);
  add(['glue:GetDatabase', 'glue:GetTable', 'glue:UpdateTable', 'glue:GetPartitions'], [
    stack.formatArn({ service: 'glue', resource: 'catalog' }),
    stack.formatArn({ service: 'glue', resource: 'database', resourceName: warehouse.databaseName }),
    ...access.tableNames.map((t) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${warehouse.databaseName}/${t}` })),
  ]);
  const tableFiles = currentTablePrefix(dataset);
  add(['s3:GetObject'], [curatedBucket.arnForObjects(`${dataset}/*`)]);
  add(['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], [curatedBucket.arnForObjects(`${tableFiles}*`)]);
  grantList(grantee, curatedBucket, [`${dataset}/*`, `${tableFiles}*`]);
  add(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], [warehouse.resultsBucket.arnForObjects('results/*')]);
  grantList(grantee, warehouse.resultsBucket, ['results/*']);
  curatedBucket.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  warehouse.resultsBucket.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
}

function grantList(grantee: iam.IGrantable, bucket: s3.IBucket, prefixes: string[]): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation'], resourceArns: [bucket.bucketArn] });
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [...prefixes, ''] } } }),
  );
}
