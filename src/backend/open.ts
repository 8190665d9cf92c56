import { existsSync, mkdirSync, statSync } from "node:fs";
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
  if (opts.mustExist && !existsSync(dbPath)) {
    throw new StateFileError(`no state file at ${dbPath} (start one with \`compile-daemon run\` or \`tui\`, or \`seed\`; or pass --db)`);
  }
  let runtime: ReturnType<typeof openEmbeddedRuntime>;
  try {
    mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true });
    runtime = openEmbeddedRuntime({
      path: dbPath,
      schema: appSchema,
      modules: appModules,
      crons: appCrons,
      runCrons: opts.runCrons ?? true,
      runScheduler: opts.runScheduler ?? true,
      // An idle daemon or console should cost next to nothing: 50 ms is still instant for a person
      // watching another process's change, and crons run every second anyway.
      pollMs: 50,
      tickMs: 250,
    });
  } catch (e) {
    throw new StateFileError(`cannot open state file ${dbPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (runtime.getEnv()[name] !== value) runtime.setEnv(name, value);
  }
  return new EmbeddedClient(runtime);
}
