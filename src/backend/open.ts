import { mkdirSync } from "node:fs";
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
}

/** Real Convex when a URL is given (or CONVEX_URL is set), else the embedded runtime on the state file. */
export async function openBackend(opts: OpenBackendOptions = {}): Promise<BackendClient> {
  const url = opts.convexUrl ?? process.env.CONVEX_URL;
  if (url) return new ConvexBackend({ url });
  const dbPath = opts.dbPath ?? DEFAULT_DB_PATH;
  mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true });
  const runtime = openEmbeddedRuntime({
    path: dbPath,
    schema: appSchema,
    modules: appModules,
    crons: appCrons,
    runCrons: opts.runCrons ?? true,
    runScheduler: opts.runScheduler ?? true,
  });
  return new EmbeddedClient(runtime);
}
