import { v } from "convex/values";
import type { Infer } from "convex/values";
import { query } from "../_generated/server.js";
import type { MutationCtx } from "../_generated/server.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { usageFields } from "../schema.js";
import { adminMutation } from "../lib/adminMutation.js";
import { initialDriftState, updateDrift } from "../lib/drift.js";
import type { DriftState } from "../lib/drift.js";
import { userError } from "../lib/errors.js";
import { traceValidator } from "../lib/traceShape.js";
import { checkBucketKey, checkInt, checkNonNegative, checkText, checkTraceBatch, MAX_REPORT_CHECKS, MAX_REPORT_USAGE } from "../lib/validate.js";
import { isUsable } from "../lib/verdicts.js";
import { addUsageCounts } from "../lib/usage.js";
import { readBucketCosts } from "../model/bucketCosts.js";
import { currentSha } from "../model/code.js";
import { readCounter, TRACE_SEQ } from "../model/counters.js";
import { enqueueJob } from "./compiles.js";
import { ingestTraces, MAX_BATCH, writeEventRows } from "./ingest.js";
import { writeTrigger } from "./triggers.js";

/**
 * The backend half of the agent runtime (DESIGN §6). The runtime subscribes to `serving` for the
 * functions it may answer with, and sends what happened in `report` batches: the deferred calls as
 * traces (source "runtime"), its usage counters per window as deltas, and its shadow checks. Each
 * check is folded into its vault entry's drift test (convex/lib/drift.ts); the check that fails it
 * demotes the entry (TRIGGER:DRIFT) and enqueues a recompile of (bucket, current sha), reason DRIFT.
 */

/** Vault entries of one sha `serving` reads at most (one or two per call site). */
const MAX_SERVING_SCAN = 1000;
/** Usage rows the `usage` query returns at most. */
const MAX_USAGE_ROWS = 2000;
/** A counter delta beyond this is a bug in the sender, not traffic. */
const MAX_COUNTER = 1e12;

/** What the runtime adds to one (bucket, window) usage row. */
export const usageDeltaValidator = v.object(usageFields);
export type UsageDelta = Infer<typeof usageDeltaValidator>;

export const shadowCheckValidator = v.object({ bucket: v.string(), entryId: v.id("vault_index"), agree: v.boolean() });
export type ShadowCheckInput = Infer<typeof shadowCheckValidator>;

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Throws a one-line error unless `value` is an integer count from 0 to MAX_COUNTER. */
function checkCount(value: number, field: string): number {
  return checkInt(value, field, 0, MAX_COUNTER);
}

function checkUsageDelta(u: UsageDelta, path: string): void {
  checkBucketKey(u.bucket, `${path}.bucket`);
  checkInt(u.windowStart, `${path}.windowStart`, 0, Number.MAX_SAFE_INTEGER);
  for (const f of ["served", "deferred", "shadowed", "shadowAgree"] as const) checkCount(u[f], `${path}.${f}`);
  for (const f of ["tokensInAvoided", "tokensOutAvoided", "latencyMsAvoided"] as const) checkNonNegative(u[f], `${path}.${f}`);
  // No shadowed <= served here: the model's answer to a shadow check arrives after its served call
  // was counted, often in a later report (the runtime counts both in the served call's window).
  if (u.shadowAgree > u.shadowed) throw userError(`${path}: shadowAgree (${u.shadowAgree}) exceeds shadowed (${u.shadowed})`);
  checkCount(u.checked ?? 0, `${path}.checked`);
  checkCount(u.checkAgree ?? 0, `${path}.checkAgree`);
  // A known answer is compared when the call is served, so these two arrive together.
  if ((u.checkAgree ?? 0) > (u.checked ?? 0)) throw userError(`${path}: checkAgree (${u.checkAgree}) exceeds checked (${u.checked ?? 0})`);
  if ((u.checked ?? 0) > u.served) throw userError(`${path}: checked (${u.checked}) exceeds served (${u.served})`);
  if (u.model !== undefined) checkText(u.model, `${path}.model`);
}

/** Adds the deltas into one row per (bucket, windowStart), deltas for the same window summed first. */
async function addUsage(ctx: MutationCtx, deltas: UsageDelta[]): Promise<void> {
  const merged = new Map<string, UsageDelta>();
  for (const u of deltas) {
    const key = JSON.stringify([u.bucket, u.windowStart]);
    const m = merged.get(key);
    if (m === undefined) merged.set(key, { ...u });
    else {
      addUsageCounts(m, u);
      if (u.model !== undefined) m.model = u.model;
    }
  }
  for (const u of merged.values()) {
    const row = await ctx.db
      .query("usage")
      .withIndex("by_bucket_window", (q) => q.eq("bucket", u.bucket).eq("windowStart", u.windowStart))
      .unique();
    if (row === null) {
      await ctx.db.insert("usage", u);
      continue;
    }
    const { _id, _creationTime, ...sums } = row;
    addUsageCounts(sums, u);
    await ctx.db.replace(_id, u.model === undefined ? sums : { ...sums, model: u.model });
  }
}

/** An entry a batch of checks touches: read once, its drift state folded in memory, written once. */
interface Folding {
  entry: Doc<"vault_index"> | null;
  drift: DriftState;
  changed: boolean;
}

/** Whether the drift test still watches this entry: it exists, is served (usable) and not demoted yet. */
function watched(entry: Doc<"vault_index"> | null): entry is Doc<"vault_index"> {
  return entry !== null && isUsable(entry.verdict) && entry.status !== "demoted";
}

/**
 * Appends each check to shadow_checks and folds it into its entry's drift test; the check that fails
 * the test demotes the entry, writes TRIGGER:DRIFT (detail: the evidence) and enqueues a recompile of
 * (bucket, current sha) with reason DRIFT. Checks of an entry that is gone (reset --all), demoted
 * already or not servable are recorded and change nothing. Returns the entries demoted.
 */
async function applyChecks(ctx: MutationCtx, checks: ShadowCheckInput[], entries: Map<Id<"vault_index">, Folding>, seqAt: number): Promise<Id<"vault_index">[]> {
  const demoted: Id<"vault_index">[] = [];
  const now = Date.now();
  let sha: string | undefined;
  for (const c of checks) {
    await ctx.db.insert("shadow_checks", { bucket: c.bucket, entryId: c.entryId, agree: c.agree, at: now, seqAt });
    const f = entries.get(c.entryId);
    if (f === undefined || !watched(f.entry) || f.drift.demoted) continue;
    const { state, demote, evidence } = updateDrift(f.drift, c.agree);
    f.drift = state;
    f.changed = true;
    if (!demote) continue;
    const entry = f.entry;
    await ctx.db.patch(entry._id, { status: "demoted", demotion: { evidence, at: now }, drift: state });
    f.changed = false;
    demoted.push(entry._id);
    sha ??= await currentSha(ctx);
    // enqueueJob dedupes only on a live job of (bucket, sha): a finished job or an existing vault
    // entry does not stop it. A live job (VOLUME retry, CODE_CHANGE) is reused: its result is a
    // new entry too.
    await trainFromDriftStart(ctx, entry, state.runChecks);
    const { jobId } = await enqueueJob(ctx, entry.bucket, sha, "DRIFT");
    await writeTrigger(ctx, { kind: "TRIGGER:DRIFT", bucket: entry.bucket, jobId, detail: evidence });
  }
  for (const [id, f] of entries) if (f.changed) await ctx.db.patch(id, { drift: f.drift });
  return demoted;
}

/** Bounds the read that counts a bucket's traces since its drift began (a drift is caught within hundreds of checks). */
const MAX_COUNTED_SINCE_DRIFT = 20_000;

/**
 * The recompile learns the new answers, not the old ones: the bucket's compiles from now on read
 * only the traces after the drift began (the first of the `runChecks` checks the drift test counts
 * since its statistic last stood at zero).
 */
async function trainFromDriftStart(ctx: MutationCtx, entry: Doc<"vault_index">, runChecks: number): Promise<void> {
  const run = await ctx.db
    .query("shadow_checks")
    .withIndex("by_entry", (q) => q.eq("entryId", entry._id))
    .order("desc")
    .take(Math.max(1, runChecks));
  const first = run[run.length - 1];
  if (first?.seqAt === undefined) return;
  const bucket = await ctx.db
    .query("buckets")
    .withIndex("by_key", (q) => q.eq("key", entry.bucket))
    .unique();
  if (bucket === null) return;
  const trainFromSeq = Math.max(bucket.trainFromSeq ?? 0, first.seqAt);
  // The growth rule that retries a recompile counts the traces it can learn from, not the bucket's
  // whole history (which would retry at once, after every attempt).
  const after = await ctx.db
    .query("proxy_traces")
    .withIndex("by_bucket_seq", (q) => q.eq("bucket", entry.bucket).gt("seq", trainFromSeq))
    .take(MAX_COUNTED_SINCE_DRIFT);
  await ctx.db.patch(bucket._id, { trainFromSeq, trainFromCount: Math.max(0, bucket.count - after.length) });
}

/**
 * One report of the agent runtime, in one transaction: traces of its deferred calls (the ingest path:
 * same checks, VOLUME rule and TRIGGER:EVENT rows as ingestBatch, source "runtime"), usage deltas
 * added into their (bucket, window) rows, and shadow checks (see applyChecks). Everything is checked
 * before the first write: a bad field refuses the whole report with a one-line reason.
 */
export const report = adminMutation({
  args: {
    traces: v.array(traceValidator),
    usage: v.array(usageDeltaValidator),
    checks: v.array(shadowCheckValidator),
  },
  handler: async (ctx, { traces, usage, checks }) => {
    if (traces.length > MAX_BATCH) throw userError(`traces: at most ${MAX_BATCH} per report, got ${traces.length}; split the report`);
    if (usage.length > MAX_REPORT_USAGE) throw userError(`usage: at most ${MAX_REPORT_USAGE} per report, got ${usage.length}; split the report`);
    if (checks.length > MAX_REPORT_CHECKS) throw userError(`checks: at most ${MAX_REPORT_CHECKS} per report, got ${checks.length}; split the report`);
    checkTraceBatch(traces);
    usage.forEach((u, i) => checkUsageDelta(u, `usage[${i}]`));
    const entries = new Map<Id<"vault_index">, Folding>();
    for (const [i, c] of checks.entries()) {
      checkBucketKey(c.bucket, `checks[${i}].bucket`);
      let f = entries.get(c.entryId);
      if (f === undefined) {
        const entry = await ctx.db.get(c.entryId);
        f = { entry, drift: entry?.drift ?? initialDriftState(), changed: false };
        entries.set(c.entryId, f);
      }
      if (f.entry !== null && f.entry.bucket !== c.bucket) {
        throw userError(`checks[${i}]: vault entry ${c.entryId} belongs to ${f.entry.bucket}, not ${c.bucket}`);
      }
    }

    const seqAt = await readCounter(ctx, TRACE_SEQ);
    const rows = traces.length === 0 ? [] : await ingestTraces(ctx, traces, "runtime", true);
    if (rows.length > 0) await writeEventRows(ctx, rows, "runtime");
    await addUsage(ctx, usage);
    const demoted = await applyChecks(ctx, checks, entries, seqAt);
    return { inserted: rows.length, demoted };
  },
});

/**
 * What the runtime may serve now: for the current sha, per bucket the newest vault entry that is
 * usable (compiled or partial), not demoted and has verified code (codeHash); with the average cost
 * of a trace of each of those buckets (from the running sums ingest keeps), so the runtime can
 * estimate what a served call avoided. A bucket whose sums are still empty (a row from before them)
 * is left out of `buckets`: its averages are unknown, not 0.
 */
export const serving = query({
  args: {},
  handler: async (ctx) => {
    const sha = await currentSha(ctx);
    const rows = await ctx.db
      .query("vault_index")
      .withIndex("by_sha", (q) => q.eq("sha", sha))
      .order("desc")
      .take(MAX_SERVING_SCAN);
    const seen = new Set<string>();
    const entries: Array<{ entryId: Id<"vault_index">; bucket: string; verdict: Doc<"vault_index">["verdict"]; code: string; codeHash: string; family: string }> = [];
    for (const e of rows) {
      if (seen.has(e.bucket)) continue; // newest first: the first servable entry of a bucket wins
      if (!isUsable(e.verdict) || e.status === "demoted" || e.code === "" || e.codeHash === undefined) continue;
      seen.add(e.bucket);
      entries.push({ entryId: e._id, bucket: e.bucket, verdict: e.verdict, code: e.code, codeHash: e.codeHash, family: e.family });
    }
    entries.sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
    const buckets: Array<{ bucket: string; model?: string; avgTokensIn: number; avgTokensOut: number; avgLatencyMs: number }> = [];
    for (const { bucket } of entries) {
      const costs = await readBucketCosts(ctx, bucket);
      if (costs === null) continue;
      buckets.push({
        bucket,
        ...(costs.model === undefined ? {} : { model: costs.model }),
        avgTokensIn: round2(costs.avgTokensIn),
        avgTokensOut: round2(costs.avgTokensOut),
        avgLatencyMs: round2(costs.avgLatencyMs),
      });
    }
    return { sha, entries, buckets };
  },
});

/** Usage rows, newest windows first (one bucket's, or every bucket's), at most `limit` (default 500). */
export const usage = query({
  args: { bucket: v.optional(v.string()), limit: v.optional(v.number()) },
  handler: async (ctx, { bucket, limit }) => {
    const n = checkInt(limit ?? 500, "limit", 1, MAX_USAGE_ROWS);
    if (bucket !== undefined) {
      checkBucketKey(bucket);
      return await ctx.db
        .query("usage")
        .withIndex("by_bucket_window", (q) => q.eq("bucket", bucket))
        .order("desc")
        .take(n);
    }
    return await ctx.db.query("usage").withIndex("by_window").order("desc").take(n);
  },
});

/** A vault entry's shadow checks, newest first, at most `limit` (default 200). */
export const shadowChecks = query({
  args: { entryId: v.id("vault_index"), limit: v.optional(v.number()) },
  handler: async (ctx, { entryId, limit }) => {
    const n = checkInt(limit ?? 200, "limit", 1, 5000);
    return await ctx.db
      .query("shadow_checks")
      .withIndex("by_entry", (q) => q.eq("entryId", entryId))
      .order("desc")
      .take(n);
  },
});
