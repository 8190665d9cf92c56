import { v } from "convex/values";
import { internalMutation, query } from "../_generated/server.js";
import type { MutationCtx } from "../_generated/server.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { adminMutation } from "../lib/adminMutation.js";
import { userError } from "../lib/errors.js";
import { checkBucketKey, checkInt, checkText } from "../lib/validate.js";
import { jobStatusFor, retriesOnGrowth } from "../lib/verdicts.js";
import type { Verdict } from "../lib/verdicts.js";
import { retryAt } from "../lib/volume.js";
import { readBucketCosts } from "../model/bucketCosts.js";
import { currentSha } from "../model/code.js";
import { writeTrigger } from "./triggers.js";
import { vaultEntryValidator, writeVaultEntry } from "./vault.js";
import type { VaultEntryInput } from "./vault.js";

export const DEFAULT_MAX_ATTEMPTS = 3;
/** Leases are renewed while working; one longer than this means a dead worker holds the job too long. */
export const MAX_LEASE_MS = 10 * 60_000;
/** Expired leases one reap handles: bounded transaction, the cron comes back every second. */
const REAP_BATCH = 100;
/** How far back from the newest trace a retry looks for its cut-off point (bounds the reads). */
const MAX_RETRY_LOOKBACK = 1000;
/** Finished jobs kept by the prune cron (the newest), and how many one prune deletes at most. */
export const KEEP_FINISHED_JOBS = 500;
const PRUNE_JOBS = 200;

/**
 * Enqueues a job for (bucket, sha) unless one is already pending or running: the worker compiles
 * each (bucket, sha) once however many triggers ask for it.
 */
export async function enqueueJob(
  ctx: MutationCtx,
  bucket: string,
  sha: string,
  reason: string,
  uptoSeq?: number,
): Promise<{ jobId: Id<"pending_compiles">; created: boolean }> {
  const live = await liveJob(ctx, bucket, sha);
  if (live !== null) return { jobId: live._id, created: false };
  const jobId = await ctx.db.insert("pending_compiles", {
    bucket,
    sha,
    reason,
    ...(uptoSeq === undefined ? {} : { uptoSeq }),
    status: "pending",
    attempts: 0,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    enqueuedAt: Date.now(),
  });
  return { jobId, created: true };
}

/** The pending or running job of (bucket, sha), if any. Two point reads, however many old jobs exist. */
export async function liveJob(ctx: MutationCtx, bucket: string, sha: string): Promise<Doc<"pending_compiles"> | null> {
  for (const status of ["running", "pending"] as const) {
    const job = await ctx.db
      .query("pending_compiles")
      .withIndex("by_bucket_sha_status", (q) => q.eq("bucket", bucket).eq("sha", sha).eq("status", status))
      .first();
    if (job !== null) return job;
  }
  return null;
}

/**
 * Fencing: only the holder of the current claim may move a running job. A worker whose lease
 * expired and was reaped (or re-claimed by another) gets a clear refusal instead of clobbering.
 */
async function requireClaim(
  ctx: MutationCtx,
  jobId: Id<"pending_compiles">,
  claimToken: string,
): Promise<Doc<"pending_compiles">> {
  const job = await ctx.db.get(jobId);
  if (job === null) throw userError(`job ${jobId} does not exist`);
  if (job.status !== "running") {
    throw userError(`job ${jobId} is ${job.status}, not running: its lease was lost or it already finished`);
  }
  if (job.claimToken !== claimToken) {
    throw userError(`stale claim on job ${jobId}: another claim holds it now`);
  }
  return job;
}

/** Expired running leases go back to pending, or to failed once maxAttempts is used up. */
export async function reapExpired(ctx: MutationCtx, now: number): Promise<number> {
  const expired = await ctx.db
    .query("pending_compiles")
    .withIndex("by_status_leaseUntil", (q) => q.eq("status", "running").lt("leaseUntil", now))
    .take(REAP_BATCH);
  for (const job of expired) {
    const error = `lease of ${job.leaseOwner ?? "unknown owner"} expired (attempt ${job.attempts}/${job.maxAttempts})`;
    const exhausted = job.attempts >= job.maxAttempts;
    await ctx.db.patch(job._id, {
      status: exhausted ? "failed" : "pending",
      error,
      leaseOwner: undefined,
      leaseUntil: undefined,
      claimToken: undefined,
      ...(exhausted ? { finishedAt: now } : {}),
    });
    if (exhausted) await addCompileTime(ctx, job, now);
    await writeTrigger(ctx, {
      kind: "STEP",
      bucket: job.bucket,
      jobId: job._id,
      detail: exhausted ? `${error}: failed` : `${error}: back to pending`,
    });
  }
  return expired.length;
}

function newClaimToken(): string {
  // Unguessable enough to fence honest workers; the admin token is what keeps others out.
  return `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

function leaseArg(leaseMs: number): number {
  return checkInt(leaseMs, "leaseMs", 1, MAX_LEASE_MS);
}

export const enqueue = adminMutation({
  // reason is free text (VOLUME | CODE_CHANGE | MANUAL by convention) so new triggers need no schema change
  args: { bucket: v.string(), sha: v.string(), reason: v.string() },
  handler: async (ctx, { bucket, sha, reason }) => {
    checkBucketKey(bucket);
    checkText(sha, "sha");
    checkText(reason, "reason", 40);
    return await enqueueJob(ctx, bucket, sha, reason);
  },
});

export const claim = adminMutation({
  // prefer: pending jobs in the order the worker ranks them (expected saving, then age); the first
  // still pending is claimed, else the oldest pending job.
  args: { owner: v.string(), leaseMs: v.number(), prefer: v.optional(v.array(v.id("pending_compiles"))) },
  handler: async (ctx, { owner, leaseMs, prefer }) => {
    checkText(owner, "owner");
    const lease = leaseArg(leaseMs);
    if (prefer !== undefined && prefer.length > MAX_QUEUE) throw userError(`prefer: at most ${MAX_QUEUE} job ids, got ${prefer.length}`);
    let job: Doc<"pending_compiles"> | null = null;
    for (const id of prefer ?? []) {
      const candidate = await ctx.db.get(id);
      if (candidate?.status === "pending") {
        job = candidate;
        break;
      }
    }
    job ??= await ctx.db
      .query("pending_compiles")
      .withIndex("by_status", (q) => q.eq("status", "pending"))
      .first();
    if (job === null) return null;
    const claimToken = newClaimToken();
    const attempts = job.attempts + 1;
    await ctx.db.patch(job._id, {
      status: "running",
      leaseOwner: owner,
      leaseUntil: Date.now() + lease,
      claimToken,
      attempts,
      stage: "claimed",
      progress: undefined,
    });
    await writeTrigger(ctx, {
      kind: "STEP",
      bucket: job.bucket,
      jobId: job._id,
      detail: `claimed by ${owner} (attempt ${attempts}/${job.maxAttempts}, ${job.reason})`,
    });
    // A drift moved where the bucket's compiles learn from (runtime.ts trainFromDriftStart); the
    // counts let the vault entry say which share of the traces it learned from.
    const bucketRow = await ctx.db
      .query("buckets")
      .withIndex("by_key", (q) => q.eq("key", job.bucket))
      .unique();
    return {
      jobId: job._id,
      bucket: job.bucket,
      sha: job.sha,
      reason: job.reason,
      claimToken,
      attempts,
      uptoSeq: job.uptoSeq,
      trainFromSeq: bucketRow?.trainFromSeq,
      bucketCount: bucketRow?.count,
      trainFromCount: bucketRow?.trainFromCount,
    };
  },
});

export const renew = adminMutation({
  args: { jobId: v.id("pending_compiles"), claimToken: v.string(), leaseMs: v.number() },
  handler: async (ctx, { jobId, claimToken, leaseMs }) => {
    const lease = leaseArg(leaseMs);
    await requireClaim(ctx, jobId, claimToken);
    const leaseUntil = Date.now() + lease;
    await ctx.db.patch(jobId, { leaseUntil });
    return { leaseUntil };
  },
});

export const setStage = adminMutation({
  args: {
    jobId: v.id("pending_compiles"),
    claimToken: v.string(),
    stage: v.string(),
    progress: v.optional(v.number()),
  },
  handler: async (ctx, { jobId, claimToken, stage, progress }) => {
    checkText(stage, "stage", 100);
    if (progress !== undefined && !(progress >= 0 && progress <= 1)) {
      throw userError(`progress must be a number from 0 to 1, got ${JSON.stringify(progress)}`);
    }
    const job = await requireClaim(ctx, jobId, claimToken);
    await ctx.db.patch(jobId, { stage, progress });
    // Progress ticks (stage 2 n/1000) would flood the stream; only transitions are rows.
    if (job.stage !== stage) {
      await writeTrigger(ctx, { kind: "STEP", bucket: job.bucket, jobId, detail: stage });
    }
    return null;
  },
});

export const complete = adminMutation({
  args: {
    jobId: v.id("pending_compiles"),
    claimToken: v.string(),
    entry: vaultEntryValidator,
  },
  handler: async (ctx, { jobId, claimToken, entry }) => {
    const job = await requireClaim(ctx, jobId, claimToken);
    // Vault write and job transition commit together: no entry without a finished job, or vice versa.
    const vaultId = await writeVaultEntry(ctx, { bucket: job.bucket, sha: job.sha, jobId }, entry);
    const finishedAt = Date.now();
    await ctx.db.patch(jobId, {
      status: jobStatusFor(entry.verdict),
      stage: "vault",
      progress: undefined,
      error: undefined,
      leaseOwner: undefined,
      leaseUntil: undefined,
      claimToken: undefined,
      finishedAt,
    });
    await addCompileTime(ctx, job, finishedAt);
    await writeTrigger(ctx, {
      kind: "STEP",
      bucket: job.bucket,
      jobId,
      detail: vaultDetail(entry),
    });
    if (retriesOnGrowth(entry.verdict)) await retryIfGrown(ctx, job, entry.verdict, entry.nTraces);
    return { vaultId };
  },
});

/** "vault: partial (lookup, coverage 0.62, selective 0.968 ≥ 0.890)": what the stream says a compile ended with. */
export function vaultDetail(entry: VaultEntryInput): string {
  const parts = [entry.family];
  if (entry.coverage !== undefined) parts.push(`coverage ${entry.coverage.toFixed(2)}`);
  const sel = entry.selective;
  parts.push(sel ? `selective ${sel.agreement.toFixed(3)} ≥ ${sel.lowerBound.toFixed(3)}` : `oracle ${entry.scores.oracle.toFixed(3)}`);
  return `vault: ${entry.verdict} (${parts.join(", ")})`;
}

/**
 * The retry rule for call sites that did not compile normally fires on trace arrival; traces that
 * arrived while this job compiled (a burst, a fast replay) would otherwise never get their retry.
 */
async function retryIfGrown(ctx: MutationCtx, job: Doc<"pending_compiles">, verdict: Verdict, nTraces: number): Promise<void> {
  if (job.sha !== (await currentSha(ctx))) return; // a newer sha has its own triggers
  const bucket = await ctx.db
    .query("buckets")
    .withIndex("by_key", (q) => q.eq("key", job.bucket))
    .unique();
  const retryPoint = retryAt(nTraces);
  if (bucket === null) return;
  // After a drift, only the traces since it began are learned from, so only they count.
  const learnable = bucket.count - (bucket.trainFromCount ?? 0);
  if (learnable < retryPoint) return;
  // Learn from exactly the traces up to the retryPoint-th, as a retry fired on arrival would: the
  // verdict then does not depend on how fast traces came in. Counted from the newest end, bounded.
  const pastRetryPoint = Math.min(learnable - retryPoint, MAX_RETRY_LOOKBACK);
  const newestFirst = await ctx.db
    .query("proxy_traces")
    .withIndex("by_bucket_seq", (q) => q.eq("bucket", job.bucket))
    .order("desc")
    .take(pastRetryPoint + 1);
  const uptoSeq = newestFirst.at(-1)?.seq;
  const { jobId, created } = await enqueueJob(ctx, job.bucket, job.sha, "VOLUME", uptoSeq);
  if (!created) return;
  await ctx.db.patch(bucket._id, { sinceCompile: 0 });
  await writeTrigger(ctx, {
    kind: "TRIGGER:VOLUME",
    bucket: job.bucket,
    jobId,
    detail: `retry of a ${verdict} call site: ${learnable - pastRetryPoint} traces${bucket.trainFromCount ? " since its drift" : ""}, up from ${nTraces} (the bucket reached ${learnable} while it compiled; sha ${job.sha})`,
  });
}

export const fail = adminMutation({
  // final: another attempt cannot change the outcome (a stored trace breaks the trace limits): fail now.
  args: { jobId: v.id("pending_compiles"), claimToken: v.string(), error: v.string(), final: v.optional(v.boolean()) },
  handler: async (ctx, { jobId, claimToken, error, final }) => {
    const job = await requireClaim(ctx, jobId, claimToken);
    const exhausted = final === true || job.attempts >= job.maxAttempts;
    const now = Date.now();
    const line = error.split("\n")[0].slice(0, 2000);
    await ctx.db.patch(jobId, {
      status: exhausted ? "failed" : "pending",
      error: line,
      leaseOwner: undefined,
      leaseUntil: undefined,
      claimToken: undefined,
      ...(exhausted ? { finishedAt: now } : {}),
    });
    if (exhausted) await addCompileTime(ctx, job, now);
    await writeTrigger(ctx, {
      kind: "STEP",
      bucket: job.bucket,
      jobId,
      detail: `attempt ${job.attempts}/${job.maxAttempts} failed: ${line}${exhausted ? " (giving up)" : " (will retry)"}`,
    });
    return { status: exhausted ? ("failed" as const) : ("pending" as const) };
  },
});

/** Graceful shutdown: hand the job back without spending an attempt. */
export const release = adminMutation({
  args: { jobId: v.id("pending_compiles"), claimToken: v.string() },
  handler: async (ctx, { jobId, claimToken }) => {
    const job = await requireClaim(ctx, jobId, claimToken);
    await ctx.db.patch(jobId, {
      status: "pending",
      attempts: Math.max(0, job.attempts - 1),
      leaseOwner: undefined,
      leaseUntil: undefined,
      claimToken: undefined,
      stage: undefined,
      progress: undefined,
    });
    await writeTrigger(ctx, { kind: "STEP", bucket: job.bucket, jobId, detail: `released by ${job.leaseOwner ?? "worker"}` });
    return null;
  },
});

/** Cron `reapLeases`: expired leases back to pending (or failed after maxAttempts). */
export const reap = internalMutation({
  args: {},
  handler: async (ctx) => ({ reaped: await reapExpired(ctx, Date.now()) }),
});

/** Adds a finished job's wall-clock time to its bucket's compile cost. */
async function addCompileTime(ctx: MutationCtx, job: Doc<"pending_compiles">, finishedAt: number): Promise<void> {
  const bucket = await ctx.db
    .query("buckets")
    .withIndex("by_key", (q) => q.eq("key", job.bucket))
    .unique();
  if (bucket === null) return;
  await ctx.db.patch(bucket._id, {
    compileMs: (bucket.compileMs ?? 0) + Math.max(0, finishedAt - job.enqueuedAt),
    compileJobs: (bucket.compileJobs ?? 0) + 1,
  });
}

/**
 * Deletes finished jobs (done, rejected, failed) beyond the newest `keep` jobs, at most PRUNE_JOBS
 * per call: the job history is a view of recent work, and each bucket keeps its compile time
 * (buckets.compileMs), so an always-on daemon's table stays bounded. Live jobs are never touched.
 */
export const prune = internalMutation({
  args: { keep: v.optional(v.number()) },
  handler: async (ctx, { keep }) => {
    const k = checkInt(keep ?? KEEP_FINISHED_JOBS, "keep", 0, 100_000);
    const newest = await ctx.db.query("pending_compiles").withIndex("by_creation_time").order("desc").take(k + PRUNE_JOBS);
    let deleted = 0;
    for (const job of newest.slice(k)) {
      if (job.status === "pending" || job.status === "running") continue;
      await ctx.db.delete(job._id);
      deleted++;
    }
    return { deleted };
  },
});

/** Newest jobs first. */
export const list = query({
  args: { limit: v.optional(v.number()) },
  handler: async (ctx, { limit }) => {
    const n = checkInt(limit ?? 50, "limit", 1, 500);
    return await ctx.db.query("pending_compiles").withIndex("by_creation_time").order("desc").take(n);
  },
});

/** What the worker subscribes to: a change here wakes it to claim. Oldest first. */
export const pending = query({
  args: {},
  handler: async (ctx) => {
    const jobs = await ctx.db
      .query("pending_compiles")
      .withIndex("by_status", (q) => q.eq("status", "pending"))
      .take(200);
    return jobs.map((j) => ({ jobId: j._id, bucket: j.bucket, sha: j.sha, reason: j.reason }));
  },
});

const MAX_QUEUE = 200;

/**
 * The pending jobs (oldest first) with what ranking them by expected saving needs: each bucket's call
 * rate (from the smoothed gap between its calls, kept by the ingest path) and what a call costs (its
 * trace averages). Prices are the worker's to apply (src/contract/queueOrder.ts), not Convex's.
 */
export const queue = query({
  args: {},
  handler: async (ctx) => {
    const jobs = await ctx.db
      .query("pending_compiles")
      .withIndex("by_status", (q) => q.eq("status", "pending"))
      .take(MAX_QUEUE);
    const demand = new Map<string, { callsPerMinute: number; avgTokensIn: number; avgTokensOut: number; model?: string }>();
    for (const bucket of new Set(jobs.map((j) => j.bucket))) {
      const costs = await readBucketCosts(ctx, bucket);
      demand.set(bucket, {
        callsPerMinute: costs?.callsPerMinute ?? 0,
        avgTokensIn: costs?.avgTokensIn ?? 0,
        avgTokensOut: costs?.avgTokensOut ?? 0,
        ...(costs?.model === undefined ? {} : { model: costs.model }),
      });
    }
    return jobs.map((j) => ({ jobId: j._id, bucket: j.bucket, reason: j.reason, enqueuedAt: j.enqueuedAt, ...demand.get(j.bucket)! }));
  },
});

export const active = query({
  args: {},
  handler: async (ctx) => {
    return await ctx.db
      .query("pending_compiles")
      .withIndex("by_status", (q) => q.eq("status", "running"))
      .take(100);
  },
});
