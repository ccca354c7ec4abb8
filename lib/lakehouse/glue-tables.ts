import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { liveViewName, liveViewSql, type CurrentTableSqlSpec } from '../contract/lakehouse/sql';
import { partitionPath } from '../contract/storage-layout';
import type { TableColumn } from './table-columns';

/** Where the tables of one current table are and what they hold. */
export interface CurrentTableLayout {
  /** Glue catalog id (the account). */
  readonly catalogId: string;
  readonly spec: CurrentTableSqlSpec;
  /** Every column of the table in table order (reserved and data columns). */
  readonly columns: readonly TableColumn[];
  /** `s3://<curated>/<dataset>/`: the curated JSON Lines the MERGE reads. */
  readonly sourceLocation: string;
  /** `s3://<curated>/_current/<dataset>/`: the Iceberg table's data and metadata. */
  readonly tableLocation: string;
  /** First day the source table's partition projection reads (YYYY-MM-DD). */
  readonly firstPartitionDate: string;
  /** Iceberg table properties. */
  readonly properties: { readonly [name: string]: string };
}

/**
 * The curated JSON Lines table the MERGE reads: every column of the current table (the reserved
 * `_etl_…` ones included) as the curated lines hold them, partition projection over `dt` and `hr`
 * (no crawler), the objects' `"$path"` telling them apart.
 */
export function createSourceTable(scope: Construct, id: string, layout: CurrentTableLayout): glue.CfnTable {
  return new glue.CfnTable(scope, id, {
    catalogId: layout.catalogId,
    databaseName: layout.spec.sourceDatabase ?? layout.spec.database,
    tableInput: {
      name: layout.spec.sourceTable,
      description: `Curated JSON Lines of ${layout.spec.table}, with the lakehouse columns: what its MERGE reads`,
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        classification: 'json',
        compressionType: 'gzip',
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': `${layout.firstPartitionDate},NOW`,
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        'projection.hr.type': 'integer',
        'projection.hr.range': '0,23',
        'projection.hr.digits': '2',
        'storage.location.template': `${layout.sourceLocation}${partitionPath('${dt}', '${hr}')}/`,
      },
      partitionKeys: [
        { name: 'dt', type: 'string', comment: 'event date (UTC), YYYY-MM-DD' },
        { name: 'hr', type: 'string', comment: 'event hour (UTC), 00-23' },
      ],
      storageDescriptor: {
        location: layout.sourceLocation,
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        // Nested values of a `string` column are read as their JSON text; a line that is not JSON fails the query.
        serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'false' } },
        columns: layout.columns.map((c) => ({ name: c.name, type: c.sourceType ?? c.type, ...(c.doc ? { comment: c.doc } : {}) })),
      },
    },
  });
}

/**
 * The current table: Apache Iceberg (format v2) in the Glue Data Catalog, created by
 * CloudFormation (`OpenTableFormatInput.IcebergInput`) with its schema, partition spec and
 * properties. Every column is optional: a tombstone holds only the key and order columns.
 */
export function createIcebergTable(scope: Construct, id: string, layout: CurrentTableLayout): glue.CfnTable {
  const fieldIds = new Map(layout.columns.map((c, i) => [c.name, i + 1]));
  const partitionFields = (layout.spec.partitionBy ?? []).map((p, i) => ({
    name: `${p.column}_${p.transform}`,
    sourceId: fieldIds.get(p.column) as number,
    transform: p.width === undefined ? p.transform : `${p.transform}[${p.width}]`,
    fieldId: 1000 + i,
  }));
  return new glue.CfnTable(scope, id, {
    catalogId: layout.catalogId,
    databaseName: layout.spec.database,
    tableInput: {
      name: layout.spec.table,
      description: `Current ${layout.spec.sourceTable}: one row per key, newest version, tombstones for deleted keys (Apache Iceberg)`,
      tableType: 'EXTERNAL_TABLE',
      storageDescriptor: {
        location: layout.tableLocation,
        columns: layout.columns.map((c) => ({ name: c.name, type: c.type, ...(c.doc ? { comment: c.doc } : {}) })),
      },
    },
    openTableFormatInput: {
      icebergInput: {
        metadataOperation: 'CREATE',
        version: '2',
        icebergTableInput: {
          location: layout.tableLocation,
          schema: {
            type: 'struct',
            schemaId: 0,
            fields: layout.columns.map((c) => ({
              id: fieldIds.get(c.name) as number,
              name: c.name,
              type: c.icebergType,
              required: false,
              ...(c.doc ? { doc: c.doc } : {}),
            })),
          },
          ...(partitionFields.length > 0 ? { partitionSpec: { specId: 0, fields: partitionFields } } : {}),
          properties: { ...layout.properties },
        },
      },
    },
  });
}

/**
 * The view of live rows (`<table>_live`: tombstones left out), as Athena stores a view in the
 * Glue Data Catalog: a `VIRTUAL_VIEW` whose original text is the Presto view (its SQL and columns,
 * base64), so it exists from deploy on without a DDL query.
 */
export function createLiveView(scope: Construct, id: string, layout: CurrentTableLayout): glue.CfnTable {
  const sql = liveViewSql(layout.spec);
  const select = sql.slice(sql.indexOf('\n') + 1);
  const columns = layout.columns.filter((c) => c.name !== '_etl_op');
  const prestoType = (type: string) => (type === 'string' ? 'varchar' : type === 'timestamp' ? 'timestamp(6)' : type);
  const view = { originalSql: select, catalog: 'awsdatacatalog', schema: layout.spec.database, columns: columns.map((c) => ({ name: c.name, type: prestoType(c.type) })) };
  return new glue.CfnTable(scope, id, {
    catalogId: layout.catalogId,
    databaseName: layout.spec.database,
    tableInput: {
      name: liveViewName(layout.spec),
      description: `Live rows of ${layout.spec.table} (tombstones of deleted keys left out)`,
      tableType: 'VIRTUAL_VIEW',
      parameters: { presto_view: 'true', comment: 'Presto View' },
      viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(view)).toString('base64')} */`,
      viewExpandedText: '/* Presto View */',
      storageDescriptor: { columns: columns.map((c) => ({ name: c.name, type: c.type })) },
    },
  });
}
