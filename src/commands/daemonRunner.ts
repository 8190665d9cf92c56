import type { Command } from "commander";
import { stat } from "node:fs/promises";
import { api } from "../contract/api.js";
import { MAX_SPEED_MS, MIN_SPEED_MS } from "../contract/rules.js";
import type { BackendClient } from "../backend/client.js";
import { openBackend } from "../backend/open.js";
import { startDaemon, type Daemon } from "../worker/daemon.js";
import { createLogger, type LogFormat, type Logger } from "../worker/log.js";
import { loadSeed, readSeedFile } from "../worker/seed.js";
import { tailTriggers } from "../worker/triggerTail.js";
import { globals } from "./common.js";
import { UsageError } from "./errors.js";
import { defaultSeedFile } from "./seed.js";
import { VERSION } from "./version.js";

export interface RunOptions {
  logFormat?: string;
  speed?: string;
}

/**
 * A first run replays the example's day of 2,000 calls in under two minutes, so a newcomer sees the
 * whole loop (compiles, served calls, the model upgrade's DRIFT, the relearned entry) without waiting.
 */
export const FIRST_RUN_SPEED_MS = 50;

/** When the replay source is empty (a first run), load the agent's seed traces and say so in the stream. */
export async function seedIfEmpty(client: BackendClient, agentDir: string): Promise<number> {
  const state = await client.query(api.daemon.replay.state, {});
  if (state.total > 0) return 0;
  const file = defaultSeedFile(agentDir);
  const traces = await readSeedFile(file).catch(() => []);
  if (traces.length === 0) return 0;
  const r = await loadSeed(client, traces);
  // The default pace (1 trace/s) would take over half an hour over the example's day.
  await client.mutation(api.daemon.control.speed, { speedMs: FIRST_RUN_SPEED_MS });
  await client.mutation(api.daemon.triggers.record, {
    kind: "BOOT",
    detail: `empty store: loaded ${r.inserted} seed traces from ${file}; replaying at ${FIRST_RUN_SPEED_MS} ms/trace (ctl speed to change)`,
  });
  return r.inserted;
}

export function parseSpeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(ms) || ms < MIN_SPEED_MS || ms > MAX_SPEED_MS) {
    throw new UsageError(`--speed must be an integer number of ms between ${MIN_SPEED_MS} (as fast as possible) and ${MAX_SPEED_MS}, got "${text}"`);
  }
  return ms;
}

export function parseLogFormat(text: string | undefined): LogFormat {
  if (text === undefined || text === "ndjson" || text === "json") return "ndjson";
  if (text === "pretty") return "pretty";
  throw new UsageError(`--log-format must be ndjson or pretty, got "${text}"`);
}

export interface StartedDaemon {
  client: BackendClient;
  daemon: Daemon;
  logger: Logger;
  shutdown: (code?: number) => Promise<never>;
}

/**
 * Opens the backend with crons, seeds a first run, starts the worker and installs the signal
 * handlers: the first SIGINT/SIGTERM drains (up to 10 s), a second one exits at once.
 */
export async function startDaemonProcess(
  cmd: Command,
  opts: RunOptions,
  logger: Logger,
  installSignals = true,
  onOpen?: (client: BackendClient) => void,
): Promise<StartedDaemon> {
  const g = globals(cmd);
  const speedMs = parseSpeed(opts.speed);
  const agentIsDir = await stat(g.agent).then((s) => s.isDirectory(), () => false);
  if (!agentIsDir) throw new UsageError(`--agent ${g.agent} is not a directory (run from the repository, or pass --agent DIR)`);
  // The embedded deployment keeps its own environment; a threshold given in the shell is set there,
  // as `npx convex env set COMPILE_THRESHOLD` would on real Convex.
  const threshold = process.env.COMPILE_THRESHOLD;
  if (threshold !== undefined && !/^[1-9]\d*$/.test(threshold)) throw new UsageError(`COMPILE_THRESHOLD must be a positive integer, got "${threshold}"`);
  const client = await openBackend({
    dbPath: g.db,
    convexUrl: process.env.CONVEX_URL,
    runCrons: true,
    ...(threshold ? { env: { COMPILE_THRESHOLD: threshold } } : {}),
  });
  onOpen?.(client);
  await seedIfEmpty(client, g.agent);
  if (speedMs !== undefined) await client.mutation(api.daemon.control.speed, { speedMs });
  const daemon = await startDaemon({ client, agentDir: g.agent, version: VERSION, logger });

  let shuttingDown = false;
  const shutdown = async (code = 0): Promise<never> => {
    if (shuttingDown) process.exit(code);
    shuttingDown = true;
    await daemon.stop(10_000).catch((e: unknown) => logger.warn(`shutdown: ${String(e)}`));
    await client.close().catch(() => undefined);
    logger.event({ type: "daemon", phase: "stopped", daemonId: daemon.daemonId });
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    logger.warn(`${signal}: stopping (finishing or releasing the current job, up to 10 s; again to force)`);
    void shutdown(0);
  };
  if (installSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  return { client, daemon, logger, shutdown };
}

/** The headless worker: NDJSON (or pretty) lines on stdout, one per trigger row and job transition. */
export async function runHeadless(cmd: Command, opts: RunOptions): Promise<void> {
  const logger = createLogger({ format: parseLogFormat(opts.logFormat) });
  // Follow the stream from this moment, so the first run's seeding row and the BOOT row are logged.
  const since = Date.now();
  const follow = (client: BackendClient) =>
    tailTriggers(
      client,
      (row) => logger.event({ type: "trigger", kind: row.kind, bucket: row.bucket, jobId: row.jobId, detail: row.detail }),
      (e) => logger.event({ type: "error", message: e.message }),
      { since },
    );
  const { client, daemon } = await startDaemonProcess(cmd, opts, logger, true, follow);
  logger.event({ type: "daemon", phase: "started", daemonId: daemon.daemonId, backend: client.backendName, db: globals(cmd).db });
  await new Promise<never>(() => undefined); // runs until a signal
}
