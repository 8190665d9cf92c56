import type { FunctionReturnType } from "convex/server";
import type { api } from "../../convex/_generated/api.js";
import type { Doc } from "../../convex/_generated/dataModel.js";

/**
 * Document and result types, inferred from the schema's validators (Doc) and from the queries
 * themselves (FunctionReturnType), never restated by hand.
 */
export type TriggerEvent = Doc<"trigger_events">;
export type Heartbeat = Doc<"daemon_heartbeat">;
export type Bucket = Doc<"buckets">;
export type CompileJob = Doc<"pending_compiles">;
export type VaultEntry = Doc<"vault_index">;
export type StoredTrace = Doc<"proxy_traces">;

export type ReplayView = FunctionReturnType<typeof api.daemon.replay.state>;
export type BucketsView = FunctionReturnType<typeof api.daemon.ingest.buckets>;
export type CodeStateView = FunctionReturnType<typeof api.daemon.control.codeState>;
export type ClaimedJobRow = NonNullable<FunctionReturnType<typeof api.daemon.compiles.claim>>;

/** A trace as every reader and writer checks it (convex/lib/traceShape.ts: inferred from its validator). */
export type { CheckedTrace } from "../../convex/lib/traceShape.js";
export type { Selective, Verdict } from "../../convex/lib/verdicts.js";
