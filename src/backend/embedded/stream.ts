import type { JSONValue } from "convex/values";
import { concat } from "./keys.js";
import { evaluate, type FilterExpr } from "./filter.js";
import { indexBounds, type RangeExpr } from "./range.js";
import { UnsupportedFeatureError } from "./functions.js";
import { BY_ID_INDEX, parseDoc, type IndexInfo, type Row, type Store } from "./store.js";

/** Told of every document a stream reads from the index, kept by its filters or not (Convex counts both). */
export type RowReader = (row: Row) => void;

/** The serialized query convex/server's query builder sends with queryStream / queryPage. */
export interface QueryJson {
  source:
    | { type: "FullTableScan"; tableName: string; order: "asc" | "desc" | null }
    | { type: "IndexRange"; indexName: string; range: RangeExpr[]; order: "asc" | "desc" | null }
    | { type: "Search"; indexName: string; filters: JSONValue[] };
  operators: ({ filter: FilterExpr } | { limit: number })[];
}

/**
 * One query's cursor over an index: reads the [lo, hi) key range from SQLite in growing batches
 * (keyset continuation on the key column, so no statement stays open across awaits).
 */
/** What a query reads, worked out once from its serialized form (and memoised by the caller). */
export interface QueryPlan {
  table: string;
  order: "asc" | "desc";
  index: IndexInfo;
  lo: Uint8Array;
  hi: Uint8Array;
  filters: FilterExpr[];
  limit: number | null;
  batch: number;
}

export function planQuery(store: Store, query: QueryJson): QueryPlan {
  const src = query.source;
  if (src.type === "Search") throw new UnsupportedFeatureError("Search indexes (withSearchIndex)");
  let indexName = "by_creation_time";
  let table: string;
  if (src.type === "FullTableScan") table = src.tableName;
  else [table, indexName] = splitIndexName(src.indexName);
  const info = store.maybeTable(table) ?? store.table(table);
  const index = info.indexes.get(indexName) ?? (indexName === "by_id" ? BY_ID_INDEX : undefined);
  if (!index) throw new Error(`Index "${table}.${indexName}" is not declared in the schema`);
  const bounds = src.type === "IndexRange" ? indexBounds(index.fields, src.range) : { lo: new Uint8Array(0), hi: Uint8Array.of(0xff) };
  const filters: FilterExpr[] = [];
  let limit: number | null = null;
  for (const op of query.operators) {
    if ("filter" in op) filters.push(op.filter);
    else limit = limit === null ? op.limit : Math.min(limit, op.limit);
  }
  const batch = limit !== null && filters.length === 0 ? Math.max(1, Math.min(limit, 1024)) : 64;
  return { table, order: src.order ?? "asc", index, lo: bounds.lo, hi: bounds.hi, filters, limit, batch };
}

export class IndexStream {
  readonly table: string;
  readonly order: "asc" | "desc";
  private readonly index: IndexInfo;
  private lo: Uint8Array;
  private hi: Uint8Array;
  private readonly filters: FilterExpr[];
  private readonly limit: number | null;
  private returned = 0;
  private buf: Row[] = [];
  private pos = 0;
  private exhausted = false;
  private batch: number;

  /** `plan` is only read (bounds are replaced, never changed in place), so one plan serves many streams. */
  constructor(
    private readonly store: Store,
    plan: QueryPlan,
    private readonly onRead: RowReader = () => undefined,
  ) {
    this.table = plan.table;
    this.order = plan.order;
    this.index = plan.index;
    this.lo = plan.lo;
    this.hi = plan.hi;
    this.filters = plan.filters;
    this.limit = plan.limit;
    this.batch = plan.batch;
  }

  /** Continue strictly after `key` (in this stream's order). */
  seekAfter(key: Uint8Array): void {
    if (this.order === "asc") this.lo = concat(key, Uint8Array.of(0));
    else this.hi = key;
  }

  /** Stop after `key` inclusive (in this stream's order). */
  endAt(key: Uint8Array): void {
    if (this.order === "asc") this.hi = concat(key, Uint8Array.of(0));
    else this.lo = key;
  }

  matches(row: Row): boolean {
    if (this.filters.length === 0) return true;
    const doc = parseDoc(row.json);
    return this.filters.every((f) => evaluate(f, doc) === true);
  }

  /** The next row in range, filtered or not; null at the end. */
  nextRow(): Row | null {
    const row = this.peekRow();
    if (row !== null) {
      this.pos++;
      this.onRead(row);
    }
    return row;
  }

  /** Whether a row is left in range (a look ahead: the row is neither read nor counted). */
  hasMoreRows(): boolean {
    return this.peekRow() !== null;
  }

  private peekRow(): Row | null {
    if (this.pos >= this.buf.length) {
      if (this.exhausted) return null;
      this.buf = this.store.scan(this.table, this.index, this.lo, this.hi, this.order, this.batch);
      this.pos = 0;
      if (this.buf.length < this.batch) this.exhausted = true;
      if (this.buf.length === 0) return null;
      this.seekAfter(this.buf[this.buf.length - 1].key);
      this.batch = Math.min(this.batch * 2, 4096);
    }
    return this.buf[this.pos];
  }

  /** The next document (as stored Convex-JSON text) passing the filters, honouring limit/take. */
  next(): string | null {
    if (this.limit !== null && this.returned >= this.limit) return null;
    for (let row = this.nextRow(); row !== null; row = this.nextRow()) {
      if (this.matches(row)) {
        this.returned++;
        return row.json;
      }
    }
    return null;
  }
}

export function splitIndexName(indexName: string): [string, string] {
  const dot = indexName.lastIndexOf(".");
  return [indexName.slice(0, dot), indexName.slice(dot + 1)];
}
