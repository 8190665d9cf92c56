import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { traceFields } from "./lib/traceShape.js"; // one recorded LLM call


export const jobStatus = v.union(
  v.literal("pending"),
  v.literal("running"),
  v.literal("done"),
  v.literal("rejected"),
  v.literal("failed"),
);

export const triggerKind = v.union(
  v.literal("BOOT"),
  v.literal("STEP"),
  v.literal("TRIGGER:SCHEDULE"),
  v.literal("TRIGGER:EVENT"),
  v.literal("TRIGGER:VOLUME"),
  v.literal("TRIGGER:CODE_CHANGE"),
  v.literal("TRIGGER:RECOVERY"),
);

/**
 * compiled: answers every input. partial: answers the inputs it has evidence for, returns undefined
 * on the rest (the caller asks the model). waiting: looks right, too little evidence yet. rejected.
 * Mirrors the compiler's `Verdict` (convex/ imports nothing outside convex/).
 */
export const verdictValidator = v.union(v.literal("compiled"), v.literal("partial"), v.literal("waiting"), v.literal("rejected"));

export const scoresValidator = v.object({
  schema: v.number(),
  det: v.number(),
  /** Selective agreement (on the calls the function answered), under its old name. */
  oracle: v.number(),
  // Optional: entries written before robustness was scored must still load.
  robustness: v.optional(v.number()),
});

/** Agreement on the calls the function answered, with its Wilson 95 % interval. */
export const selectiveValidator = v.object({
  agreement: v.number(),
  lowerBound: v.number(),
  upperBound: v.optional(v.number()),
});

/**
 * What a compile produced: the vault entry's fields the pipeline computes (compiles.complete's argument).
 * The figures added with the four verdicts are optional so state files written before them still load.
 */
export const vaultEntryFields = {
  verdict: verdictValidator,
  scores: scoresValidator,
  /** Share of forward-evaluated calls the function answered (did not return undefined on). */
  coverage: v.optional(v.number()),
  selective: v.optional(selectiveValidator),
  /** Same as selective.lowerBound; kept for entries and readers from before it. */
  oracleLowerBound: v.optional(v.number()),
  /** Agreement of always answering the most common answer, on the same calls. */
  baseline: v.optional(v.number()),
  family: v.string(),
  code: v.string(),
  /** sha256 (hex) of `code`, recorded when the verified entry is written: export loads only matching code. */
  codeHash: v.optional(v.string()),
  nTraces: v.number(),
  nTrain: v.optional(v.number()),
  nHoldout: v.optional(v.number()),
  reasons: v.array(v.string()),
  envelope: v.optional(v.any()),
};

export default defineSchema({
  // The seed traces in replay order; replay_state.position indexes into seq.
  replay_source: defineTable({
    seq: v.number(),
    ...traceFields,
    // Content key of a trace loaded from a file: loading a file again (or another file) adds only
    // the traces not already there, whatever line they sit on.
    key: v.optional(v.string()),
  })
    .index("by_seq", ["seq"])
    .index("by_bucket_seq", ["bucket", "seq"]) // inject copies one bucket's seeds
    .index("by_key", ["key"]),

  proxy_traces: defineTable({
    ...traceFields,
    source: v.union(v.literal("replay"), v.literal("inject"), v.literal("ingest")),
    seq: v.number(), // global insertion counter, strictly increasing
  })
    .index("by_seq", ["seq"])
    .index("by_bucket_seq", ["bucket", "seq"]),

  buckets: defineTable({
    key: v.string(),
    count: v.number(),
    sinceCompile: v.number(),
    lastTraceAt: v.number(),
  }).index("by_key", ["key"]),

  pending_compiles: defineTable({
    bucket: v.string(),
    sha: v.string(),
    reason: v.string(), // VOLUME | CODE_CHANGE | MANUAL
    // VOLUME jobs learn from the traces up to the one that fired them, so a verdict is reproducible
    // whatever arrives while the job waits; absent: the newest traces at run time.
    uptoSeq: v.optional(v.number()),
    status: jobStatus,
    attempts: v.number(),
    maxAttempts: v.number(),
    leaseOwner: v.optional(v.string()),
    leaseUntil: v.optional(v.number()),
    claimToken: v.optional(v.string()),
    stage: v.optional(v.string()),
    progress: v.optional(v.number()), // 0..1 within the stage (stage 2: n/1000)
    error: v.optional(v.string()),
    enqueuedAt: v.number(),
    finishedAt: v.optional(v.number()),
  })
    .index("by_status", ["status"])
    .index("by_status_leaseUntil", ["status", "leaseUntil"])
    .index("by_bucket_sha", ["bucket", "sha"])
    // "is there a live job for (bucket, sha)": asked on every trace past the threshold
    .index("by_bucket_sha_status", ["bucket", "sha", "status"]),

  vault_index: defineTable({
    bucket: v.string(),
    sha: v.string(),
    ...vaultEntryFields,
    jobId: v.optional(v.id("pending_compiles")),
    writtenAt: v.number(),
    publishedAt: v.optional(v.number()), // set once the Nia sink accepted it
  })
    .index("by_bucket_sha", ["bucket", "sha"])
    .index("by_bucket", ["bucket"])
    .index("by_sha", ["sha"]) // CODE_CHANGE re-enqueues everything compiled under the old sha
    .index("by_publishedAt", ["publishedAt"]),

  replay_state: defineTable({
    position: v.number(),
    total: v.number(),
    speedMs: v.number(),
    paused: v.boolean(),
    lastTickAt: v.number(), // 0 = never ticked since reset/start: the next tick replays one at once
    // seq of the last replayed seed: seqs need not be contiguous, so position alone cannot find the next
    cursorSeq: v.optional(v.number()),
  }),

  daemon_heartbeat: defineTable({
    daemonId: v.string(),
    pid: v.number(),
    host: v.string(),
    version: v.string(),
    startedAt: v.number(),
    lastBeatAt: v.number(),
    status: v.union(v.literal("running"), v.literal("paused"), v.literal("stopping"), v.literal("stopped")),
    currentJob: v.optional(v.string()),
    backend: v.string(),
    compute: v.string(),
  })
    .index("by_daemonId", ["daemonId"])
    .index("by_lastBeatAt", ["lastBeatAt"]),

  trigger_events: defineTable({
    kind: triggerKind,
    bucket: v.optional(v.string()),
    jobId: v.optional(v.string()),
    detail: v.string(),
    at: v.number(),
  })
    .index("by_at", ["at"])
    .index("by_kind_at", ["kind", "at"]),

  code_state: defineTable({
    sha: v.string(),
    bumps: v.number(),
    changedAt: v.number(),
  }),

  // Counters that must be exact under concurrency (the global trace seq).
  counters: defineTable({ name: v.string(), value: v.number() }).index("by_name", ["name"]),
});
