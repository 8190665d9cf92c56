import { v } from "convex/values";
import type { Infer } from "convex/values";
import type { traceSourceValidator } from "../schema.js";
import { query } from "../_generated/server.js";
import type { MutationCtx, QueryCtx } from "../_generated/server.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { traceOf, traceValidator } from "../lib/traceShape.js";
import { adminMutation } from "../lib/adminMutation.js";
import { userError } from "../lib/errors.js";
import { checkBucketKey, checkInt, checkTrace, checkTraceBatch, compileThreshold } from "../lib/validate.js";
import { checkTraceValue, problemText, STORED_TRACE_REFUSED } from "../lib/traceRules.js";
import type { TraceInput } from "../lib/validate.js";
import { MAX_EVENT_ROWS } from "../lib/events.js";
import { retriesOnGrowth } from "../lib/verdicts.js";
import { retryAt } from "../lib/volume.js";
import { currentSha } from "../model/code.js";
import { TRACE_SEQ } from "../model/counters.js";
import { enqueueJob, liveJob } from "./compiles.js";
import { writeTrigger } from "./triggers.js";

export const MAX_BATCH = 1000;
export const MAX_TRACES_QUERY = 5000;

export type TraceSource = Infer<typeof traceSourceValidator>;

export interface Inserted {
  seq: number;
  bucket: string;
  traceId: Id<"proxy_traces">;
  /** set when this insert fired TRIGGER:VOLUME */
  volumeJobId?: Id<"pending_compiles">;
}

/** The sha compiles are keyed by now: the last one the worker reported (or bumped), else "initial". */
/**
 * The one path into proxy_traces (ingest, replay, inject, runtime): assigns the global seq, bumps the
 * bucket's counters and cost sums and applies the VOLUME rule, all in the caller's transaction. Every trace is
 * checked against the trace rules (convex/lib/traceRules.ts) unless the caller already did (`checked`):
 * a copy of a stored row written before the limits (inject) is refused, not multiplied.
 */
export async function ingestTrace(ctx: MutationCtx, trace: TraceInput, source: TraceSource, checked = false): Promise<Inserted> {
  const [row] = await ingestTraces(ctx, [trace], source, checked);
  return row;
}

/** `ingestTrace` for several traces in order, in one transaction: what a batch reads once, it reads once. */
export async function ingestTraces(ctx: MutationCtx, traces: TraceInput[], source: TraceSource, checked = false): Promise<Inserted[]> {
  if (!checked) traces.forEach((t, i) => checkTrace(t, traces.length === 1 ? "trace" : `traces[${i}]`));
  const run = new TraceIngest(ctx, source);
  const out: Inserted[] = [];
  for (const t of traces) out.push(await run.add(t));
  await run.finish();
  return out;
}

/** A bucket row's running sums (schema: buckets), what the runtime's serving query averages. */
interface TraceSums {
  summedTraces: number;
  tokensInSum: number;
  tokensOutSum: number;
  latencyMsSum: number;
  model?: string;
  /** When the latest call happened (its trace's ts) and the smoothed gap between calls: the call rate. */
  lastCallTs?: number;
  intervalEwmaMs?: number;
}

function sumsOf(row: Doc<"buckets"> | null): TraceSums {
  return {
    summedTraces: row?.summedTraces ?? 0,
    tokensInSum: row?.tokensInSum ?? 0,
    tokensOutSum: row?.tokensOutSum ?? 0,
    latencyMsSum: row?.latencyMsSum ?? 0,
    ...(row?.model === undefined ? {} : { model: row.model }),
    ...(row?.lastCallTs === undefined ? {} : { lastCallTs: row.lastCallTs }),
    ...(row?.intervalEwmaMs === undefined ? {} : { intervalEwmaMs: row.intervalEwmaMs }),
  };
}

/** Weight of the newest gap in the smoothed gap between calls (about the last 10 calls count). */
const RATE_SMOOTHING = 0.1;

function addToSums(sums: TraceSums, trace: TraceInput): void {
  sums.summedTraces += 1;
  sums.tokensInSum += trace.tokensIn;
  sums.tokensOutSum += trace.tokensOut;
  sums.latencyMsSum += trace.latencyMs;
  sums.model = trace.model;
  const ts = trace.ts ?? Date.now();
  if (sums.lastCallTs !== undefined) {
    const gap = Math.max(0, ts - sums.lastCallTs);
    sums.intervalEwmaMs = sums.intervalEwmaMs === undefined ? gap : (1 - RATE_SMOOTHING) * sums.intervalEwmaMs + RATE_SMOOTHING * gap;
  }
  sums.lastCallTs = Math.max(ts, sums.lastCallTs ?? ts);
}

interface BucketState {
  id: Id<"buckets">;
  count: number;
  sinceCompile: number;
  /** Date.now() at the bucket's latest trace in this run */
  lastTraceAt: number;
  /** the values last written to the row (an insert or an earlier finish) */
  written: { count: number; sinceCompile: number } | null;
  /** running sums of the traces' cost (rows from before them start at 0) and the latest model */
  sums: TraceSums;
  /** traces before the bucket's drift (buckets.trainFromCount): a compile does not learn from them */
  trainFromCount: number;
  /** vault_index entry for (bucket, sha), read once per run when first needed */
  vaulted?: Doc<"vault_index"> | null;
  /** whether a pending/running job exists for (bucket, sha) (read once, then known: this run enqueues it) */
  live?: boolean;
}

/**
 * One transaction's ingest state. Every observable effect happens at the same trace as in a
 * trace-at-a-time ingest (seq order, the VOLUME job and trigger row at the trace that crosses the
 * threshold, new bucket and counter rows inserted where the first trace needs them); only the
 * repeated read-modify-write of the seq counter and each bucket row is kept in memory and written
 * once by `finish()`. Nothing else in the transaction reads those rows in between (enqueueJob and
 * writeTrigger touch pending_compiles, trigger_events and the trigger-rows counter only), and the
 * vault entry, live-job state and code sha cannot change inside the run except through it.
 */
export class TraceIngest {
  private readonly threshold = compileThreshold();
  private seqRow: { id: Id<"counters">; value: number; written: number } | null | undefined;
  private readonly buckets = new Map<string, BucketState>();
  private sha: string | undefined;

  constructor(
    private readonly ctx: MutationCtx,
    private readonly source: TraceSource,
  ) {}

  private async nextSeq(): Promise<number> {
    if (this.seqRow === undefined) {
      const row = await this.ctx.db
        .query("counters")
        .withIndex("by_name", (q) => q.eq("name", TRACE_SEQ))
        .unique();
      this.seqRow = row === null ? null : { id: row._id, value: row.value, written: row.value };
    }
    if (this.seqRow === null) {
      const id = await this.ctx.db.insert("counters", { name: TRACE_SEQ, value: 1 });
      this.seqRow = { id, value: 1, written: 1 };
      return 1;
    }
    return ++this.seqRow.value;
  }

  private async bucket(trace: TraceInput, now: number): Promise<BucketState> {
    const key = trace.bucket;
    let b = this.buckets.get(key);
    if (b !== undefined) {
      b.count += 1;
      b.sinceCompile += 1;
      b.lastTraceAt = now;
      addToSums(b.sums, trace);
      return b;
    }
    const row = await this.ctx.db
      .query("buckets")
      .withIndex("by_key", (q) => q.eq("key", key))
      .unique();
    if (row === null) {
      const sums = sumsOf(null);
      addToSums(sums, trace);
      const id = await this.ctx.db.insert("buckets", { key, count: 1, sinceCompile: 1, lastTraceAt: now, ...sums });
      b = { id, count: 1, sinceCompile: 1, lastTraceAt: now, written: { count: 1, sinceCompile: 1 }, sums, trainFromCount: 0 };
    } else {
      const sums = sumsOf(row);
      addToSums(sums, trace);
      b = { id: row._id, count: row.count + 1, sinceCompile: row.sinceCompile + 1, lastTraceAt: now, written: null, sums, trainFromCount: row.trainFromCount ?? 0 };
    }
    this.buckets.set(key, b);
    return b;
  }

  async add(trace: TraceInput): Promise<Inserted> {
    const { ctx, threshold } = this;
    const now = Date.now();
    const seq = await this.nextSeq();
    const traceId = await ctx.db.insert("proxy_traces", { ...traceOf(trace), ts: trace.ts ?? now, source: this.source, seq });
    const b = await this.bucket(trace, now);
    const { sinceCompile, count } = b;

    const inserted: Inserted = { seq, bucket: trace.bucket, traceId };
    // Nothing can fire below half the threshold (see the retry rule below): skip the reads.
    if (sinceCompile < Math.ceil(threshold / 2)) return inserted;

    // VOLUME fires once per (bucket, sha): a compiled vault entry or a live job for it already answers
    // the call site, however many more traces arrive; sinceCompile keeps counting so a new sha fires at
    // once. Any other verdict (waiting, partial, rejected) is not the last word: it is retried each
    // time the bucket's traces have grown by half since that attempt (30 -> 45 -> 68 -> ...), so more
    // evidence gets a fresh verdict while a call site that can never compile (open-ended) costs only a
    // logarithmic number of attempts. A demoted entry (TRIGGER:DRIFT) is not the last word either:
    // its DRIFT recompile is normally live already; should that one fail, growth retries it too.
    // The newest entry of (bucket, sha) is the one that counts (a demoted one may sit beside it).
    const sha = (this.sha ??= await currentSha(ctx));
    if (b.vaulted === undefined) {
      b.vaulted = await ctx.db
        .query("vault_index")
        .withIndex("by_bucket_sha", (q) => q.eq("bucket", trace.bucket).eq("sha", sha))
        .order("desc")
        .first();
    }
    const vaulted = b.vaulted;
    if (vaulted && vaulted.status !== "demoted" && !retriesOnGrowth(vaulted.verdict)) return inserted;
    const retryPoint = vaulted ? retryAt(vaulted.nTraces) : undefined;
    const learnable = count - b.trainFromCount;
    if (retryPoint === undefined ? sinceCompile < threshold : learnable < retryPoint) return inserted;
    b.live ??= (await liveJob(ctx, trace.bucket, sha)) !== null;
    if (b.live) return inserted;

    const { jobId } = await enqueueJob(ctx, trace.bucket, sha, "VOLUME", seq);
    b.live = true;
    b.sinceCompile = 0;
    await writeTrigger(ctx, {
      kind: "TRIGGER:VOLUME",
      bucket: trace.bucket,
      jobId,
      detail:
        vaulted
          ? `retry of a ${vaulted.status === "demoted" ? "demoted" : vaulted.verdict} call site: ${learnable} traces${b.trainFromCount > 0 ? " since its drift" : ""}, up from ${vaulted.nTraces} (sha ${sha})`
          : `${sinceCompile} traces since last compile (threshold ${threshold}, sha ${sha})`,
    });
    inserted.volumeJobId = jobId;
    return inserted;
  }

  /** Writes the seq counter and every touched bucket row once. */
  async finish(): Promise<void> {
    const { ctx } = this;
    const seq = this.seqRow;
    if (seq && seq.value !== seq.written) {
      await ctx.db.patch(seq.id, { value: seq.value });
      seq.written = seq.value;
    }
    for (const b of this.buckets.values()) {
      const w = b.written;
      if (w !== null && w.count === b.count && w.sinceCompile === b.sinceCompile) continue;
      await ctx.db.patch(b.id, { count: b.count, sinceCompile: b.sinceCompile, lastTraceAt: b.lastTraceAt, ...b.sums });
      b.written = { count: b.count, sinceCompile: b.sinceCompile };
    }
  }
}

/**
 * TRIGGER:EVENT rows for a transaction's inserts: one per trace up to MAX_EVENT_ROWS, then one
 * summary row, so a 500-trace tick cannot flood the stream it is meant to show.
 */
export async function writeEventRows(ctx: MutationCtx, inserted: Inserted[], source: TraceSource): Promise<void> {
  for (const row of inserted.slice(0, MAX_EVENT_ROWS)) {
    await writeTrigger(ctx, {
      kind: "TRIGGER:EVENT",
      bucket: row.bucket,
      detail: `${source} trace seq ${row.seq}`,
    });
  }
  const rest = inserted.length - MAX_EVENT_ROWS;
  if (rest > 0) {
    const last = inserted[inserted.length - 1];
    await writeTrigger(ctx, {
      kind: "TRIGGER:EVENT",
      detail: `+${rest} more ${source} traces (up to seq ${last.seq})`,
    });
  }
}

export const ingestInline = adminMutation({
  args: { trace: traceValidator },
  handler: async (ctx, { trace }) => {
    checkTrace(trace);
    const row = await ingestTrace(ctx, trace, "ingest", true);
    await writeEventRows(ctx, [row], "ingest");
    return { seq: row.seq, traceId: row.traceId, volumeJobId: row.volumeJobId ?? null };
  },
});

export const ingestBatch = adminMutation({
  args: { traces: v.array(traceValidator) },
  handler: async (ctx, { traces }) => {
    if (traces.length > MAX_BATCH) {
      throw userError(`traces: at most ${MAX_BATCH} per batch, got ${traces.length}; split the batch`);
    }
    // Validate everything before the first insert, so the message names the first bad trace.
    checkTraceBatch(traces);
    const rows = await ingestTraces(ctx, traces, "ingest", true);
    await writeEventRows(ctx, rows, "ingest");
    return {
      inserted: rows.length,
      firstSeq: rows[0]?.seq ?? null,
      lastSeq: rows[rows.length - 1]?.seq ?? null,
      volumeJobIds: rows.flatMap((r) => (r.volumeJobId ? [r.volumeJobId] : [])),
    };
  },
});

/** Every bucket with its counters, sorted by key, and the threshold they are measured against. */
export const buckets = query({
  args: {},
  handler: async (ctx) => {
    // One row per call site: small, and read in key order through the index.
    const rows = await ctx.db.query("buckets").withIndex("by_key").take(1000);
    return { threshold: compileThreshold(), buckets: rows };
  },
});

/**
 * The newest `limit` traces of a bucket, oldest first: what a compile learns from. A stored trace
 * that breaks the trace rules (written by a version before the limits: a 50 MB line) is refused here,
 * before it reaches a client, with an error that starts with STORED_TRACE_REFUSED and names its seq:
 * the worker fails the job with that reason at once instead of running out of memory on it.
 */
/** A bucket's traces with lo < seq <= hi (either bound absent: open), by seq. */
function bucketTraces(ctx: QueryCtx, bucket: string, lo: number | undefined, hi: number | undefined) {
  return ctx.db.query("proxy_traces").withIndex("by_bucket_seq", (q) => {
    const b = q.eq("bucket", bucket);
    const lower = lo === undefined ? b : b.gt("seq", lo);
    return hi === undefined ? lower : lower.lte("seq", hi);
  });
}

/** Strata a spread sample is drawn from: each is one index range, so a sample costs this many at most. */
const SPREAD_STRATA = 25;

/**
 * `count` rows spread evenly over the bucket's rows with fromSeq < seq <= upto: the seq span is cut
 * into SPREAD_STRATA equal strata and each gives its oldest count/strata rows (stratified by time,
 * so a long history is represented, not only its last days). A sparse stratum gives what it has.
 * Null when the span is empty.
 */
async function spreadOver(ctx: QueryCtx, bucket: string, fromSeq: number | undefined, upto: number, count: number): Promise<Doc<"proxy_traces">[] | null> {
  const inRange = (lo: number | undefined, hi: number | undefined) => bucketTraces(ctx, bucket, lo, hi);
  const oldest = await inRange(fromSeq, upto).order("asc").first();
  if (oldest === null) return null;
  const lo = oldest.seq - 1;
  const strata = Math.min(SPREAD_STRATA, count);
  const per = Math.ceil(count / strata);
  const rows: Doc<"proxy_traces">[] = [];
  for (let i = 0; i < strata; i++) {
    const from = lo + Math.floor(((upto - lo) * i) / strata);
    const to = i === strata - 1 ? upto : lo + Math.floor(((upto - lo) * (i + 1)) / strata);
    if (to <= from) continue;
    rows.push(...(await inRange(from, to).order("asc").take(per)));
  }
  return rows.slice(0, count);
}

export const traces = query({
  // fromSeq (exclusive) and uptoSeq (inclusive) bound the seqs; the newest `limit` within them, or
  // with `spread`, when more are there, the newest half of `limit` and the other half spread over the
  // older ones (see spreadOver).
  args: { bucket: v.string(), limit: v.optional(v.number()), uptoSeq: v.optional(v.number()), fromSeq: v.optional(v.number()), spread: v.optional(v.boolean()) },
  handler: async (ctx, { bucket, limit, uptoSeq, fromSeq, spread }) => {
    checkBucketKey(bucket);
    const n = checkInt(limit ?? 1000, "limit", 1, MAX_TRACES_QUERY);
    let newest = await bucketTraces(ctx, bucket, fromSeq, uptoSeq).order("desc").take(n);
    if (spread === true && newest.length === n && n >= 2) {
      const older = await spreadOver(ctx, bucket, fromSeq, newest[Math.ceil(n / 2) - 1].seq - 1, Math.floor(n / 2));
      if (older !== null) newest = [...newest.slice(0, Math.ceil(n / 2)), ...older.reverse()];
    }
    for (const row of newest) {
      const { problems } = checkTraceValue(row, "stored");
      if (problems.length > 0) {
        throw userError(
          `${STORED_TRACE_REFUSED}: seq ${row.seq} of ${bucket}: ${problemText(problems[0])} (written before these limits; \`ctl reset\` clears the traces)`,
        );
      }
    }
    return newest.reverse();
  },
});
