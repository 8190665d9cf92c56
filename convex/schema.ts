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
  v.literal("TRIGGER:DRIFT"),
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
  /**
   * Which of the bucket's traces the compile learned from, when not all of them: `traces` of the
   * `of` it could learn from (after `sinceSeq`, the drift's start, when set): the newest ones, or,
   * with `spread`, the newest traces - spread and `spread` more spread evenly over the older ones.
   */
  window: v.optional(v.object({ traces: v.number(), of: v.number(), sinceSeq: v.optional(v.number()), spread: v.optional(v.number()) })),
  reasons: v.array(v.string()),
  envelope: v.optional(v.any()),
};

/** Absent on a vault entry = active: entries written before demotion existed are served as before. */
export const vaultStatusValidator = v.union(v.literal("active"), v.literal("demoted"));

/** Why and when the drift test took an entry out of service. */
export const demotionValidator = v.object({ evidence: v.string(), at: v.number() });

/**
 * A vault entry's drift test (convex/lib/drift.ts DriftState, Page's CUSUM over its shadow checks),
 * folded one check at a time by runtime.report. Folding the entry's shadow_checks rows oldest first
 * with driftFromChecks gives the same state (rows written while the entry existed under this code).
 */
export const driftStateValidator = v.object({
  n: v.number(),
  disagree: v.number(),
  cusum: v.number(),
  runChecks: v.number(),
  runDisagree: v.number(),
  demoted: v.boolean(),
});

/** Where a stored trace came from: the seed replay, ctl inject, a client's ingest, or the agent runtime's deferred calls. */
export const traceSourceValidator = v.union(v.literal("replay"), v.literal("inject"), v.literal("ingest"), v.literal("runtime"));

/**
 * One bucket's calls through the agent runtime in one window, as the runtime sums them. The runtime
 * reports deltas; runtime.report adds them into the one usage row of (bucket, windowStart).
 * shadowed is a subset of served, shadowAgree of shadowed. The "avoided" figures are summed over the
 * served calls (what the model would have taken, estimated from the bucket's trace averages).
 */
export const usageFields = {
  bucket: v.string(),
  /** Start of the window, ms since the epoch (the runtime chooses the window length). */
  windowStart: v.number(),
  served: v.number(),
  deferred: v.number(),
  shadowed: v.number(),
  shadowAgree: v.number(),
  /**
   * Served calls checked against an answer known without asking the model (a replayed recording):
   * they count in the agreement like shadow checks, but the call stays a saving. Absent = 0.
   */
  checked: v.optional(v.number()),
  checkAgree: v.optional(v.number()),
  tokensInAvoided: v.number(),
  tokensOutAvoided: v.number(),
  latencyMsAvoided: v.number(),
  /** The model the served calls stood in for, when the runtime knew it (last reported wins). */
  model: v.optional(v.string()),
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
    // The content key is a hash: indexed alone, a file's traces land on random pages of the index
    // (a 100k-trace seed rewrote most of the index at every batch). After `ts`, which a trace file
    // mostly follows, a seed appends to the index and its lookups stay on the same few pages.
    .index("by_ts_key", ["ts", "key"]),

  proxy_traces: defineTable({
    ...traceFields,
    source: traceSourceValidator,
    seq: v.number(), // global insertion counter, strictly increasing
  })
    .index("by_seq", ["seq"])
    .index("by_bucket_seq", ["bucket", "seq"]),

  buckets: defineTable({
    key: v.string(),
    count: v.number(),
    sinceCompile: v.number(),
    lastTraceAt: v.number(),
    // Running sums over the traces inserted since these fields exist (rows from before lack them):
    // what an average trace of the bucket costs, so the runtime can estimate what a served call
    // avoided. summedTraces counts the traces in the sums (count also holds the older ones).
    summedTraces: v.optional(v.number()),
    tokensInSum: v.optional(v.number()),
    tokensOutSum: v.optional(v.number()),
    latencyMsSum: v.optional(v.number()),
    /** The model of the bucket's latest trace. */
    model: v.optional(v.string()),
    /** The latest call's time (its trace's ts) and the smoothed gap between calls: its call rate. */
    lastCallTs: v.optional(v.number()),
    intervalEwmaMs: v.optional(v.number()),
    /**
     * Set when a drift demoted the bucket's entry: traces up to this seq describe answers the model
     * no longer gives, so compiles learn only from the traces after it.
     */
    trainFromSeq: v.optional(v.number()),
    /** How many of the bucket's traces (of `count`) are at or before trainFromSeq: the rest are what a compile learns from. */
    trainFromCount: v.optional(v.number()),
    /**
     * Wall-clock ms of the bucket's finished compile jobs (enqueued to finished), summed as each one
     * finishes, and how many: what compiling the call site cost, kept when old jobs are pruned.
     */
    compileMs: v.optional(v.number()),
    compileJobs: v.optional(v.number()),
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
    // Served by the agent runtime while active (absent = active) and usable (compiled/partial).
    // Demoted by the drift test on its shadow checks: kept for the record, never served again; the
    // recompile writes a new entry for (bucket, sha) beside it.
    status: v.optional(vaultStatusValidator),
    demotion: v.optional(demotionValidator),
    drift: v.optional(driftStateValidator),
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
    // The daemon that drives the replay through the agent runtime, while its lease lasts (the cron
    // replays on its own only when no daemon does).
    driver: v.optional(v.string()),
    driverUntil: v.optional(v.number()),
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

  // One row per shadow check of a served call (append-only): the drift test's evidence.
  shadow_checks: defineTable({
    bucket: v.string(),
    entryId: v.id("vault_index"),
    agree: v.boolean(),
    at: v.number(),
    // The global trace seq before the report that carried this check: where a drift that starts
    // with this check begins in proxy_traces (absent on rows from before it existed).
    seqAt: v.optional(v.number()),
  }).index("by_entry", ["entryId"]),

  // One row per bucket per window: the runtime's served/deferred/shadowed counters and what serving avoided.
  usage: defineTable(usageFields)
    .index("by_bucket_window", ["bucket", "windowStart"])
    .index("by_window", ["windowStart"]), // newest windows first, across buckets

  code_state: defineTable({
    sha: v.string(),
    bumps: v.number(),
    changedAt: v.number(),
  }),

  // Counters that must be exact under concurrency (the global trace seq).
  counters: defineTable({ name: v.string(), value: v.number() }).index("by_name", ["name"]),
});
