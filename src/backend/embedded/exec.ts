import { convexToJson, getConvexSize, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { fromHex, toHex } from "./keys.js";
import { queryValue } from "./filter.js";
import { IndexStream, planQuery, type QueryJson, type QueryPlan } from "./stream.js";
import { SCHEDULED_TABLE, parseDoc, type Doc, type Row, type Store } from "./store.js";
import { TransactionMeter } from "./limits.js";
import { checkDocumentLimits, convexJsonSize } from "./size.js";
import { convexJsonText } from "./json.js";
import { hasValidChecksum } from "./ids.js";
import {
  UnsupportedFeatureError,
  resolveFunction,
  restoreConvexError,
  validateArgs,
  validateReturns,
  type FunctionKind,
  type ModuleMap,
} from "./functions.js";
import { validateValue, type ValidatorJson } from "./validate.js";

export interface ExecHost {
  store: Store;
  modules: ModuleMap;
  /** documentType per table, or null when the schema does not validate documents. */
  documentTypes: Map<string, ValidatorJson> | null;
  /** Refuse what breaks Convex's transaction and document limits (otherwise usage is only measured). */
  enforceLimits: boolean;
}

type Args = Record<string, JSONValue>;
const END_CURSOR = "_end_cursor";

/**
 * The state of one top-level function execution (and the nested runQuery/runMutation calls it makes):
 * the syscall implementations convex/server calls through `globalThis.Convex`, the tables it read and
 * wrote (for subscriptions), and the open query streams.
 */
export class Execution {
  readonly readTables = new Set<string>();
  readonly writtenTables = new Set<string>();
  scheduled = 0;
  /** Reads and writes against Convex's per-transaction limits (ctx.meta.getTransactionMetrics). */
  readonly meter: TransactionMeter;
  private readonly streams = new Map<number, IndexStream>();
  private nextStreamId = 1;
  private savepoints = 0;
  /** .paginate() calls in the current query (and the queries it runs); see countPaginatedQuery. */
  private paginatedQueries = 0;
  private kindStack: FunctionKind[];
  /** The running function's name, innermost last (getFunctionMetadata names the nested one). */
  private readonly nameStack: string[];

  constructor(
    private readonly host: ExecHost,
    readonly kind: FunctionKind,
    readonly name: string,
    readonly now: number,
  ) {
    this.kindStack = [kind];
    this.nameStack = [name];
    this.meter = new TransactionMeter(host.enforceLimits);
  }

  /** While a stale-snapshot query runs: the connection that reads the committed state (see runNested). */
  private snapshotStore: Store | null = null;

  private get store(): Store {
    return this.snapshotStore ?? this.host.store;
  }

  private requireMutation(what: string): void {
    if (this.currentKind() !== "mutation") throw new Error(`${what} is only allowed in a mutation, not in a query`);
  }

  /** Counts a document a query scanned; its size is kept on the row, which the scan cache may serve again. */
  private readonly countRow = (row: Row): void => {
    this.meter.read((row.size ??= convexJsonSize(row.json)));
  };

  syscall = (op: string, argsJson: string): string => {
    if (op === "1.0/queryStream") {
      this.meter.indexRange();
      const stream = new IndexStream(this.store, this.plan(argsJson), this.countRow);
      this.readTables.add(stream.table);
      const queryId = this.nextStreamId++;
      this.streams.set(queryId, stream);
      return `{"queryId":${queryId}}`;
    }
    const args = JSON.parse(argsJson) as Args;
    switch (op) {
      case "1.0/queryCleanup":
        this.streams.delete(args.queryId as number);
        return JSON.stringify({});
      case "1.0/db/normalizeId": {
        const id = args.idString as string;
        return JSON.stringify({ id: this.isIdOf(args.table as string, id) ? id : null });
      }
      case "1.0/getSnapshotTs":
        return JSON.stringify(convexToJson(BigInt(Math.floor(this.now * 1000))));
      default:
        throw unsupportedOp(op);
    }
  };

  /** The plan of a queryStream call, memoised by its exact syscall text (the same few queries recur). */
  private plan(argsJson: string): QueryPlan {
    // Plans hold the main connection's prepared statements: a snapshot query plans on its own store.
    if (this.snapshotStore !== null) return planQuery(this.store, (JSON.parse(argsJson) as { query: QueryJson }).query);
    let plans = planCache.get(this.host);
    if (!plans) planCache.set(this.host, (plans = new Map()));
    let plan = plans.get(argsJson);
    if (plan === undefined) {
      plan = planQuery(this.store, (JSON.parse(argsJson) as { query: QueryJson }).query);
      if (plans.size >= MAX_PLANS) plans.clear();
      plans.set(argsJson, plan);
    }
    return plan;
  }

  asyncSyscall = async (op: string, argsJson: string): Promise<string> => {
    const args = JSON.parse(argsJson) as Args;
    switch (op) {
      case "1.0/get":
        return this.get(args);
      case "1.0/queryStreamNext": {
        const stream = this.streams.get(args.queryId as number);
        if (!stream) throw new Error("Query stream is closed");
        // Documents are stored as Convex JSON: splice the text instead of parsing and re-serialising.
        const json = stream.next();
        return json === null ? '{"value":null,"done":true}' : `{"value":${json},"done":false}`;
      }
      case "1.0/queryPage":
        return this.page(args);
      case "1.0/count": {
        this.meter.indexRange();
        const table = args.table as string;
        this.readTables.add(table);
        return JSON.stringify(convexToJson(this.store.count(table)));
      }
      case "1.0/insert": {
        const table = args.table as string;
        return JSON.stringify({ _id: this.insert(table, args.value as Record<string, JSONValue>, valueText(argsJson, table)) });
      }
      case "1.0/shallowMerge":
        this.write(args, "patch");
        return JSON.stringify({});
      case "1.0/replace":
        this.write(args, "replace");
        return JSON.stringify({});
      case "1.0/remove": {
        const { table, doc } = this.existing(args, "delete");
        this.meter.write(0);
        this.store.remove(table, doc._id);
        this.writtenTables.add(table);
        return JSON.stringify({});
      }
      case "1.0/schedule":
        return JSON.stringify(convexToJson(this.schedule(args)));
      case "1.0/cancel_job":
        this.requireMutation("ctx.scheduler.cancel");
        this.store.prepare("UPDATE _scheduled SET state = 'canceled' WHERE id = ? AND state = 'pending'").run(args.id as string);
        this.writtenTables.add(SCHEDULED_TABLE);
        return JSON.stringify({});
      case "1.0/runUdf":
        return JSON.stringify(convexToJson(await this.runNested(args)));
      case "1.0/getTransactionMetrics":
        return JSON.stringify(convexToJson(this.meter.metrics()));
      case "1.0/getFunctionMetadata":
        return JSON.stringify({ name: this.nameStack[this.nameStack.length - 1], componentPath: "" });
      default:
        throw unsupportedOp(op);
    }
  };

  jsSyscall = (op: string): never => {
    throw unsupportedOp(op);
  };

  /** The document as Convex-JSON text ("null" when absent). */
  private get(args: Args): string {
    const id = args.id as string;
    const expected = args.table as string | undefined;
    this.meter.indexRange();
    if (args.isSystem) {
      const doc = expected === SCHEDULED_TABLE || this.store.tableOfId(id) === SCHEDULED_TABLE ? this.scheduledDoc(id) : null;
      if (doc !== null) this.meter.read(getConvexSize(doc));
      return JSON.stringify(convexToJson(doc));
    }
    const table = this.tableOfArgument(id, expected, "get");
    this.readTables.add(table);
    const text = this.store.getJson(table, id);
    if (text === null) return "null";
    this.meter.read(convexJsonSize(text));
    return text;
  }

  private scheduledDoc(id: string): Doc | null {
    return this.store.scheduledJob(id);
  }

  private validateDoc(table: string, fields: Record<string, Value>): void {
    const type = this.host.documentTypes?.get(table);
    if (!type) return;
    try {
      validateValue(type, fields, this.store.tableOfId);
    } catch (e) {
      throw new Error(`Failed to insert or update a document in table "${table}" because it does not match the schema: ${(e as Error).message}`);
    }
  }

  /** The size of a document about to be written, refused first when it breaks Convex's document limits. */
  private documentSize(text: string): number {
    return this.host.enforceLimits ? checkDocumentLimits(text) : convexJsonSize(text);
  }

  /** `text`, when known, is `valueJson`'s JSON text as it arrived (see valueText). */
  private insert(table: string, valueJson: Record<string, JSONValue>, text?: string): string {
    this.requireMutation("db.insert");
    if (table.startsWith("_")) throw new Error("System tables (prefixed with `_`) are read-only.");
    this.store.table(table); // throws for tables the schema does not declare
    // Fields the schema types as v.any() and no index reads stay in their JSON form: validation only
    // asks that they are present, and the stored text is the incoming JSON either way.
    const raw = rawFields(this.host, table);
    const fields: Record<string, Value> = {};
    for (const k in valueJson) {
      if (k === "_id" || k === "_creationTime") {
        // Convex assigns both; a value carrying either is refused, not silently rewritten.
        throw new Error(`Failed to insert a document in table "${table}": field \`${k}\` is a system field, which Convex sets itself`);
      }
      fields[k] = raw.has(k) ? (valueJson[k] as Value) : jsonToConvex(valueJson[k]);
    }
    this.validateDoc(table, fields);
    const _creationTime = this.store.nextCreationTime(this.now);
    const _id = this.store.newId(table, _creationTime);
    // The incoming value is already Convex JSON: store its text with the system fields added.
    const body = text ?? JSON.stringify(valueJson);
    const tail = `"_id":${JSON.stringify(_id)},"_creationTime":${JSON.stringify(_creationTime)}}`;
    text = body.length === 2 ? `{${tail}` : `${body.slice(0, -1)},${tail}`;
    this.meter.write(this.documentSize(text));
    this.store.put(table, { ...fields, _id, _creationTime }, text);
    this.writtenTables.add(table);
    return _id;
  }

  private existing(args: Args, verb: string): { table: string; doc: Doc } {
    this.requireMutation(`db.${verb}`);
    const id = args.id as string;
    const table = this.tableOfArgument(id, args.table as string | undefined, verb);
    const text = this.store.getJson(table, id);
    if (text === null) throw new Error(`${verb === "patch" ? "Patch" : verb === "replace" ? "Replace" : "Delete"} on non-existent document with ID "${id}"`);
    this.readTables.add(table);
    this.meter.read(convexJsonSize(text));
    return { table, doc: parseDoc(text) };
  }

  /**
   * The table of an `id` argument of db.get/patch/replace/delete. With the table named in the call
   * (`db.get("items", id)`), an id of another table is refused with Convex's message; without it any
   * id of this deployment goes.
   */
  private tableOfArgument(id: string, expected: string | undefined, verb: string): string {
    const table = this.store.tableOfId(id);
    if (expected !== undefined) {
      if (table === null) throw new Error(`Invalid argument \`id\`, expected ID value but got '${id}'`);
      if (table !== expected) throw new Error(`Invalid argument \`id\`, expected ID in table '${expected}' but got ID in table '${table}'`);
    }
    if (table === null) throw new Error(`Invalid argument \`id\` for \`db.${verb}\`: "${id}" is not an id of this deployment`);
    return table;
  }

  /**
   * normalizeId's test: an id of `table` whose checksum holds. An id minted before ids carried a
   * checksum is one when it names a document that exists (an altered id names none).
   */
  private isIdOf(table: string, id: string): boolean {
    if (this.store.tableOfId(id) !== table) return false;
    if (hasValidChecksum(id)) return true;
    if (table === SCHEDULED_TABLE) return this.scheduledDoc(id) !== null;
    return this.store.get(id) !== null;
  }

  private write(args: Args, verb: "patch" | "replace"): void {
    const { table, doc } = this.existing(args, verb);
    const raw = args.value as Record<string, JSONValue>;
    requireOwnSystemFields(raw, doc);
    const update: Record<string, Value | undefined> = {};
    for (const [k, v] of Object.entries(raw)) if (k !== "_id" && k !== "_creationTime") update[k] = queryValue(v);
    const base = verb === "patch" ? stripSystem(doc) : {};
    const merged: Record<string, Value> = {};
    for (const [k, v] of Object.entries({ ...base, ...update })) if (v !== undefined) merged[k] = v;
    this.validateDoc(table, merged);
    const after: Doc = { ...merged, _id: doc._id, _creationTime: doc._creationTime };
    const text = convexJsonText(after);
    this.meter.write(this.documentSize(text));
    this.store.update(table, doc, after, text);
    this.writtenTables.add(table);
  }

  /** The queryPage result as JSON text. */
  private page(args: Args): string {
    this.countPaginatedQuery();
    this.meter.indexRange();
    const stream = new IndexStream(this.store, planQuery(this.store, args.query as unknown as QueryJson), this.countRow);
    this.readTables.add(stream.table);
    const cursor = args.cursor as string | null;
    const endCursor = (args.endCursor as string | null | undefined) ?? null;
    const pageSize = args.pageSize as number;
    const maxRows = (args.maximumRowsRead as number | null | undefined) ?? null;
    const maxBytes = (args.maximumBytesRead as number | null | undefined) ?? null;
    if (cursor === END_CURSOR) return JSON.stringify({ page: [], isDone: true, continueCursor: END_CURSOR, splitCursor: null, pageStatus: null });
    if (cursor !== null) stream.seekAfter(fromHex(cursor));
    const bounded = endCursor !== null && endCursor !== END_CURSOR;
    if (bounded) stream.endAt(fromHex(endCursor));
    const page: string[] = [];
    /** The keys of the rows read, filtered out or not: a split cursor falls among them. */
    const readKeys: Uint8Array[] = [];
    let bytesRead = 0;
    let exhausted = false;
    let split = false;
    while (bounded || page.length < pageSize) {
      const row = stream.nextRow();
      if (row === null) {
        exhausted = true;
        break;
      }
      readKeys.push(row.key);
      bytesRead += row.size ?? convexJsonSize(row.json);
      if (stream.matches(row)) page.push(row.json);
      // A page that hit the caller's read budget may be incomplete: it ends here and must be split.
      if ((maxRows !== null && readKeys.length >= maxRows) || (maxBytes !== null && bytesRead >= maxBytes)) {
        split = true;
        break;
      }
    }
    if (!exhausted && !split && !bounded && !stream.hasMoreRows()) exhausted = true;
    const lastKey = readKeys.length > 0 ? readKeys[readKeys.length - 1] : null;
    const continueCursor = split ? toHex(lastKey!) : bounded ? endCursor : exhausted || lastKey === null ? END_CURSOR : toHex(lastKey);
    const rest = JSON.stringify({
      isDone: split || bounded ? false : exhausted,
      continueCursor,
      splitCursor: split ? splitCursorOf(readKeys) : null,
      pageStatus: split ? "SplitRequired" : null,
    });
    return `{"page":[${page.join(",")}],${rest.slice(1)}`;
  }

  /** Convex allows one .paginate() per query, nested queries included (mutations may paginate more). */
  private countPaginatedQuery(): void {
    if (this.currentKind() !== "query") return;
    if (++this.paginatedQueries > 1) {
      throw new Error(
        "Only a single paginated query (`.paginate()`) is allowed per query, including nested query calls and component calls. " +
          "This is a Convex limit: https://docs.convex.dev/database/pagination",
      );
    }
  }

  private currentKind(): FunctionKind {
    return this.kindStack[this.kindStack.length - 1];
  }

  private schedule(args: Args): string {
    this.requireMutation("ctx.scheduler.runAfter/runAt");
    if (typeof args.name !== "string") throw new UnsupportedFeatureError("Scheduling components or function handles");
    const target = resolveFunction(this.host.modules, args.name, "any", true);
    if (target.kind !== "mutation") throw new Error(`Cannot schedule "${args.name}": only mutations can be scheduled (queries cannot)`);
    this.meter.schedule(getConvexSize(jsonToConvex(args.args)));
    const id = this.store.newId(SCHEDULED_TABLE, this.now);
    const ts = (args.ts as number) * 1000;
    this.store
      .prepare("INSERT INTO _scheduled (id, name, args, ts, state, createdAt) VALUES (?, ?, ?, ?, 'pending', ?)")
      .run(id, args.name, JSON.stringify(args.args), ts, this.now);
    this.scheduled++;
    this.writtenTables.add(SCHEDULED_TABLE);
    return id;
  }

  /**
   * A stale-snapshot query (ctx.runQuery(..., { useStaleSnapshot: true })) reads the committed state,
   * not the calling mutation's pending writes: it runs on a second connection in its own read
   * transaction until it returns.
   */
  private openSnapshot(): Store {
    const reader = this.host.store.committedReader();
    reader.begin(false);
    this.snapshotStore = reader;
    return reader;
  }

  private closeSnapshot(reader: Store): void {
    this.snapshotStore = null;
    reader.rollback();
  }

  private async runNested(args: Args): Promise<Value> {
    if (typeof args.name !== "string") throw new UnsupportedFeatureError("Calling components or function handles");
    const udfType = args.udfType as string;
    if (udfType !== "query" && udfType !== "mutation" && udfType !== "snapshotQuery") throw new UnsupportedFeatureError(`ctx.run${udfType}`);
    const kind: FunctionKind = udfType === "mutation" ? "mutation" : "query";
    if (kind === "mutation") this.requireMutation("ctx.runMutation");
    const r = resolveFunction(this.host.modules, args.name, kind, true);
    const value = jsonToConvex(args.args);
    validateArgs(r, value, this.store.tableOfId);
    const sp = kind === "mutation" ? `sp${++this.savepoints}` : null;
    if (sp) this.store.db.exec(`SAVEPOINT ${sp}`);
    // A query run from a mutation is a query of its own, with its own .paginate().
    const outerPaginatedQueries = this.paginatedQueries;
    if (this.currentKind() === "mutation") this.paginatedQueries = 0;
    this.kindStack.push(kind);
    this.nameStack.push(r.name);
    this.meter.enterNested(args.transactionLimits as Record<string, unknown> | undefined);
    const ownSnapshot = udfType === "snapshotQuery" && this.snapshotStore === null ? this.openSnapshot() : null;
    let succeeded = false;
    try {
      const argsJson = JSON.stringify([convexToJson(value)]);
      const raw = kind === "query" ? await r.fn.invokeQuery!(argsJson) : await r.fn.invokeMutation!(argsJson);
      const result = jsonToConvex(JSON.parse(raw));
      validateReturns(r, result, this.store.tableOfId);
      if (sp) this.store.db.exec(`RELEASE ${sp}`);
      succeeded = true;
      return result;
    } catch (e) {
      if (sp) this.store.rollbackTo(sp);
      throw restoreConvexError(e);
    } finally {
      if (ownSnapshot) this.closeSnapshot(ownSnapshot);
      this.meter.exitNested(succeeded);
      this.kindStack.pop();
      this.nameStack.pop();
      if (this.currentKind() === "mutation") this.paginatedQueries = outerPaginatedQueries;
    }
  }
}

/** The middle of the rows a split page read: (cursor, split] and (split, continue] each hold about half. */
function splitCursorOf(readKeys: Uint8Array[]): string | null {
  return readKeys.length < 2 ? null : toHex(readKeys[Math.floor((readKeys.length - 1) / 2)]);
}

/**
 * The `value` part of an insert's syscall text: convex/server sends JSON.stringify({ table, value }),
 * so after the exact `{"table":<table>,"value":` prefix the rest but the closing brace is the value's
 * own JSON text, and the document need not be serialised again. Null when the text has another shape.
 */
function valueText(argsJson: string, table: string): string | undefined {
  const prefix = `{"table":${JSON.stringify(table)},"value":`;
  if (!argsJson.startsWith(prefix) || argsJson.charCodeAt(argsJson.length - 1) !== 125 /* } */) return undefined;
  const text = argsJson.slice(prefix.length, -1);
  return text.charCodeAt(0) === 123 /* { */ ? text : undefined;
}

const planCache = new WeakMap<ExecHost, Map<string, QueryPlan>>();
const MAX_PLANS = 1024;

const NO_RAW = new Set<string>();
const rawFieldCache = new WeakMap<ExecHost, Map<string, Set<string>>>();

/** Top-level fields of `table` typed v.any() that no index reads (see Execution.insert). */
function rawFields(host: ExecHost, table: string): Set<string> {
  let perHost = rawFieldCache.get(host);
  if (!perHost) rawFieldCache.set(host, (perHost = new Map()));
  let set = perHost.get(table);
  if (set === undefined) {
    set = NO_RAW;
    const type = host.documentTypes?.get(table);
    if (type?.type === "object") {
      const indexed = new Set(host.store.table(table).indexList.flatMap((ix) => ix.fields.map((f) => f.split(".")[0])));
      set = new Set(Object.entries(type.value).filter(([k, f]) => f.fieldType.type === "any" && !indexed.has(k)).map(([k]) => k));
    }
    perHost.set(table, set);
  }
  return set;
}

/** patch/replace may repeat the document's own `_id` and `_creationTime`, and no other values of them. */
function requireOwnSystemFields(value: Record<string, JSONValue>, doc: Doc): void {
  const id = value._id === undefined ? undefined : queryValue(value._id);
  if (id !== undefined && id !== doc._id) throw new Error(`Provided \`_id\` field value "${String(id)}" does not match the document ID "${doc._id}"`);
  const creationTime = value._creationTime === undefined ? undefined : queryValue(value._creationTime);
  if (creationTime !== undefined && creationTime !== doc._creationTime) {
    throw new Error(`Provided \`_creationTime\` field value ${String(creationTime)} does not match the document's creation time ${doc._creationTime}`);
  }
}

function stripSystem(value: Record<string, Value | undefined>): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(value)) if (k !== "_id" && k !== "_creationTime" && v !== undefined) out[k] = v;
  return out;
}

function unsupportedOp(op: string): Error {
  if (op.includes("storage") || op.includes("Blob")) return new UnsupportedFeatureError(`File storage (${op})`);
  if (op.includes("vectorSearch")) return new UnsupportedFeatureError(`Vector search (${op})`);
  if (op.startsWith("1.0/actions/")) return new UnsupportedFeatureError(`Actions (${op})`);
  if (op === "1.0/auditLog") return new UnsupportedFeatureError(`Audit logging (log.audit, ${op})`);
  if (op === "1.0/getDeploymentMetadata") return new UnsupportedFeatureError(`ctx.meta.getDeploymentMetadata() (${op})`);
  return new UnsupportedFeatureError(`The syscall "${op}"`);
}
