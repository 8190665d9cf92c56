import { api } from "../../convex/_generated/api.js";
import type { Doc } from "../../convex/_generated/dataModel.js";

/** The queries the console subscribes to, fixed by contract with convex/daemon. */
export const QUERIES = {
  triggers: api.daemon.triggers.recent,
  heartbeat: api.daemon.heartbeat.status,
  replay: api.daemon.replay.state,
  buckets: api.daemon.ingest.buckets,
  activeJobs: api.daemon.compiles.active,
  recentJobs: api.daemon.compiles.list,
  vault: api.daemon.vault.list,
  codeState: api.daemon.control.codeState,
} as const;

/** How many trigger rows the stream keeps (the filter searches these). */
export const TRIGGER_LIMIT = 200;
export const RECENT_JOBS_LIMIT = 20;

export type TriggerEvent = Doc<"trigger_events">;
export type Heartbeat = Doc<"daemon_heartbeat">;
export type Bucket = Doc<"buckets">;
export type CompileJob = Doc<"pending_compiles">;
export type VaultEntry = Doc<"vault_index">;
export type VaultVerdict = VaultEntry["verdict"];

export interface ReplayView {
  position: number;
  total: number;
  speedMs: number;
  paused: boolean;
  lastTickAt?: number;
}

export interface BucketsView {
  threshold: number;
  buckets: Bucket[];
}

export interface CodeStateView {
  sha: string;
  bumps?: number;
  changedAt?: number;
}
