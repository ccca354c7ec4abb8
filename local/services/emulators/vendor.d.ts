/**
 * Minimal typings for the two CommonJS emulators, which ship none. Only what
 * `local/services/emulators/` uses is declared.
 */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Milliseconds a table stays CREATING (default 500). */
    createTableMs?: number;
    /** Milliseconds a table stays DELETING (default 500). */
    deleteTableMs?: number;
    /** Milliseconds a table stays UPDATING (default 500). */
    updateTableMs?: number;
    /** Maximum item size in KB (default 400). */
    maxItemSizeKb?: number;
    /** LevelDB directory; in-memory when omitted. */
    path?: string;
  }

  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}

declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** Milliseconds a stream stays CREATING (default 500). */
    createStreamMs?: number;
    /** Milliseconds a stream stays DELETING (default 500). */
    deleteStreamMs?: number;
    /** Milliseconds a stream stays UPDATING (default 500). */
    updateStreamMs?: number;
    /** Open shards allowed across all streams (default 10). */
    shardLimit?: number;
    /** LevelDB directory; in-memory when omitted. */
    path?: string;
  }

  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}
