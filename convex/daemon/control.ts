import { v } from "convex/values";
import { internalMutation, query } from "../_generated/server.js";
import type { MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import { adminMutation } from "../lib/adminMutation.js";
import { userError } from "../lib/errors.js";
import { traceOf } from "../lib/traceShape.js";
import type { CheckedTrace } from "../lib/traceRules.js";
import { checkBucketKey, checkInt, checkText, checkTrace, MAX_INJECT } from "../lib/validate.js";
import { MAX_SPEED_MS, MIN_SPEED_MS } from "../lib/pacing.js";
import { bumpedSha, INITIAL_SHA, shaAfterReport } from "../lib/sha.js";
import { readCounter, REPLAY_SOURCE_ROWS, TRIGGER_ROWS } from "../model/counters.js";
import { enqueueJob } from "./compiles.js";
import { ingestTraces, writeEventRows } from "./ingest.js";
import { ensureReplayRow } from "./replay.js";
import { writeTrigger } from "./triggers.js";

/** Documents one reset transaction deletes at most. */
export const RESET_BATCH_DOCS = 4000;
/**
 * And about this many bytes (JSON length of the documents read): far below a Convex mutation's read
 * and write limits even when traces are large (up to 1 MiB each).
 */
const RESET_BATCH_BYTES = 4 * 1024 * 1024;
/**
 * Documents read per query inside a batch: the first read is small, later ones as many as the bytes
 * left allow at the size seen so far (so 1 MiB traces are read a few at a time), at most 200.
 */
const RESET_FIRST_CHUNK = 4;
const RESET_MAX_CHUNK = 200;
/**
 * The scheduled follow-up of an unfinished reset waits this long: the caller (ctl, the console)
 * drives the reset to its end with resetBatch; the follow-up only finishes the work of a caller that
 * died half way, in a process that runs the scheduler (a daemon, or real Convex).
 */
const RESET_FOLLOW_UP_MS = 15_000;
/** Vault entries one CODE_CHANGE re-enqueues (one per call site in practice). */
const REENQUEUE_LIMIT = 500;

export const pause = adminMutation({
  args: {},
  handler: async (ctx) => {
    const row = await ensureReplayRow(ctx);
    if (!row.paused) await ctx.db.patch(row._id, { paused: true });
    return null;
  },
});

export const start = adminMutation({
  args: {},
  handler: async (ctx) => {
    const row = await ensureReplayRow(ctx);
    // lastTickAt 0: resume with one trace at once, not a burst for the paused time.
    if (row.paused) await ctx.db.patch(row._id, { paused: false, lastTickAt: 0 });
    return null;
  },
});

export const speed = adminMutation({
  args: { speedMs: v.number() },
  handler: async (ctx, { speedMs }) => {
    checkInt(speedMs, "speedMs", MIN_SPEED_MS, MAX_SPEED_MS);
    const row = await ensureReplayRow(ctx);
    await ctx.db.patch(row._id, { speedMs });
    return { speedMs };
  },
});

/**
 * `+`/`-` in the console: halves ("faster") or doubles ("slower") the stored pause, clamped to
 * MIN_SPEED_MS..MAX_SPEED_MS, in one transaction. Reading and writing in the same mutation means two
 * quick presses compose (1000 -> 500 -> 250) instead of both reading 1000 and both writing 500.
 */
export const nudgeSpeed = adminMutation({
  args: { direction: v.union(v.literal("faster"), v.literal("slower")) },
  handler: async (ctx, { direction }) => {
    const row = await ensureReplayRow(ctx);
    // From 0 (as fast as possible), slower means 1 ms; faster stops at 1 ms (0 is asked for by name).
    const next = direction === "faster" ? row.speedMs / 2 : Math.max(1, row.speedMs * 2);
    const speedMs = Math.min(MAX_SPEED_MS, Math.max(row.speedMs === 0 ? MIN_SPEED_MS : 1, Math.round(next)));
    if (speedMs !== row.speedMs) await ctx.db.patch(row._id, { speedMs });
    return { speedMs, previousMs: row.speedMs };
  },
});

/**
 * Tables a reset clears, in the order it clears them; vault_index only with `all`. The small tables
 * go first, so the first transaction already leaves no bucket counter or job from before the reset
 * for a replay restarting meanwhile to build on; traces, the big one, go last.
 */
const RESET_ORDER = ["buckets", "pending_compiles", "vault_index", "usage", "shadow_checks", "trigger_events", "proxy_traces"] as const;
type ResetTable = (typeof RESET_ORDER)[number];

/** usage and shadow_checks are optional: cutoffs handed out before those tables existed still finish their reset. */
const cutoffsValidator = v.object({
  proxy_traces: v.number(),
  buckets: v.number(),
  pending_compiles: v.number(),
  trigger_events: v.number(),
  vault_index: v.number(),
  usage: v.optional(v.number()),
  shadow_checks: v.optional(v.number()),
});
type Cutoffs = Partial<Record<ResetTable, number>>;

/**
 * Per table, the _creationTime of its newest document when the reset ran (-1: empty or kept). A
 * batch deletes only up to it, so rows written after the reset (the replay restarting, new
 * ingests) survive. Reading the newest row also puts the range above it in this transaction's read
 * set: a concurrent insert conflicts and retries rather than slipping under the cutoff.
 */
async function resetCutoffs(ctx: MutationCtx, all: boolean): Promise<Required<Cutoffs>> {
  const cutoffs = { proxy_traces: -1, buckets: -1, pending_compiles: -1, trigger_events: -1, vault_index: -1, usage: -1, shadow_checks: -1 } satisfies Cutoffs;
  for (const table of RESET_ORDER) {
    if (table === "vault_index" && !all) continue;
    const newest = await ctx.db.query(table).withIndex("by_creation_time").order("desc").first();
    cutoffs[table] = newest?._creationTime ?? -1;
  }
  return cutoffs;
}

/**
 * Deletes up to RESET_BATCH_DOCS documents (and about RESET_BATCH_BYTES) at or below the cutoffs,
 * in RESET_ORDER. `done` when nothing at or below them is left. Idempotent: a batch run twice, or
 * by two callers at once, deletes each document once.
 */
async function clearUpTo(ctx: MutationCtx, cutoffs: Cutoffs): Promise<{ done: boolean; deleted: number }> {
  let deleted = 0;
  let bytes = 0;
  for (const table of RESET_ORDER) {
    const cutoff = cutoffs[table] ?? -1;
    if (cutoff < 0) continue;
    // Sizes differ by table (a bucket row is tiny, a trace may be 1 MiB): each table is sized on its own.
    let tableDocs = 0;
    let tableBytes = 0;
    for (;;) {
      const room = RESET_BATCH_DOCS - deleted;
      if (room <= 0 || bytes >= RESET_BATCH_BYTES) return { done: false, deleted };
      const fits = tableDocs === 0 ? RESET_FIRST_CHUNK : Math.floor((RESET_BATCH_BYTES - bytes) / Math.max(1, tableBytes / tableDocs));
      const want = Math.max(1, Math.min(RESET_MAX_CHUNK, room, fits));
      const docs = await ctx.db
        .query(table)
        .withIndex("by_creation_time", (q) => q.lte("_creationTime", cutoff))
        .take(want);
      for (const d of docs) {
        const size = approximateSize(d);
        bytes += size;
        tableBytes += size;
        await ctx.db.delete(d._id);
      }
      deleted += docs.length;
      tableDocs += docs.length;
      if (docs.length < want) break; // this table is clear up to its cutoff
    }
  }
  return { done: true, deleted };
}

/** A document's size as its JSON text (int64 values as their digits). */
function approximateSize(doc: unknown): number {
  return JSON.stringify(doc, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)).length;
}

/** About how many rows a reset deletes: the buckets' trace counts and the trigger rows (jobs and the vault are small). */
async function resetEstimate(ctx: MutationCtx): Promise<number> {
  const buckets = await ctx.db.query("buckets").withIndex("by_key").take(1000);
  const triggers = await readCounter(ctx, TRIGGER_ROWS);
  return buckets.reduce((n, b) => n + b.count + 1, 0) + triggers;
}

/**
 * Rewinds the replay and clears traces, buckets, jobs, the trigger stream, counters, the runtime's
 * usage windows and shadow checks (`all`: the vault too, whose entries carry their drift state), in bounded transactions: this one rewinds and deletes a first batch; the caller runs
 * resetBatch with the returned cutoffs until it says done (ctl and the console do, with progress).
 * A follow-up is scheduled too, so a reset whose caller died half way is still finished by whatever
 * runs the scheduler. The seed itself (replay_source) stays, so the replay can run again from 0.
 */
export const reset = adminMutation({
  args: { all: v.optional(v.boolean()) },
  handler: async (ctx, { all }) => {
    const row = await ensureReplayRow(ctx);
    await ctx.db.patch(row._id, { position: 0, cursorSeq: undefined, lastTickAt: 0 });
    const estimate = await resetEstimate(ctx);
    // The seed count describes replay_source, which a reset keeps.
    const counters = await ctx.db.query("counters").withIndex("by_name").take(100);
    for (const c of counters) if (c.name !== REPLAY_SOURCE_ROWS) await ctx.db.delete(c._id);
    const cutoffs = await resetCutoffs(ctx, all ?? false);
    const { done, deleted } = await clearUpTo(ctx, cutoffs);
    if (!done) await ctx.scheduler.runAfter(RESET_FOLLOW_UP_MS, internal.daemon.control.resetContinue, { cutoffs });
    return { done, deleted, estimate: Math.max(estimate, deleted), cutoffs };
  },
});

/** One more bounded batch of a reset (see reset): deletes only rows from before it ran. */
export const resetBatch = adminMutation({
  args: { cutoffs: cutoffsValidator },
  handler: async (ctx, { cutoffs }) => {
    return await clearUpTo(ctx, cutoffs);
  },
});

/** The scheduled follow-up: a batch, then the next one at once until done. */
export const resetContinue = internalMutation({
  args: { cutoffs: cutoffsValidator },
  handler: async (ctx, { cutoffs }) => {
    const result = await clearUpTo(ctx, cutoffs);
    if (!result.done) await ctx.scheduler.runAfter(0, internal.daemon.control.resetContinue, { cutoffs });
    return result;
  },
});

/**
 * Moves to `newSha` when it differs: records it, writes TRIGGER:CODE_CHANGE and re-enqueues every
 * bucket compiled under the old sha (its function may no longer match the agent's code).
 */
async function changeSha(
  ctx: MutationCtx,
  next: (old: string, bumps: number) => string,
  origin: string,
): Promise<{ changed: boolean; oldSha: string; sha: string; requeued: number }> {
  const row = await ctx.db.query("code_state").first();
  const oldSha = row?.sha ?? INITIAL_SHA;
  const bumps = row?.bumps ?? 0;
  const sha = next(oldSha, bumps);
  checkText(sha, "sha");
  if (row === null && origin === "report") {
    // The first report only records where the code is; nothing was compiled under another sha.
    await ctx.db.insert("code_state", { sha, bumps: 0, changedAt: Date.now() });
    return { changed: false, oldSha: sha, sha, requeued: 0 };
  }
  if (sha === oldSha) return { changed: false, oldSha, sha, requeued: 0 };
  const doc = { sha, bumps: origin === "bump" ? bumps + 1 : bumps, changedAt: Date.now() };
  if (row === null) await ctx.db.insert("code_state", doc);
  else await ctx.db.patch(row._id, doc);

  const compiled = await ctx.db
    .query("vault_index")
    .withIndex("by_sha", (q) => q.eq("sha", oldSha))
    .take(REENQUEUE_LIMIT);
  const buckets = [...new Set(compiled.map((e) => e.bucket))];
  let requeued = 0;
  for (const bucket of buckets) {
    const { created } = await enqueueJob(ctx, bucket, sha, "CODE_CHANGE");
    if (created) requeued++;
  }
  await writeTrigger(ctx, {
    kind: "TRIGGER:CODE_CHANGE",
    detail: `sha ${oldSha} -> ${sha} (${origin}): re-enqueued ${requeued} bucket(s)`,
  });
  return { changed: true, oldSha, sha, requeued };
}

export const bumpSha = adminMutation({
  args: {},
  handler: async (ctx) => {
    return await changeSha(ctx, bumpedSha, "bump");
  },
});

/** The worker's code watch reports the agent's content sha (on every change and on its poll). */
export const reportSha = adminMutation({
  args: { sha: v.string() },
  handler: async (ctx, { sha }) => {
    checkText(sha, "sha");
    return await changeSha(ctx, (current) => shaAfterReport(current, sha), "report");
  },
});

export const codeState = query({
  args: {},
  handler: async (ctx) => {
    const row = await ctx.db.query("code_state").first();
    return row ?? { sha: INITIAL_SHA, bumps: 0, changedAt: 0 };
  },
});

/**
 * Adds `n` traces to a bucket by copying its seed traces cyclically (or, with no seed, its recorded
 * traces): the quickest way to push a call site over the VOLUME threshold by hand.
 */
export const inject = adminMutation({
  args: { bucket: v.string(), n: v.number() },
  handler: async (ctx, { bucket, n }) => {
    checkBucketKey(bucket);
    checkInt(n, "n", 1, MAX_INJECT);
    let templates: Array<Omit<CheckedTrace, "ts">> = await ctx.db
      .query("replay_source")
      .withIndex("by_bucket_seq", (q) => q.eq("bucket", bucket))
      .take(n);
    if (templates.length === 0) {
      templates = await ctx.db
        .query("proxy_traces")
        .withIndex("by_bucket_seq", (q) => q.eq("bucket", bucket))
        .order("desc")
        .take(n);
      templates.reverse();
    }
    if (templates.length === 0) {
      throw userError(`unknown bucket ${JSON.stringify(bucket)}: it has no seed or recorded traces to copy`);
    }
    const now = Date.now();
    // Each copy is checked as one trace (the templates may be rows stored before the limits), then
    // all go in one ingest run: what a batch reads once, it reads once.
    const copies = Array.from({ length: n }, (_, i) => ({ ...traceOf(templates[i % templates.length]), bucket, ts: now }));
    for (const copy of copies) checkTrace(copy, "trace");
    const rows = await ingestTraces(ctx, copies, "inject", true);
    await writeEventRows(ctx, rows, "inject");
    return {
      inserted: rows.length,
      firstSeq: rows[0].seq,
      lastSeq: rows[rows.length - 1].seq,
      volumeJobIds: rows.flatMap((r) => (r.volumeJobId ? [r.volumeJobId] : [])),
    };
  },
});
