import type { FunctionArgs, FunctionReturnType } from "convex/server";
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
/** One bucket's runtime counters in one window (convex/daemon/runtime.ts report adds into it). */
export type UsageRow = Doc<"usage">;
/** One shadow check of a served call (append-only; the drift test's evidence). */
export type ShadowCheckRow = Doc<"shadow_checks">;

export type ReplayView = FunctionReturnType<typeof api.daemon.replay.state>;
export type BucketsView = FunctionReturnType<typeof api.daemon.ingest.buckets>;
export type CodeStateView = FunctionReturnType<typeof api.daemon.control.codeState>;
export type ClaimedJobRow = NonNullable<FunctionReturnType<typeof api.daemon.compiles.claim>>;
/** What the agent runtime may serve now (runtime.serving): current sha, servable entries, per-bucket trace averages. */
export type ServingView = FunctionReturnType<typeof api.daemon.runtime.serving>;
export type ServingEntry = ServingView["entries"][number];
export type ServingBucketCosts = ServingView["buckets"][number];
/** What runtime.report takes and answers. */
export type RuntimeReportArgs = FunctionArgs<typeof api.daemon.runtime.report>;
export type RuntimeReportResult = FunctionReturnType<typeof api.daemon.runtime.report>;
export type UsageDeltaArg = RuntimeReportArgs["usage"][number];
export type ShadowCheckArg = RuntimeReportArgs["checks"][number];

/** A trace as every reader and writer checks it (convex/lib/traceShape.ts: inferred from its validator). */
export type { CheckedTrace } from "../../convex/lib/traceShape.js";
export type { Selective, Verdict } from "../../convex/lib/verdicts.js";
/** A vault entry's drift test state (Page's CUSUM over its shadow checks). */
export type { DriftState } from "../../convex/lib/drift.js";
