import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import type { BackendClient } from "./client.js";
import { ConvexBackend } from "./convex.js";
import { EmbeddedClient } from "./embedded/client.js";
import { openEmbeddedRuntime } from "./embedded/runtime.js";
import { appCrons, appModules, appSchema } from "./embedded/modules.js";

export const DEFAULT_DB_PATH = ".compile/state.db";

export interface OpenBackendOptions {
  /** Embedded state file. Default .compile/state.db (its folder is created). */
  dbPath?: string;
  /** Real Convex deployment; default process.env.CONVEX_URL. When set, the embedded file is not touched. */
  convexUrl?: string;
  /** Embedded only: run crons while holding the scheduler lease. Default true. */
  runCrons?: boolean;
  /** Embedded only: run scheduled functions while holding the lease. Default true. */
  runScheduler?: boolean;
  /** Embedded only: refuse to create a state file (read-only commands must not invent one from a typo). */
  mustExist?: boolean;
  /** Embedded only: deployment variables to set on open, as `npx convex env set` would. */
  env?: Record<string, string>;
  /**
   * Embedded only: the command only reads. The state file is opened read-only (it must exist):
   * nothing is written on open (no migration, admin token, scheduler lease or checkpoint), so a file
   * or folder this process may not write can still be inspected; a mutation fails with a clear error.
   */
  readOnly?: boolean;
}

/** The state file cannot be used as given: bad input, exit code 2. */
export class StateFileError extends Error {
  override name = "StateFileError";
}

/** Real Convex when a URL is given (or CONVEX_URL is set), else the embedded runtime on the state file. */
export async function openBackend(opts: OpenBackendOptions = {}): Promise<BackendClient> {
  const url = opts.convexUrl ?? process.env.CONVEX_URL;
  if (url) return new ConvexBackend({ url });
  const dbPath = opts.dbPath ?? DEFAULT_DB_PATH;
  if (existsSync(dbPath) && statSync(dbPath).isDirectory()) throw new StateFileError(`--db ${dbPath} is a directory, not a state file`);
  const readOnly = opts.readOnly === true;
  if ((opts.mustExist || readOnly) && !existsSync(dbPath)) {
    throw new StateFileError(`no state file at ${dbPath} (start one with \`compile-daemon run\` or \`tui\`, or \`seed\`; or pass --db)`);
  }
  if (readOnly && !canAccess(dbPath, constants.R_OK)) throw new StateFileError(`cannot read state file ${dbPath}: permission denied`);
  if (!readOnly) checkWritable(dbPath);
  let runtime: ReturnType<typeof openEmbeddedRuntime>;
  try {
    // A folder made here is its owner's only, as the state file in it is (0600).
    if (!readOnly) mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true, mode: 0o700 });
    runtime = openEmbeddedRuntime({
      path: dbPath,
      schema: appSchema,
      modules: appModules,
      crons: appCrons,
      readOnly,
      runCrons: !readOnly && (opts.runCrons ?? true),
      runScheduler: !readOnly && (opts.runScheduler ?? true),
      // An idle daemon or console should cost next to nothing: 50 ms is still instant for a person
      // watching another process's change, and crons run every second anyway.
      pollMs: 50,
      tickMs: 250,
    });
  } catch (e) {
    throw new StateFileError(`cannot open state file ${dbPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (readOnly && opts.env) throw new StateFileError("a read-only open cannot set deployment variables");
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (runtime.getEnv()[name] !== value) runtime.setEnv(name, value);
  }
  return new EmbeddedClient(runtime);
}

function canAccess(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}

/**
 * A command that writes says so up front on a state file it may not write (SQLite would open it and
 * fail later with "attempt to write a readonly database"), and names the commands that still work.
 */
function checkWritable(dbPath: string): void {
  const readers = "`ctl status` and `vault list/show/export` only read and work on it as it is";
  if (existsSync(dbPath)) {
    if (!canAccess(dbPath, constants.W_OK)) throw new StateFileError(`state file ${dbPath} is read-only, and this command writes to it (${readers})`);
    // A -wal/-shm another user left read-only cannot be repaired here (the runtime repairs its own).
    for (const side of [`${dbPath}-wal`, `${dbPath}-shm`]) {
      if (!existsSync(side) || canAccess(side, constants.W_OK)) continue;
      if (statSync(side).uid === process.getuid?.()) continue;
      throw new StateFileError(`${side} belongs to another user and is read-only (left by a reader?): remove it while no process uses ${dbPath}`);
    }
    // SQLite creates the -wal and -shm files beside the state file when they are missing.
    const missingSide = !existsSync(`${dbPath}-wal`) || !existsSync(`${dbPath}-shm`);
    const dir = path.dirname(path.resolve(dbPath));
    if (missingSide && !canAccess(dir, constants.W_OK)) {
      throw new StateFileError(`the folder of state file ${dbPath} is read-only, and this command writes (SQLite needs its -wal and -shm files there; ${readers})`);
    }
  }
}
