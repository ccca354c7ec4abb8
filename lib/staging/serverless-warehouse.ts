import { Duration, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { RUNTIME_DEFAULTS } from '../contract/environment';
import { partitionPath } from '../contract/storage-layout';
import { acknowledgeRules } from '../core/compliance';
import { createPipelineKey } from '../core/encryption';
import { PropValidator, formatNumber } from '../core/prop-validator';

/** A column of the curated table. */
export interface WarehouseColumn {
  /** Column name (lower case; JSON field names are matched case-insensitively). */
  readonly name: string;
  /** Hive type: `string`, `boolean`, `bigint`, `double`, `map<string,string>`, `struct<…>`, `array<…>`. */
  readonly type: string;
  /**
   * What the column holds.
   * @default - none
   */
  readonly comment?: string;
}

/** What a pipeline's warehouse is made of. */
export interface WarehouseOptions {
  /**
   * The curated records' columns (the transform's output). In an `EtlPipeline` with a
   * `currentTable`, leave it out: the columns are derived from `currentTable.outputSchema`.
   * @default - required, except in an EtlPipeline with a currentTable
   */
  readonly columns?: WarehouseColumn[];
  /**
   * Glue database name (lower case letters, digits, `_`).
   * @default - the dataset with `-` replaced by `_`, plus `_etl`
   */
  readonly databaseName?: string;
  /**
   * Table name.
   * @default - the dataset with `-` replaced by `_`
   */
  readonly tableName?: string;
  /**
   * First day of the date partitions the table projects (YYYY-MM-DD).
   * @default '2024-01-01'
   */
  readonly firstPartitionDate?: string;
  /**
   * Cost guardrail: a query that would scan more than this is cancelled (10 MB to 1 PB).
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoffPerQuery?: Size;
  /**
   * How long query results are kept.
   * @default Duration.days(30)
   */
  readonly resultsExpiration?: Duration;
}

/** Props for {@link ServerlessWarehouse}. */
export interface ServerlessWarehouseProps extends WarehouseOptions {
  /** The curated bucket. */
  readonly curatedBucket: s3.IBucket;
  /** The dataset: the table reads `s3://<curated>/<dataset>/dt=YYYY-MM-DD/hr=HH/`. */
  readonly dataset: string;
  /**
   * KMS key that encrypts query results.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Bucket for the results bucket's server access logs.
   * @default - results are not access-logged
   */
  readonly accessLogsBucket?: s3.IBucket;
}

/**
 * A warehouse of the library, as other constructs accept it: implemented by
 * {@link ServerlessWarehouse}.
 */
export interface IServerlessWarehouse extends IConstruct {
  /** The Glue database. */
  readonly database: glue.CfnDatabase;
  /** The curated table. */
  readonly table: glue.CfnTable;
  /** The Athena workgroup queries must use. */
  readonly workGroup: athena.CfnWorkGroup;
  /** Where query results go. */
  readonly resultsBucket: s3.Bucket;
  /** Database name. */
  readonly databaseName: string;
  /** Table name. */
  readonly tableName: string;
  /** Workgroup name. */
  readonly workGroupName: string;
  /**
   * Grants running queries in the workgroup and reading the curated table: Athena, the Glue
   * table's metadata, the curated objects and writing results.
   */
  grantQuery(grantee: iam.IGrantable, curatedBucket: s3.IBucket): iam.Grant;
}

/**
 * A serverless warehouse over the curated data: a Glue database and table with partition
 * projection (no crawler: new `dt`/`hr` partitions are queryable as soon as they are written) and
 * an Athena workgroup that enforces KMS-encrypted results and a per-query scan limit.
 */
export class ServerlessWarehouse extends Construct implements IServerlessWarehouse {
  /** The Glue database. */
  public readonly database: glue.CfnDatabase;
  /** The curated table. */
  public readonly table: glue.CfnTable;
  /** The Athena workgroup queries must use. */
  public readonly workGroup: athena.CfnWorkGroup;
  /** Where query results go. */
  public readonly resultsBucket: s3.Bucket;
  /** Database name. */
  public readonly databaseName: string;
  /** Table name. */
  public readonly tableName: string;
  /** Workgroup name. */
  public readonly workGroupName: string;
  private readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ServerlessWarehouseProps) {
    super(scope, id);
    const base = props.dataset.replace(/-/g, '_').toLowerCase();
    this.databaseName = props.databaseName ?? `${base}_etl`;
    this.tableName = props.tableName ?? base;
    const cutoff = props.bytesScannedCutoffPerQuery ?? Size.gibibytes(10);
    const firstDate = props.firstPartitionDate ?? RUNTIME_DEFAULTS.eventTimeEarliest;
    const validator = new PropValidator(`ServerlessWarehouse (${this.node.path})`);
    validateServerlessWarehouseProps(validator, props);
    validator.throwIfInvalid();

    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Warehouse results of ${this.node.path}`);
    this.resultsBucket = this.createResultsBucket(props);

    const account = Stack.of(this).account;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: `Curated data of ${props.dataset}` },
    });
    this.table = this.createTable(props, account, firstDate);
    this.table.addResourceDependency(this.database);

    this.workGroupName = `${this.databaseName.replace(/_/g, '-')}`;
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: `Queries over ${props.dataset}: encrypted results, ${cutoff.toGibibytes({ rounding: 0 })} GiB scan limit per query`,
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff.toBytes(),
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.encryptionKey.keyArn },
        },
      },
    });
  }

  /** The query results bucket: KMS, TLS only, versioned, results expiring; access-logged when a log bucket is given. */
  private createResultsBucket(props: ServerlessWarehouseProps): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-results', expiration: props.resultsExpiration ?? Duration.days(30), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    if (props.accessLogsBucket) {
      (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
        destinationBucketName: props.accessLogsBucket.bucketName,
        logFilePrefix: 'athena-results/',
      };
      props.accessLogsBucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowAccessLogsFromWarehouseResults',
          principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
          actions: ['s3:PutObject'],
          resources: [props.accessLogsBucket.arnForObjects('athena-results/*')],
          conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
    }
    if (!props.accessLogsBucket) {
      acknowledgeRules(bucket, {
        ids: ['AwsSolutions-S1', 'NIST.800.53.R5-S3BucketLoggingEnabled', 'HIPAA.Security-S3BucketLoggingEnabled'],
        reason:
          'No accessLogsBucket was given: the results bucket holds only query results, which expire after resultsExpiration; ' +
          'who ran which query is in the workgroup\'s query history and CloudTrail. Pass accessLogsBucket to log object access too.',
      });
    }
    acknowledgeRules(bucket, {
      ids: ['NIST.800.53.R5-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled'],
      reason: 'Query results are disposable (expired after resultsExpiration) and can be recomputed from curated data: no replica needed.',
    });
    return bucket;
  }

  /** The curated table: gzip JSON Lines with partition projection over `dt` and `hr` (no crawler). */
  private createTable(props: ServerlessWarehouseProps, account: string, firstDate: string): glue.CfnTable {
    const location = `s3://${props.curatedBucket.bucketName}/${props.dataset}/`;
    return new glue.CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: `Curated ${props.dataset} records (gzip JSON Lines, partitioned by event time)`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `${firstDate},NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'projection.hr.type': 'integer',
          'projection.hr.range': '0,23',
          'projection.hr.digits': '2',
          'storage.location.template': `${location}${partitionPath('${dt}', '${hr}')}/`,
        },
        partitionKeys: [
          { name: 'dt', type: 'string', comment: 'event date (UTC), YYYY-MM-DD' },
          { name: 'hr', type: 'string', comment: 'event hour (UTC), 00-23' },
        ],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'false' } },
          columns: [
            ...(props.columns ?? []),
            { name: 'recordid', type: 'string', comment: 'record id of a claim-checked record' },
            { name: 'claimcheck', type: 'struct<bucket:string,key:string,bytes:bigint>', comment: 'where an oversize record is stored' },
          ].filter((c, i, all) => all.findIndex((o) => o.name === c.name) === i),
        },
      },
    });
  }

  /**
   * Grants running queries in the workgroup and reading the curated table: Athena, the Glue
   * table's metadata, the curated objects and writing results.
   */
  public grantQuery(grantee: iam.IGrantable, curatedBucket: s3.IBucket): iam.Grant {
    const stack = Stack.of(this);
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
      resourceArns: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName })],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
      resourceArns: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${this.tableName}` }),
      ],
    });
    curatedBucket.grantRead(grantee);
    this.resultsBucket.grantReadWrite(grantee);
    return grant;
  }
}

/** Glue and Athena names: lower case letters, digits and "_". */
const GLUE_NAME = /^[a-z0-9_]{1,255}$/;

/**
 * Checks the props of a {@link ServerlessWarehouse} (`dataset` may be omitted by `EtlPipeline`,
 * which checks it itself); adds each problem to `v` (`EtlPipeline` passes its own, under `warehouse`).
 */
export function validateServerlessWarehouseProps(v: PropValidator, props: WarehouseOptions & { readonly dataset?: string }): void {
  const base = props.dataset === undefined || Token.isUnresolved(props.dataset) ? undefined : props.dataset.replace(/-/g, '_').toLowerCase();
  const cutoff = props.bytesScannedCutoffPerQuery ?? Size.gibibytes(10);
  const firstDate = props.firstPartitionDate ?? RUNTIME_DEFAULTS.eventTimeEarliest;
  v.pattern('databaseName', props.databaseName ?? (base && `${base}_etl`), GLUE_NAME, '1 to 255 characters of a-z, 0-9 and "_"')
    .pattern('tableName', props.tableName ?? base, GLUE_NAME, '1 to 255 characters of a-z, 0-9 and "_"')
    .pattern('firstPartitionDate', firstDate, /^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
  if (!Token.isUnresolved(firstDate) && /^\d{4}-\d{2}-\d{2}$/.test(firstDate)) {
    const date = new Date(`${firstDate}T00:00:00Z`);
    v.check(
      Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== firstDate,
      `${v.path('firstPartitionDate')} is ${JSON.stringify(firstDate)}; it is not a calendar date (month 01 to 12, a day the month has)`,
    );
  }
  v.check((props.columns ?? []).length === 0, `${v.path('columns')} is ${props.columns ? 'empty' : 'not set'}; give the curated records' columns`);
  if (!cutoff.isUnresolved()) {
    v.check(
      cutoff.toBytes() < 10 * 1024 * 1024,
      `${v.path('bytesScannedCutoffPerQuery')} is ${formatNumber(cutoff.toBytes())} bytes; Athena's minimum is 10 MB (10,485,760 bytes)`,
    );
  }
  (props.columns ?? []).forEach((c, i) => v.pattern(`columns[${i}].name`, c.name, /^[a-z_][a-z0-9_]*$/, 'lower case letters, digits and "_"'));
}
