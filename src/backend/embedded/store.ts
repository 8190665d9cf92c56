import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { jsonToConvex, type Value } from "convex/values";
import { encodeIndexKey, encodeIndexKeys } from "./keys.js";
import { convexJsonText } from "./json.js";
import { newId, tableNumberOf } from "./ids.js";
import { createPrivateFile } from "./fileMode.js";

export type Doc = Record<string, Value> & { _id: string; _creationTime: number };

export interface IndexInfo {
  /** The schema's index name ("by_seq"), or "by_creation_time". */
  name: string;
  /** Indexed field paths, followed implicitly by _creationTime and _id. */
  fields: string[];
  column: string;
  /** Prepared range-scan statements by order. */
  scanStmt?: { asc: StatementSync; desc: StatementSync };
  /** Read-only store only: the file lacks this index (or has it over other fields) and cannot rebuild it. */
  stale?: boolean;
  /**
   * Not stored: a scan computes each document's key and sorts (`by_id`, which Convex gives every table,
   * and the indexes of _scheduled_functions, whose rows live in the runtime's own _scheduled table).
   */
  computed?: boolean;
}

/** Convex's `by_id` index, on every table: it orders documents by `_id`. */
export const BY_ID_INDEX: IndexInfo = { name: "by_id", fields: ["_id"], column: "", computed: true };

/** The _versions row holding the last _creationTime handed out (no table is named with a leading "_"). */
const CREATION_TIME_ROW = "_lastCreationTime";

/** Scans of at most this many rows are cached (point reads, first/unique, short takes). */
const MAX_SCAN_ROWS = 64;
const MAX_CACHED_ROWS = 8192;
const MAX_CACHED_DOCS = 4096;

/** lo <= key < hi, bytewise (SQLite's BLOB order). */
function inRange(key: Uint8Array, lo: Uint8Array, hi: Uint8Array): boolean {
  return Buffer.compare(key, lo) >= 0 && Buffer.compare(key, hi) < 0;
}

/** A byte string as a JS string (one char per byte), for map keys: no copy, no hex expansion. */
function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** A prepared statement per (table, shape), kept on the table so the hot path skips the SQL-text map. */
interface TableStatements {
  put?: StatementSync;
  get?: StatementSync;
  remove?: StatementSync;
  /** UPDATE ... SET doc = ?, <changed index columns> WHERE id = ?, by the changed columns' bitmask */
  update: Map<number, StatementSync>;
}

export interface TableInfo {
  name: string;
  number: number;
  sql: string;
  indexes: Map<string, IndexInfo>;
  /** The indexes in column order (the order `put` binds them). */
  indexList: IndexInfo[];
  stmts: TableStatements;
  /** Read-only store only: declared by the schema but not (yet) in the file; it reads as empty. */
  absent?: boolean;
}

/** The declared shape of one table, as read from the schema. */
export interface TableSpec {
  indexes: { name: string; fields: string[] }[];
}

export interface StoreOptions {
  busyTimeoutMs?: number;
  synchronous?: "NORMAL" | "FULL";
  /**
   * Open the file read-only: no migration, no pragma that writes, nothing created beside it where it
   * can be avoided; a write transaction fails with ReadOnlyStateError. Works on a file (or folder)
   * the process may not write.
   */
  readOnly?: boolean;
}

/** A write was attempted on a store opened read-only. */
export class ReadOnlyStateError extends Error {
  override name = "ReadOnlyStateError";
}

/** A scanned row: its index key and the document as stored (Convex JSON), parsed only on demand. */
export interface Row {
  key: Uint8Array;
  id: string;
  json: string;
  /** Convex's size of the document, once something measured it (cached rows are read again and again). */
  size?: number;
}

/** One cached range scan: which index (position in TableInfo.indexList), its bounds, its rows. */
interface CachedScan {
  pos: number;
  lo: Uint8Array;
  hi: Uint8Array;
  rows: Row[];
}

const q = (ident: string): string => `"${ident.replace(/"/g, '""')}"`;

export function fieldValue(doc: Record<string, Value | undefined>, path: string): Value | undefined {
  if (!path.includes(".")) return doc[path];
  let cur: Value | undefined = doc;
  for (const part of path.split(".")) {
    if (cur === null || cur === undefined || typeof cur !== "object" || Array.isArray(cur) || cur instanceof ArrayBuffer) {
      return undefined;
    }
    cur = (cur as Record<string, Value | undefined>)[part];
  }
  return cur;
}

const NO_FIELDS: (Value | undefined)[] = [];

function indexFields(index: IndexInfo, doc: Doc): (Value | undefined)[] {
  const f = index.fields;
  return f.length === 0 ? NO_FIELDS : f.length === 1 ? [fieldValue(doc, f[0])] : f.map((p) => fieldValue(doc, p));
}

export function indexKey(index: IndexInfo, doc: Doc): Uint8Array {
  return encodeIndexKey(indexFields(index, doc), doc._creationTime, doc._id);
}

/** Reserved table number for scheduled-function ids (`Id<"_scheduled_functions">`). */
export const SCHEDULED_TABLE = "_scheduled_functions";
const SCHEDULED_NUMBER = 1;
const FIRST_USER_NUMBER = 10001;

/**
 * The SQLite layer: one table per Convex table (`t_<name>`: id, JSON document, one BLOB key column per
 * index holding the order-preserving encoding of (fields..., _creationTime, _id)), a real SQLite index
 * per Convex index, and the runtime's own bookkeeping tables (prefixed `_`).
 */
export class Store {
  readonly db: DatabaseSync;
  private readonly tables = new Map<string, TableInfo>();
  private readonly byNumber = new Map<number, string>();
  private readonly stmts = new Map<string, StatementSync>();
  private lastCreationTime: number | null = null;
  /**
   * Small range-scan results, per table, kept across transactions: dropped on any write to the table
   * through this Store, on every rollback (the rows may have been uncommitted writes), and whenever
   * `PRAGMA data_version` at the start of a transaction says another connection committed. Functions
   * re-read the same few rows (counters, config, the live job of a call site) many times.
   */
  private readonly scanCache = new Map<string, Map<string, CachedScan>>();
  /** Document text by id, under the same rules (written through by put/update, dropped by remove). */
  private readonly docCache = new Map<string, string>();
  /** The data_version the caches (scanCache, lastCreationTime) belong to. */
  private cacheVersion = -1;
  private cachedRows = 0;
  private creationTimeDirty = false;

  readonly readOnly: boolean;
  /** See committedReader; opened on first use. */
  private reader: Store | null = null;
  /** Whether the file has the runtime's bookkeeping tables (a read-only store may open a file that has none yet). */
  private hasMeta = true;

  constructor(
    readonly path: string,
    private readonly specs: Map<string, TableSpec> | null,
    opts: StoreOptions = {},
  ) {
    this.readOnly = opts.readOnly === true;
    const timeout = opts.busyTimeoutMs ?? 10_000;
    if (this.readOnly) {
      this.db = openReadOnly(path, timeout);
      this.loadReadOnly();
      return;
    }
    createPrivateFile(path);
    this.db = new DatabaseSync(path, { timeout });
    this.db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${opts.synchronous ?? "NORMAL"}; PRAGMA foreign_keys=OFF;`);
    // Checkpoints run from an idle timer (runtime.ts), off the commit path; the automatic one is only
    // a safety net for a WAL that grows past ~80 MB.
    this.db.exec(`PRAGMA busy_timeout=${timeout}; PRAGMA wal_autocheckpoint=20000;`);
    this.transaction(() => this.migrate());
  }

  prepare(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` in BEGIN IMMEDIATE ... COMMIT (ROLLBACK on throw). Synchronous: no await inside. */
  transaction<T>(fn: () => T): T {
    this.begin(true);
    try {
      const out = fn();
      this.commit();
      return out;
    } catch (e) {
      this.rollback();
      throw e;
    }
  }

  begin(write: boolean): void {
    if (write && this.readOnly) {
      throw new ReadOnlyStateError(`the state file ${this.path} is open read-only (this command only reads it): nothing was written`);
    }
    this.db.exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
    // Inside the transaction the pragma reads this transaction's snapshot (it opens it for a BEGIN).
    const dv = this.dataVersion();
    if (dv !== this.cacheVersion) {
      this.dropCaches();
      this.cacheVersion = dv;
    }
    this.creationTimeDirty = false;
  }

  commit(): void {
    if (this.creationTimeDirty) {
      // A row of _versions, which every writing commit updates anyway: one WAL page, where a _meta row
      // (INSERT OR REPLACE into a table with an autoindex) cost two.
      this.prepare(
        `INSERT INTO _versions (tbl, version) VALUES ('${CREATION_TIME_ROW}', ?) ON CONFLICT(tbl) DO UPDATE SET version = excluded.version`,
      ).run(this.lastCreationTime);
    }
    this.db.exec("COMMIT");
    this.creationTimeDirty = false;
  }

  /** Rolls back to a savepoint (a nested mutation that threw). */
  rollbackTo(savepoint: string): void {
    // The creation-time counter survives: the write lock is still held, so it is still the newest
    // time handed out. Dropped with the caches, the commit would write a null counter (or, if the
    // caller inserts again, reread the committed one and hand out a time it already gave).
    const { lastCreationTime, creationTimeDirty } = this;
    this.dropCaches();
    this.db.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
    this.lastCreationTime = lastCreationTime;
    this.creationTimeDirty = creationTimeDirty;
  }

  rollback(): void {
    if (this.db.isTransaction) this.db.exec("ROLLBACK");
    this.dropCaches();
    this.creationTimeDirty = false;
  }

  private dropCaches(): void {
    this.scanCache.clear();
    this.cachedRows = 0;
    this.docCache.clear();
    this.lastCreationTime = null;
  }

  private migrate(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS _env (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS _tables (name TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS _indexes (tbl TEXT NOT NULL, name TEXT NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (tbl, name));
      CREATE TABLE IF NOT EXISTS _versions (tbl TEXT PRIMARY KEY, version INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS _scheduled (id TEXT PRIMARY KEY, name TEXT NOT NULL, args TEXT NOT NULL, ts REAL NOT NULL,
        state TEXT NOT NULL, createdAt REAL NOT NULL, error TEXT);
      CREATE INDEX IF NOT EXISTS _scheduled_due ON _scheduled (state, ts);
      CREATE TABLE IF NOT EXISTS _crons (name TEXT PRIMARY KEY, nextRun REAL NOT NULL, lastRun REAL);
      CREATE TABLE IF NOT EXISTS _lease (name TEXT PRIMARY KEY, owner TEXT NOT NULL, leaseUntil REAL NOT NULL);
    `);
    const scheduledColumns = (this.db.prepare("PRAGMA table_info(_scheduled)").all() as { name: string }[]).map((c) => c.name);
    if (!scheduledColumns.includes("completedAt")) this.db.exec("ALTER TABLE _scheduled ADD COLUMN completedAt REAL");
    const rows = this.db.prepare("SELECT name, number FROM _tables").all() as { name: string; number: number }[];
    for (const r of rows) this.byNumber.set(r.number, r.name);
    this.byNumber.set(SCHEDULED_NUMBER, SCHEDULED_TABLE);
    for (const r of rows) this.loadTable(r.name, r.number);
    if (this.specs) for (const name of this.specs.keys()) this.ensureTable(name);
  }

  /**
   * The read-only counterpart of migrate(): learns the tables and indexes the file has and writes
   * nothing. A declared table the file does not have reads as empty; an index the file lacks (a file
   * last written by an older version) fails the queries that use it, saying how to upgrade the file.
   */
  private loadReadOnly(): void {
    const master = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    const names = new Set(master.map((r) => r.name));
    this.byNumber.set(SCHEDULED_NUMBER, SCHEDULED_TABLE);
    this.hasMeta = names.has("_tables") && names.has("_env") && names.has("_versions") && names.has("_indexes");
    if (!this.hasMeta) {
      if (names.size > 0) throw new Error(`${this.path} is not a compile-daemon state file (it has other tables)`);
      for (const name of this.specs?.keys() ?? []) this.loadTable(name, -1).absent = true;
      return;
    }
    const rows = this.db.prepare("SELECT name, number FROM _tables").all() as { name: string; number: number }[];
    for (const r of rows) this.byNumber.set(r.number, r.name);
    for (const r of rows) {
      const info = this.loadTable(r.name, r.number);
      if (!names.has(`t_${r.name}`)) {
        info.absent = true;
        continue;
      }
      const cols = new Set((this.db.prepare(`PRAGMA table_info(${info.sql})`).all() as { name: string }[]).map((c) => c.name));
      const known = new Map(
        (this.db.prepare("SELECT name, fields FROM _indexes WHERE tbl = ?").all(r.name) as { name: string; fields: string }[]).map((x) => [x.name, x.fields]),
      );
      for (const ix of info.indexList) {
        if (!cols.has(`ix_${ix.name}`) || known.get(ix.name) !== JSON.stringify(ix.fields)) ix.stale = true;
      }
    }
    for (const name of this.specs?.keys() ?? []) if (!this.tables.has(name)) this.loadTable(name, -1).absent = true;
  }

  private loadTable(name: string, number: number): TableInfo {
    const info: TableInfo = { name, number, sql: q(`t_${name}`), indexes: new Map(), indexList: [], stmts: { update: new Map() } };
    const spec = this.specs?.get(name);
    const declared = [{ name: "by_creation_time", fields: [] as string[] }, ...(spec?.indexes ?? [])];
    for (const ix of declared) info.indexes.set(ix.name, { ...ix, column: q(`ix_${ix.name}`) });
    info.indexList = [...info.indexes.values()];
    this.tables.set(name, info);
    return info;
  }

  /** Creates the table (and its index columns) when missing; used at open and, schemaless, on first insert. */
  private ensureTable(name: string): TableInfo {
    let number = (this.db.prepare("SELECT number FROM _tables WHERE name = ?").get(name) as { number: number } | undefined)?.number;
    if (number === undefined) {
      const max = (this.db.prepare("SELECT MAX(number) AS m FROM _tables").get() as { m: number | null }).m;
      number = Math.max(max ?? 0, FIRST_USER_NUMBER - 1) + 1;
      this.db.prepare("INSERT INTO _tables (name, number) VALUES (?, ?)").run(name, number);
      this.byNumber.set(number, name);
    }
    const info = this.loadTable(name, number);
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${info.sql} (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID`);
    const cols = new Set((this.db.prepare(`PRAGMA table_info(${info.sql})`).all() as { name: string }[]).map((c) => c.name));
    const known = new Map(
      (this.db.prepare("SELECT name, fields FROM _indexes WHERE tbl = ?").all(name) as { name: string; fields: string }[]).map(
        (r) => [r.name, r.fields],
      ),
    );
    for (const ix of info.indexes.values()) {
      const fields = JSON.stringify(ix.fields);
      const colName = `ix_${ix.name}`;
      if (cols.has(colName) && known.get(ix.name) === fields) continue;
      if (!cols.has(colName)) this.db.exec(`ALTER TABLE ${info.sql} ADD COLUMN ${ix.column} BLOB`);
      this.db.exec(`CREATE INDEX IF NOT EXISTS ${q(`idx_${name}_${ix.name}`)} ON ${info.sql} (${ix.column})`);
      // Backfill: a new index (or changed fields) over existing documents.
      const update = this.db.prepare(`UPDATE ${info.sql} SET ${ix.column} = ? WHERE id = ?`);
      for (const r of this.db.prepare(`SELECT doc FROM ${info.sql}`).all() as { doc: string }[]) {
        const doc = parseDoc(r.doc);
        update.run(indexKey(ix, doc), doc._id);
      }
      this.db.prepare("INSERT OR REPLACE INTO _indexes (tbl, name, fields) VALUES (?, ?, ?)").run(name, ix.name, fields);
    }
    // An index the schema no longer declares: its SQLite index would still be updated by every write
    // (with NULL keys). Dropped; the column stays (SQLite cannot drop it cheaply) and is no longer written.
    for (const old of known.keys()) {
      if (info.indexes.has(old)) continue;
      this.db.exec(`DROP INDEX IF EXISTS ${q(`idx_${name}_${old}`)}`);
      this.db.prepare("DELETE FROM _indexes WHERE tbl = ? AND name = ?").run(name, old);
    }
    return info;
  }

  table(name: string): TableInfo {
    const t = this.tables.get(name);
    if (t) return t;
    if (name.startsWith("_")) throw new Error(`System table "${name}" is not supported by the embedded runtime`);
    if (this.specs !== null) throw new Error(`Table "${name}" is not declared in the schema`);
    if (this.readOnly) {
      // Schemaless and read-only: a table the file does not have reads as empty.
      const info = this.loadTable(name, -1);
      info.absent = true;
      return info;
    }
    return this.ensureTable(name);
  }

  /** Read-only lookup: null for a table that does not exist yet. */
  maybeTable(name: string): TableInfo | null {
    if (name === SCHEDULED_TABLE) return SCHEDULED_TABLE_INFO;
    return this.tables.get(name) ?? null;
  }

  /** A _scheduled_functions document as Convex shows it, or null. */
  scheduledJob(id: string): Doc | null {
    const row = this.prepare("SELECT * FROM _scheduled WHERE id = ?").get(id) as ScheduledRow | undefined;
    return row ? scheduledDoc(row) : null;
  }

  /** Rows of an index whose keys are not stored (see IndexInfo.computed): every document, keyed and sorted here. */
  private scanComputed(table: string, index: IndexInfo, lo: Uint8Array, hi: Uint8Array, order: "asc" | "desc", limit: number): Row[] {
    const docs = table === SCHEDULED_TABLE ? this.scheduledJobs() : this.allDocs(table);
    const rows: Row[] = [];
    for (const doc of docs) {
      const key = indexKey(index, doc);
      if (inRange(key, lo, hi)) rows.push({ key, id: doc._id, json: convexJsonText(doc) });
    }
    rows.sort((a, b) => Buffer.compare(a.key, b.key));
    if (order === "desc") rows.reverse();
    return rows.slice(0, limit);
  }

  private scheduledJobs(): Doc[] {
    if (!this.hasMeta) return [];
    return (this.prepare("SELECT * FROM _scheduled").all() as unknown as ScheduledRow[]).map(scheduledDoc);
  }

  private allDocs(table: string): Doc[] {
    const info = this.tables.get(table);
    if (!info || info.absent) return [];
    return (this.prepare(`SELECT doc FROM ${info.sql}`).all() as { doc: string }[]).map((r) => parseDoc(r.doc));
  }

  tableOfId = (id: string): string | null => {
    const n = tableNumberOf(id);
    return n === null ? null : (this.byNumber.get(n) ?? null);
  };

  newId(table: string, creationTime: number): string {
    if (table === SCHEDULED_TABLE) return newId(SCHEDULED_NUMBER, creationTime);
    return newId(this.table(table).number, creationTime);
  }

  /** Strictly increasing across every process sharing the file (the write lock serialises writers). */
  nextCreationTime(now: number): number {
    if (this.lastCreationTime === null) {
      // Files written before it moved to _versions keep it in _meta: the larger wins.
      const row = this.prepare(
        `SELECT MAX(v) AS v FROM (SELECT version AS v FROM _versions WHERE tbl = '${CREATION_TIME_ROW}'
          UNION ALL SELECT CAST(value AS REAL) AS v FROM _meta WHERE key = 'lastCreationTime')`,
      ).get() as { v: number | null };
      this.lastCreationTime = row.v ?? 0;
    }
    let t = now > this.lastCreationTime ? now : this.lastCreationTime + 0.001;
    if (t <= this.lastCreationTime) t = this.lastCreationTime + 1; // precision floor at very large values
    this.lastCreationTime = t;
    this.creationTimeDirty = true;
    return t;
  }

  get(id: string): { table: string; doc: Doc } | null {
    const table = this.tableOfId(id);
    if (table === null || table === SCHEDULED_TABLE) return null;
    const json = this.getJson(table, id);
    return json === null ? null : { table, doc: parseDoc(json) };
  }

  /** The stored Convex-JSON text of a document, without parsing it. */
  getJson(table: string, id: string): string | null {
    const cached = this.docCache.get(id);
    if (cached !== undefined) return cached;
    const info = this.tables.get(table);
    if (!info || info.absent) return null;
    const stmt = (info.stmts.get ??= this.db.prepare(`SELECT doc FROM ${info.sql} WHERE id = ?`));
    const row = stmt.get(id) as { doc: string } | undefined;
    if (!row) return null;
    this.cacheDoc(id, row.doc);
    return row.doc;
  }

  /** Writes a document; `json` may be passed when the caller already has its Convex-JSON text. */
  put(table: string, doc: Doc, json?: string): void {
    const info = this.table(table);
    const list = info.indexList;
    if (info.stmts.put === undefined) {
      const cols = list.map((i) => i.column);
      info.stmts.put = this.db.prepare(
        `INSERT OR REPLACE INTO ${info.sql} (id, doc, ${cols.join(", ")}) VALUES (?, ?, ${cols.map(() => "?").join(", ")})`,
      );
    }
    const text = json ?? convexJsonText(doc);
    const keys = encodeIndexKeys(
      list.map((ix) => indexFields(ix, doc)),
      doc._creationTime,
      doc._id,
    );
    // A cached scan changes only if the new document's key falls inside its range.
    const perTable = this.scanCache.get(table);
    if (perTable !== undefined) {
      for (const [k, e] of perTable) if (inRange(keys[e.pos], e.lo, e.hi)) perTable.delete(k);
    }
    this.docCache.delete(doc._id);
    switch (keys.length) {
      case 1:
        info.stmts.put.run(doc._id, text, keys[0]);
        return;
      case 2:
        info.stmts.put.run(doc._id, text, keys[0], keys[1]);
        return;
      case 3:
        info.stmts.put.run(doc._id, text, keys[0], keys[1], keys[2]);
        return;
      case 4:
        info.stmts.put.run(doc._id, text, keys[0], keys[1], keys[2], keys[3]);
        return;
      default:
        info.stmts.put.run(doc._id, text, ...keys);
    }
  }

  /**
   * Rewrites an existing document, setting only the index columns whose key changed, so SQLite leaves
   * the other indexes' pages alone (a patch of a counter touches one page, not one per index).
   */
  update(table: string, before: Doc, after: Doc, json?: string): void {
    const info = this.table(table);
    const list = info.indexList;
    let mask = 0;
    const vals: Uint8Array[] = [];
    for (let i = 0; i < list.length; i++) {
      const ix = list[i];
      if (ix.fields.length === 0) continue; // by_creation_time: (_creationTime, _id) never change
      // Unchanged primitive fields give the same key bytes: skip encoding both keys.
      if (ix.fields.every((f) => samePrimitive(fieldValue(before, f), fieldValue(after, f)))) continue;
      const next = indexKey(ix, after);
      if (!sameBytes(next, indexKey(ix, before))) {
        mask |= 1 << i;
        vals.push(next);
      }
    }
    let stmt = info.stmts.update.get(mask);
    if (stmt === undefined) {
      const cols = list.filter((_, i) => mask & (1 << i)).map((ix) => ix.column);
      stmt = this.db.prepare(`UPDATE ${info.sql} SET doc = ?${cols.map((c) => `, ${c} = ?`).join("")} WHERE id = ?`);
      info.stmts.update.set(mask, stmt);
    }
    const text = json ?? convexJsonText(after);
    const id = after._id;
    stmt.run(text, ...vals, id);
    // Write through: with every key unchanged, each cached scan holding the document keeps its
    // place and only its text changes (a new array: an open stream keeps the one it read).
    const perTable = this.scanCache.get(table);
    if (perTable !== undefined) {
      if (mask !== 0) perTable.clear();
      else {
        for (const e of perTable.values()) {
          const i = e.rows.findIndex((r) => r.id === id);
          if (i >= 0) {
            const rows = e.rows.slice();
            rows[i] = { key: rows[i].key, id, json: text };
            e.rows = rows;
          }
        }
      }
    }
    if (this.docCache.has(id)) this.docCache.set(id, text);
  }

  remove(table: string, id: string): void {
    const info = this.table(table);
    this.scanCache.delete(table);
    this.docCache.delete(id);
    (info.stmts.remove ??= this.db.prepare(`DELETE FROM ${info.sql} WHERE id = ?`)).run(id);
  }

  /** Rows of one index with lo <= key < hi, in key order, at most `limit`. */
  scan(table: string, index: IndexInfo, lo: Uint8Array, hi: Uint8Array, order: "asc" | "desc", limit: number): Row[] {
    if (index.computed) return this.scanComputed(table, index, lo, hi, order, limit);
    const info = this.tables.get(table);
    if (!info || info.absent) return [];
    if (index.stale) {
      throw new Error(
        `the state file ${this.path} was last written by an older version: index ${table}.${index.name} is missing; ` +
          "open it once with write access (compile-daemon run, or any ctl command that writes) to upgrade it",
      );
    }
    if (index.scanStmt === undefined) {
      const base = `SELECT ${index.column} AS k, id, doc FROM ${info.sql} WHERE ${index.column} >= ? AND ${index.column} < ? ORDER BY ${index.column}`;
      index.scanStmt = { asc: this.db.prepare(`${base} ASC LIMIT ?`), desc: this.db.prepare(`${base} DESC LIMIT ?`) };
    }
    let perTable = this.scanCache.get(table);
    if (!perTable) this.scanCache.set(table, (perTable = new Map()));
    const cacheKey = `${index.name}|${order}|${limit}|${latin1(lo)}|${latin1(hi)}`;
    const hit = perTable.get(cacheKey);
    if (hit) return hit.rows;
    const rows = index.scanStmt[order].all(lo, hi, limit) as { k: Uint8Array; id: string; doc: string }[];
    const out: Row[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = { key: rows[i].k, id: rows[i].id, json: rows[i].doc };
    if (out.length <= MAX_SCAN_ROWS) {
      // Bounded memory: every cached scan is dropped once the rows cached since the last drop pass
      // a cap (a count, not a live total: entries replaced or dropped since still count).
      // An entry counts one more than its rows, so empty results are bounded too.
      this.cachedRows += out.length + 1;
      if (this.cachedRows > MAX_CACHED_ROWS) {
        this.scanCache.clear();
        this.cachedRows = out.length + 1;
        this.scanCache.set(table, perTable);
        perTable.clear();
      }
      perTable.set(cacheKey, { pos: info.indexList.indexOf(index), lo, hi, rows: out });
      for (const r of out) this.cacheDoc(r.id, r.json);
    }
    return out;
  }

  private cacheDoc(id: string, json: string): void {
    if (this.docCache.size >= MAX_CACHED_DOCS) this.docCache.clear();
    this.docCache.set(id, json);
  }

  count(table: string): number {
    const info = this.tables.get(table);
    if (!info || info.absent) return 0;
    return (this.prepare(`SELECT COUNT(*) AS n FROM ${info.sql}`).get() as { n: number }).n;
  }

  bumpVersions(tables: Iterable<string>): void {
    const stmt = this.prepare("INSERT INTO _versions (tbl, version) VALUES (?, 1) ON CONFLICT(tbl) DO UPDATE SET version = version + 1");
    for (const t of tables) stmt.run(t);
  }

  versions(): Map<string, number> {
    if (!this.hasMeta) return new Map();
    const rows = this.prepare("SELECT tbl, version FROM _versions").all() as { tbl: string; version: number }[];
    return new Map(rows.filter((r) => r.tbl !== CREATION_TIME_ROW).map((r) => [r.tbl, r.version]));
  }

  /** Changes whenever another connection commits to the file. */
  dataVersion(): number {
    return (this.prepare("PRAGMA data_version").get() as { data_version: number }).data_version;
  }

  env(): Record<string, string> {
    if (!this.hasMeta) return {};
    const rows = this.prepare("SELECT name, value FROM _env").all() as { name: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  setEnv(name: string, value: string | undefined): void {
    if (value === undefined) this.prepare("DELETE FROM _env WHERE name = ?").run(name);
    else this.prepare("INSERT OR REPLACE INTO _env (name, value) VALUES (?, ?)").run(name, value);
  }

  /** Copies committed WAL pages into the database without waiting for readers or writers. */
  checkpoint(): void {
    if (this.readOnly) return;
    this.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }

  /**
   * A second, read-only connection to the file. Inside a write transaction of this one it reads the
   * last committed state, without this transaction's pending writes (a stale-snapshot query's view).
   */
  committedReader(): Store {
    this.reader ??= new Store(this.path, this.specs, { readOnly: true });
    return this.reader;
  }

  close(): void {
    this.reader?.close();
    this.reader = null;
    for (const s of this.stmts.values()) void s;
    this.stmts.clear();
    if (this.db.isOpen) this.db.close();
  }
}

function samePrimitive(a: Value | undefined, b: Value | undefined): boolean {
  return Object.is(a, b) && (a === null || typeof a !== "object");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Opens `path` with SQLITE_OPEN_READONLY. A WAL-mode file needs its -shm index: SQLite reuses an
 * existing one and otherwise creates it, which a read-only folder refuses. Then, when no -wal file
 * exists (no connection is open and every change is in the main file), the file is opened as
 * immutable, which needs neither; with a -wal (changes not yet in the main file) it cannot be read
 * without the index, and the error says so rather than showing stale data.
 */
function openReadOnly(path: string, timeout: number): DatabaseSync {
  const db = new DatabaseSync(path, { readOnly: true, timeout });
  try {
    db.prepare("SELECT COUNT(*) FROM sqlite_master").get();
    return db;
  } catch (e) {
    db.close();
    const code = ((e as { errcode?: number }).errcode ?? 0) & 0xff;
    const cannotIndex = code === 8 /* SQLITE_READONLY */ || code === 14 /* SQLITE_CANTOPEN */;
    if (!cannotIndex) throw e;
    if (existsSync(`${path}-wal`)) {
      throw new Error(
        `cannot read ${path} read-only: SQLite can neither use nor create its -shm index beside it (${(e as Error).message}), and its -wal file may hold changes not yet in the main file; make the folder writable (and the -shm readable) for a moment, or copy the three files elsewhere`,
        { cause: e },
      );
    }
    const url = pathToFileURL(path);
    url.searchParams.set("immutable", "1");
    const immutable = new DatabaseSync(url, { readOnly: true, timeout });
    immutable.prepare("SELECT COUNT(*) FROM sqlite_master").get();
    return immutable;
  }
}

/** A row of the runtime's _scheduled table (completedAt is missing from files written before it existed). */
interface ScheduledRow {
  id: string;
  name: string;
  args: string;
  ts: number;
  state: string;
  createdAt: number;
  error: string | null;
  completedAt?: number | null;
}

function scheduledDoc(row: ScheduledRow): Doc {
  const state: Record<string, Value> = row.state === "failed" ? { kind: "failed", error: row.error ?? "" } : { kind: row.state };
  const doc: Doc = { _id: row.id, _creationTime: row.createdAt, name: row.name, args: [jsonToConvex(JSON.parse(row.args))], scheduledTime: row.ts, state };
  if (typeof row.completedAt === "number") doc.completedTime = row.completedAt;
  return doc;
}

/** _scheduled_functions as a table: its documents come from _scheduled (see Store.scanComputed). */
const SCHEDULED_TABLE_INFO: TableInfo = {
  name: SCHEDULED_TABLE,
  number: SCHEDULED_NUMBER,
  sql: "",
  indexes: new Map([
    ["by_creation_time", { name: "by_creation_time", fields: [], column: "", computed: true }],
    ["by_id", BY_ID_INDEX],
  ]),
  indexList: [],
  stmts: { update: new Map() },
};

export function parseDoc(json: string): Doc {
  return jsonToConvex(JSON.parse(json)) as Doc;
}
