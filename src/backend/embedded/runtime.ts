import { randomBytes, randomInt } from "node:crypto";
import { jsonToConvex, type Value } from "convex/values";
import { ReadOnlyStateError, Store } from "./store.js";
import { tightenStateFiles } from "./fileMode.js";
import { collapseRepeatedLines } from "../repeats.js";
import { convexJsonText } from "./json.js";
import { Execution, type ExecHost } from "./exec.js";
import { installGlobals, seededRandom, serial } from "./globals.js";
import { resolveFunction, restoreConvexError, validateArgs, validateReturns, type FunctionKind, type ModuleMap } from "./functions.js";
import { readSchema, type CronsLike, type SchemaLike } from "./schema.js";
import { Subscriptions } from "./subscriptions.js";
import { Scheduler } from "./scheduler.js";

/**
 * The deployment's admin token lives in the state file's environment (like `npx convex env set` on a
 * real deployment). A new file gets a random one; the file's token always wins for the embedded
 * backend, and COMPILE_ADMIN_TOKEN in the shell is only used for real Convex (src/backend/convex.ts).
 */
export const ADMIN_TOKEN_VAR = "COMPILE_ADMIN_TOKEN";

export interface EmbeddedRuntimeOptions {
  /** The SQLite state file (created when missing; its folder must exist). */
  path: string;
  /** The app's schema (`convex/schema.ts` default export); null = schemaless. */
  schema?: SchemaLike | null;
  /** Modules keyed by function path prefix: `{ "daemon/replay": replayModule }`. */
  modules: ModuleMap;
  /** `convex/crons.ts` default export (cronJobs()). */
  crons?: CronsLike | null;
  /** Run crons (only while holding the scheduler lease). Default true. */
  runCrons?: boolean;
  /** Run scheduled functions (runAfter/runAt) (only while holding the lease). Default true. */
  runScheduler?: boolean;
  /**
   * Refuse what breaks Convex's per-transaction limits (documents and bytes read and written, index
   * ranges, functions scheduled) and document limits (1 MiB, 1024 fields, nesting 16, 8192 array
   * elements), with Convex's messages, as a deployment does. Default false: usage is then only
   * measured (ctx.meta.getTransactionMetrics), as convex-test does by default, because the daemon's
   * replay tick at its top speed and state files written before the trace limits still break them.
   */
  enforceLimits?: boolean;
  /** Replace the deployment's environment variables with exactly these on open. */
  env?: Record<string, string>;
  /** Create a random COMPILE_ADMIN_TOKEN when the file has none. Default true (false when `env` is given). */
  createAdminToken?: boolean;
  /** Cross-process change polling interval while there are subscriptions. Default 20 ms. */
  pollMs?: number;
  /** Scheduler tick. Default 100 ms. */
  tickMs?: number;
  /** Scheduler lease length; another process takes over this long after the holder dies. Default 3000 ms. */
  leaseMs?: number;
  /** WAL checkpoint interval after commits. Default 500 ms. */
  checkpointMs?: number;
  /** SQLite synchronous mode. NORMAL (default) survives process crashes; FULL also power loss. */
  synchronous?: "NORMAL" | "FULL";
  /** The clock functions see (read once per execution). Default Date.now. */
  clock?: () => number;
  /**
   * Where scheduler/cron failures are reported. Default console.error. Repeated identical lines are
   * written once with a count (a full disk fails every tick).
   */
  log?: (message: string) => void;
  /**
   * Open the state file read-only: nothing is written on open or later (no migration, no admin
   * token, no scheduler lease, no checkpoints); every mutation fails with ReadOnlyStateError.
   * Implies runCrons and runScheduler false; `env` must not be given.
   */
  readOnly?: boolean;
}

export interface CallOptions {
  /** Trusted in-process callers (tests, the harness) may call internal functions. */
  allowInternal?: boolean;
}

export type Args = Record<string, unknown>;

export interface EmbeddedRuntime {
  readonly path: string;
  /** This process's identity in the scheduler lease. */
  readonly ownerId: string;
  /** The deployment's COMPILE_ADMIN_TOKEN (from the state file). */
  readonly adminToken: string | undefined;
  query(name: string, args?: Args, opts?: CallOptions): Promise<unknown>;
  mutation(name: string, args?: Args, opts?: CallOptions): Promise<unknown>;
  /** Runs the query now and again after every commit (here or in another process) that wrote a table it read; calls back on change. */
  subscribe(name: string, args: Args, onResult: (result: unknown) => void, onError?: (error: Error) => void, opts?: CallOptions): () => void;
  getEnv(): Record<string, string>;
  setEnv(name: string, value: string | undefined): Promise<void>;
  /** One scheduler tick now (lease, due scheduled functions, due crons); returns how many functions ran. */
  tick(): Promise<number>;
  isSchedulerLeader(): boolean;
  close(): Promise<void>;
}

export interface ExecuteResult {
  result: Value;
  exec: Execution;
}

/** Runs inside the transaction before the function; returning false skips the function (and rolls back). */
export type Precondition = (store: Store) => boolean;

export class RuntimeCore implements ExecHost {
  readonly store: Store;
  readonly modules: ModuleMap;
  readonly documentTypes;
  readonly clock: () => number;
  readonly log: (message: string) => void;
  /** Writes the counts of repeated log lines still pending (on close). */
  readonly flushLog: () => void;
  readonly readOnly: boolean;
  readonly enforceLimits: boolean;
  closed = false;
  /** Per-execution Math.random seeds, from one crypto-seeded stream (cheaper than crypto per call). */
  private readonly seeds = seededRandom(randomInt(2 ** 31));
  onCommit: (exec: Execution) => void = () => undefined;

  constructor(readonly opts: EmbeddedRuntimeOptions) {
    const schema = readSchema(opts.schema);
    const sink = opts.log ?? ((m: string) => console.error(m));
    const collapsed = collapseRepeatedLines(sink);
    this.log = collapsed.log;
    this.flushLog = collapsed.flush;
    this.readOnly = opts.readOnly === true;
    this.enforceLimits = opts.enforceLimits === true;
    if (!this.readOnly) {
      // Files an older version created world-readable (they hold the traces and the admin token), and
      // a -wal/-shm a reader left read-only.
      for (const change of tightenStateFiles(opts.path)) this.log(`embedded runtime: state file permissions fixed (${change})`);
    }
    this.store = new Store(opts.path, schema.specs, { synchronous: opts.synchronous, readOnly: this.readOnly });
    this.modules = opts.modules;
    this.documentTypes = schema.documentTypes;
    this.clock = opts.clock ?? (() => Date.now());
    if (schema.unsupported.length > 0) {
      // Only the search itself is missing: every other query and write on these tables works.
      this.log(
        `embedded runtime: withSearchIndex (full-text search) and vector search are not supported; ` +
          `other queries on these tables work: ${schema.unsupported.join(", ")}`,
      );
    }
  }

  /** Must be called inside `serial`. */
  async execute(kind: FunctionKind, name: string, args: Args, allowInternal: boolean, pre?: Precondition): Promise<ExecuteResult | null> {
    if (this.closed) throw new Error("The embedded runtime is closed");
    const r = resolveFunction(this.modules, name, kind, allowInternal);
    if (kind === "mutation" && this.readOnly) {
      throw new ReadOnlyStateError(`${name}: the state file ${this.opts.path} is open read-only (this command only reads it); nothing was written`);
    }
    // convexJsonText checks that the arguments are Convex values (convexToJson unless they are plain
    // JSON); the function gets its own copy from the text, so the caller's objects are validated in
    // place instead of cloned first.
    const argsJson = `[${convexJsonText(args)}]`;
    validateArgs(r, args as Value, this.store.tableOfId);
    const exec = new Execution(this, kind, name, this.clock());
    this.store.begin(kind === "mutation");
    let restore: (() => void) | undefined;
    try {
      if (pre && !pre(this.store)) {
        this.store.rollback();
        return null;
      }
      restore = installGlobals(exec, this.store.env(), Math.floor(this.seeds() * 2 ** 32));
      const raw = kind === "query" ? await r.fn.invokeQuery!(argsJson) : await r.fn.invokeMutation!(argsJson);
      restore();
      restore = undefined;
      const result = jsonToConvex(JSON.parse(raw));
      validateReturns(r, result, this.store.tableOfId);
      if (exec.writtenTables.size > 0) this.store.bumpVersions(exec.writtenTables);
      this.store.commit();
      if (kind === "mutation") this.onCommit(exec);
      return { result, exec };
    } catch (e) {
      restore?.();
      this.store.rollback();
      throw restoreConvexError(e);
    }
  }
}

export function openEmbeddedRuntime(opts: EmbeddedRuntimeOptions): EmbeddedRuntime {
  const readOnly = opts.readOnly === true;
  if (readOnly && opts.env) throw new Error("a read-only embedded runtime cannot set environment variables");
  const core = new RuntimeCore(opts);
  const { store } = core;
  if (!readOnly) {
    store.transaction(() => {
      if (opts.env) {
        for (const name of Object.keys(store.env())) store.setEnv(name, undefined);
        for (const [k, v] of Object.entries(opts.env)) store.setEnv(k, v);
      }
      if ((opts.createAdminToken ?? opts.env === undefined) && store.env()[ADMIN_TOKEN_VAR] === undefined) {
        store.setEnv(ADMIN_TOKEN_VAR, randomBytes(24).toString("base64url"));
      }
    });
  }
  const subs = new Subscriptions(core, opts.pollMs ?? 20);
  // Read-only: no scheduler at all, so not even the lease row is written.
  const scheduler = new Scheduler(core, {
    crons: readOnly || opts.runCrons === false ? null : (opts.crons ?? null),
    runScheduled: !readOnly && opts.runScheduler !== false,
    tickMs: opts.tickMs ?? 100,
    leaseMs: opts.leaseMs ?? 3000,
  });
  let committed = false;
  core.onCommit = (exec) => {
    // A mutation that wrote no document (a cron with nothing to do) leaves at most a bookkeeping
    // row in the WAL: not worth a checkpoint of its own.
    if (exec.writtenTables.size > 0) committed = true;
    subs.afterCommit(exec.writtenTables);
    if (exec.scheduled > 0) scheduler.kick();
  };
  scheduler.start();
  // Checkpoint the WAL between functions, not inside a commit (keeps commit-to-callback latency flat).
  const checkpointer = setInterval(() => {
    if (!committed) return;
    committed = false;
    void serial(() => {
      if (!core.closed) store.checkpoint();
    });
  }, opts.checkpointMs ?? 500);
  checkpointer.unref();

  const call = async (kind: FunctionKind, name: string, args: Args | undefined, o?: CallOptions): Promise<unknown> => {
    const out = await serial(() => core.execute(kind, name, args ?? {}, o?.allowInternal === true));
    return out?.result ?? null;
  };

  return {
    path: opts.path,
    ownerId: scheduler.ownerId,
    get adminToken() {
      return core.closed ? undefined : store.env()[ADMIN_TOKEN_VAR];
    },
    query: (name, args, o) => call("query", name, args, o),
    mutation: (name, args, o) => call("mutation", name, args, o),
    subscribe: (name, args, onResult, onError, o) => subs.add(name, args, onResult, onError, o?.allowInternal === true),
    getEnv: () => store.env(),
    setEnv: (name, value) =>
      serial(() => {
        store.transaction(() => store.setEnv(name, value));
      }),
    tick: () => serial(() => scheduler.tickOnce()),
    isSchedulerLeader: () => scheduler.isLeader(),
    close: async () => {
      clearInterval(checkpointer);
      subs.stop();
      scheduler.stop();
      await serial(() => {
        core.closed = true;
        store.close();
      });
      core.flushLog();
    },
  };
}
