import { api, type FunctionReturnType } from "../contract/api.js";

/** The queries the console subscribes to, fixed by contract with convex/daemon. */
export const QUERIES = {
  triggers: api.daemon.triggers.recent,
  notableTriggers: api.daemon.triggers.notable,
  heartbeat: api.daemon.heartbeat.status,
  replay: api.daemon.replay.state,
  buckets: api.daemon.ingest.buckets,
  activeJobs: api.daemon.compiles.active,
  recentJobs: api.daemon.compiles.list,
  vault: api.daemon.vault.list,
  codeState: api.daemon.control.codeState,
  queue: api.daemon.compiles.queue,
  usage: api.daemon.runtime.usage,
} as const;

/** Usage windows the savings pane reads (the most the usage query returns). */
export const USAGE_LIMIT = 2000;
export type UsageRow = FunctionReturnType<typeof api.daemon.runtime.usage>[number];

/** How many trigger rows the stream keeps (the filter searches these). */
export const TRIGGER_LIMIT = 200;
/** How many notable rows (VOLUME, DRIFT, ...) are kept beside them, however fast routine rows arrive. */
export const NOTABLE_TRIGGER_LIMIT = 100;
export const RECENT_JOBS_LIMIT = 20;

export type { Bucket, BucketsView, CodeStateView, CompileJob, Heartbeat, ReplayView, TriggerEvent, VaultEntry } from "../contract/documents.js";
import type { VaultEntry } from "../contract/documents.js";
export type VaultVerdict = VaultEntry["verdict"];



