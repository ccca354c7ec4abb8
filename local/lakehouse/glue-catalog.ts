/**
 * The Glue Data Catalog of a synthesized stack, as the local Athena stand-in needs it: each
 * `AWS::Glue::Table` that is an Iceberg table (a DuckDB table locally), a JSON table over S3 (a
 * DuckDB view over local copies of its objects) or an Athena view (`VIRTUAL_VIEW` holding a Presto
 * view: a DuckDB view of its SQL), with its database, columns and location.
 */
import type { CurrentTableColumn } from '../../lib/contract/lakehouse/sql';

/** A Glue table the local run gives DuckDB. */
export interface CatalogTable {
  /** The Glue table's logical id (messages). */
  readonly logicalId: string;
  readonly database: string;
  readonly name: string;
  /** `iceberg`: rows live in the table (DuckDB table); `json`: JSON Lines objects under `location`; `view`: an Athena view. */
  readonly kind: 'iceberg' | 'json' | 'view';
  /** Columns with their Glue (Hive or Iceberg) types; partition keys not included. */
  readonly columns: readonly CurrentTableColumn[];
  /** Partition keys (JSON tables: `dt`, `hr`), read from the objects' paths. */
  readonly partitionKeys: readonly string[];
  /** `s3://bucket/prefix/` (JSON tables: where the objects are). */
  readonly location?: { readonly bucket: string; readonly prefix: string };
  /** Views: the view's SQL (the Presto view's `originalSql`). */
  readonly sql?: string;
}

/** A Glue table of the template the local run cannot give DuckDB, and why. */
export interface SkippedCatalogTable {
  readonly logicalId: string;
  readonly reason: string;
}

interface GlueColumn {
  readonly Name?: unknown;
  readonly Type?: unknown;
}

/**
 * Reads the Glue tables of a template; `resolve` turns a template value (intrinsics included) into
 * a string. Tables that are neither Iceberg nor JSON over S3 are returned in `skipped`.
 */
export function readGlueCatalog(
  resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>>,
  resolve: (value: unknown) => string,
): { tables: CatalogTable[]; skipped: SkippedCatalogTable[] } {
  const tables: CatalogTable[] = [];
  const skipped: SkippedCatalogTable[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Glue::Table') continue;
    const p = resource.Properties ?? {};
    const input = (p.TableInput ?? {}) as Record<string, unknown>;
    const storage = (input.StorageDescriptor ?? {}) as Record<string, unknown>;
    const parameters = (input.Parameters ?? {}) as Record<string, unknown>;
    const serde = String(((storage.SerdeInfo ?? {}) as Record<string, unknown>).SerializationLibrary ?? '');
    if (input.TableType === 'VIRTUAL_VIEW') {
      const sql = prestoViewSql(input.ViewOriginalText);
      if (sql === undefined) skipped.push({ logicalId, reason: 'a view whose text is not a Presto view' });
      else tables.push({ logicalId, database: resolve(p.DatabaseName).toLowerCase(), name: resolve(input.Name).toLowerCase(), kind: 'view', columns: [], partitionKeys: [], sql });
      continue;
    }
    const iceberg =
      (p.OpenTableFormatInput as { IcebergInput?: unknown } | undefined)?.IcebergInput !== undefined ||
      String(parameters.table_type ?? '').toUpperCase() === 'ICEBERG';
    const json = /JsonSerDe$/.test(serde);
    if (!iceberg && !json) {
      skipped.push({ logicalId, reason: `neither Iceberg nor a JSON SerDe table (${serde || 'no SerDe'})` });
      continue;
    }
    const columns = ((storage.Columns ?? []) as GlueColumn[]).map((c) => ({ name: String(c.Name).toLowerCase(), type: String(c.Type).toLowerCase() }));
    const partitionKeys = ((input.PartitionKeys ?? []) as GlueColumn[]).map((c) => String(c.Name).toLowerCase());
    const where = storage.Location === undefined ? undefined : /^s3:\/\/([^/]+)\/(.*)$/.exec(resolve(storage.Location));
    if (json && !where) {
      skipped.push({ logicalId, reason: 'a JSON table without an s3:// location' });
      continue;
    }
    tables.push({
      logicalId,
      database: resolve(p.DatabaseName).toLowerCase(),
      name: resolve(input.Name).toLowerCase(),
      kind: iceberg ? 'iceberg' : 'json',
      columns,
      partitionKeys,
      ...(where ? { location: { bucket: where[1], prefix: where[2] } } : {}),
    });
  }
  return { tables, skipped };
}

/** The SQL of an Athena (Presto) view's original text, `/* Presto View: <base64 JSON> *\/`. */
export function prestoViewSql(text: unknown): string | undefined {
  const encoded = typeof text === 'string' ? /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(text.trim())?.[1] : undefined;
  if (!encoded) return undefined;
  try {
    const view = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { originalSql?: unknown };
    return typeof view.originalSql === 'string' ? view.originalSql : undefined;
  } catch {
    return undefined;
  }
}
