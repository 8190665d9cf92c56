import { v } from "convex/values";
import { internalMutation, query } from "../_generated/server.js";
import type { MutationCtx, QueryCtx } from "../_generated/server.js";
import type { Doc } from "../_generated/dataModel.js";
import { seedTraceValidator, traceOf, traceValidator } from "../lib/traceShape.js";
import { adminMutation } from "../lib/adminMutation.js";
import { userError } from "../lib/errors.js";
import { checkInt, checkText, checkTrace, checkTraceBatch, MAX_BATCH_BYTES } from "../lib/validate.js";
import { checkTraceValue, problemText } from "../lib/traceRules.js";
import { DEFAULT_SPEED_MS, replayPlan } from "../lib/pacing.js";
import { seqRange } from "../lib/events.js";
import { addToCounter, readCounter, REPLAY_SOURCE_ROWS } from "../model/counters.js";
import { ingestTraces, writeEventRows } from "./ingest.js";
import { writeTrigger } from "./triggers.js";

export const MAX_SEED_BATCH = 500;


/** The replay_state row, or null before the first control action / seed load. */
export async function replayRow(ctx: QueryCtx): Promise<Doc<"replay_state"> | null> {
  return await ctx.db.query("replay_state").first();
}

/** The replay_state row, created with defaults when missing. */
export async function ensureReplayRow(ctx: MutationCtx): Promise<Doc<"replay_state">> {
  const row = await replayRow(ctx);
  if (row !== null) return row;
  const fresh = {
    position: 0,
    total: await readCounter(ctx, REPLAY_SOURCE_ROWS),
    speedMs: DEFAULT_SPEED_MS,
    paused: false,
    lastTickAt: 0,
  };
  const id = await ctx.db.insert("replay_state", fresh);
  return (await ctx.db.get(id))!;
}

/**
 * The cron's body. Position, cursor and the trace inserts commit in one transaction: a crash or a
 * retried tick can neither skip nor repeat a seed trace.
 */
export const tick = internalMutation({
  args: {},
  handler: async (ctx) => {
    const now = Date.now();
    const row = await replayRow(ctx);
    // A daemon drives the replay through the agent runtime (take/advance below): leave it to it.
    if (row?.driver !== undefined && (row.driverUntil ?? 0) > now) return { replayed: 0 };
    return { replayed: await replayDue(ctx, now) };
  },
});

const MAX_DRIVER_LEASE_MS = 60_000;

/**
 * The daemon's half of the replay: the seeds due now (by the same pacing as the cron), for the
 * driver that holds the replay lease. Nothing moves until `advance` commits them: a driver that dies
 * with seeds in hand loses nothing, and the next one takes the same seeds.
 */
export const take = adminMutation({
  args: { owner: v.string(), leaseMs: v.number() },
  handler: async (ctx, { owner, leaseMs }) => {
    checkText(owner, "owner");
    const lease = checkInt(leaseMs, "leaseMs", 1, MAX_DRIVER_LEASE_MS);
    const now = Date.now();
    const row = await ensureReplayRow(ctx);
    if (row.driver !== undefined && row.driver !== owner && (row.driverUntil ?? 0) > now) return noSeeds(false, null, (row.driverUntil ?? now) - now);
    const total = await readCounter(ctx, REPLAY_SOURCE_ROWS);
    const remaining = total - row.position;
    const idle = row.paused || remaining <= 0;
    const plan = idle ? { n: 0, nextLastTickAt: row.lastTickAt } : replayPlan(now, row.lastTickAt, row.speedMs, remaining);
    // Paused or finished: nothing will be due until someone changes the replay (null: poll at leisure).
    const waitMs = idle ? null : Math.max(0, row.lastTickAt + row.speedMs - now);
    // An idle driver polls often: renewing its lease on every poll would be a write (and a wake-up of
    // every subscriber to the replay state) ten times a second. Renew once half of it is used.
    const renew = row.driver !== owner || (row.driverUntil ?? 0) - now < lease / 2;
    if (renew || plan.n > 0) {
      await ctx.db.patch(row._id, { driver: owner, driverUntil: now + lease, ...(plan.n > 0 ? { lastTickAt: plan.nextLastTickAt } : {}) });
    }
    if (plan.n === 0) return noSeeds(true, row.cursorSeq ?? null, waitMs);
    const seeds = await seedsAfterCursor(ctx, row, plan.n, total);
    if (seeds.length === 0) return noSeeds(true, row.cursorSeq ?? null, waitMs);
    // The batch spans every seed taken (count, toSeq); the driver calls only the replayable ones.
    const { replayable, skipped } = splitReplayable(seeds);
    return {
      driving: true,
      fromCursor: row.cursorSeq ?? null,
      seeds: replayable.map((s) => ({ seq: s.seq, ...traceOf(s) })),
      count: seeds.length,
      toSeq: seeds[seeds.length - 1].seq,
      skipped,
      waitMs: 0,
    };
  },
});

/**
 * What `take` answers when it hands out nothing (another driver holds the lease, or nothing is due).
 * `waitMs`: how long the driver may wait before asking again without falling behind (until the next
 * seed is due, or the other driver's lease ends); null when nothing is pending (paused, or finished).
 */
const noSeeds = (driving: boolean, fromCursor: number | null, waitMs: number | null) => ({ driving, fromCursor, seeds: [], count: 0, toSeq: null, skipped: [], waitMs });

/**
 * Commits a replayed batch: the calls' traces (the daemon's replay sends every call's, since the
 * recording holds the model's answer to each, served or not; another driver may send only its
 * deferred ones), the new position and the SCHEDULE row, in one transaction, only if the replay is
 * still where the batch began (a reset or another driver since then makes the batch stale: nothing
 * is written).
 */
export const advance = adminMutation({
  args: {
    owner: v.string(),
    fromCursor: v.union(v.number(), v.null()),
    toSeq: v.number(),
    count: v.number(),
    served: v.number(),
    traces: v.array(traceValidator),
    /** What `take` said of the seeds it passed over (each "seed seq N: reason"). */
    skipped: v.optional(v.array(v.string())),
  },
  handler: async (ctx, { owner, fromCursor, toSeq, count, served, traces, skipped = [] }) => {
    checkText(owner, "owner");
    checkInt(count, "count", 1, MAX_SEED_BATCH * 2);
    checkInt(served, "served", 0, count);
    if (traces.length > count) throw userError(`traces: ${traces.length} traces for ${count} replayed calls`);
    checkTraceBatch(traces);
    if (traces.length + skipped.length > count) throw userError(`skipped: ${skipped.length} passed over and ${traces.length} traces for ${count} replayed seeds`);
    skipped.forEach((note, i) => checkText(note, `skipped[${i}]`, 2000));
    const row = await ensureReplayRow(ctx);
    if (row.driver !== owner || (row.cursorSeq ?? null) !== fromCursor) return { advanced: false };
    const total = await readCounter(ctx, REPLAY_SOURCE_ROWS);
    const inserted = await ingestTraces(ctx, traces, "replay", true);
    await ctx.db.patch(row._id, { position: Math.min(total, row.position + count), total, cursorSeq: toSeq });
    const first = fromCursor === null ? toSeq - count + 1 : fromCursor + 1;
    await writeTrigger(ctx, {
      kind: "TRIGGER:SCHEDULE",
      detail: `replayed ${count - skipped.length} through the runtime (${seqRange(Math.min(first, toSeq), toSeq)}): ${served} served, ${count - skipped.length - served} asked the model${skippedNote(skipped)}`,
    });
    await writeEventRows(ctx, inserted, "replay");
    return { advanced: true };
  },
});

/**
 * The next `n` seeds after the replay's cursor. None although the counter says more exist (seeds
 * replaced by hand): the position is settled, so the replay reads as finished instead of retrying
 * every second.
 */
async function seedsAfterCursor(ctx: MutationCtx, row: Doc<"replay_state">, n: number, total: number): Promise<Doc<"replay_source">[]> {
  const cursor = row.cursorSeq;
  const seeds = await ctx.db
    .query("replay_source")
    .withIndex("by_seq", (q) => (cursor === undefined ? q : q.gt("seq", cursor)))
    .take(n);
  if (seeds.length === 0) await ctx.db.patch(row._id, { total, position: total });
  return seeds;
}

async function replayDue(ctx: MutationCtx, now: number): Promise<number> {
  const state = await replayRow(ctx);
  const total = await readCounter(ctx, REPLAY_SOURCE_ROWS);
  // No row yet means defaults (running, 1000 ms); create it only when there is something to replay,
  // so an idle deployment's cron writes nothing.
  const position = state?.position ?? 0;
  if (state?.paused || position >= total) return 0;
  const plan = replayPlan(now, state?.lastTickAt ?? 0, state?.speedMs ?? DEFAULT_SPEED_MS, total - position);
  if (plan.n === 0) return 0;

  const row = state ?? (await ensureReplayRow(ctx));
  const seeds = await seedsAfterCursor(ctx, row, plan.n, total);
  if (seeds.length === 0) return 0;
  const { replayable, skipped } = splitReplayable(seeds);
  // One ingest run for the tick: the seq counter, each bucket row, its vault entry and live job are
  // read once, not once per trace (1,000 traces at 1 ms would otherwise pass Convex's 4,096 index
  // ranges per transaction).
  const inserted = await ingestTraces(ctx, replayable.map(traceOf), "replay", true);
  const first = seeds[0].seq;
  const last = seeds[seeds.length - 1].seq;
  await ctx.db.patch(row._id, {
    position: Math.min(total, row.position + seeds.length),
    total,
    cursorSeq: last,
    lastTickAt: plan.nextLastTickAt,
  });
  await writeTrigger(ctx, {
    kind: "TRIGGER:SCHEDULE",
    detail: `replayed ${inserted.length} (${seqRange(first, last)})${skippedNote(skipped)}`,
  });
  await writeEventRows(ctx, inserted, "replay");
  return seeds.length;
}

/**
 * A seed that breaks the trace rules (loaded by a version before them) is passed over with a note,
 * not replayed: refusing it would stop the replay for good, on every tick or batch.
 */
function splitReplayable(seeds: Doc<"replay_source">[]): { replayable: Doc<"replay_source">[]; skipped: string[] } {
  const replayable: Doc<"replay_source">[] = [];
  const skipped: string[] = [];
  for (const s of seeds) {
    const { problems } = checkTraceValue(traceOf(s), "stored");
    if (problems.length > 0) skipped.push(`seed seq ${s.seq}: ${problemText(problems[0])}`);
    else replayable.push(s);
  }
  return { replayable, skipped };
}

const skippedNote = (skipped: readonly string[]): string =>
  skipped.length > 0 ? `; skipped ${skipped.length} that break the trace limits (${skipped[0]})` : "";

/** Replay progress; defaults when nothing was ever replayed. */
export const state = query({
  args: {},
  handler: async (ctx) => {
    const row = await replayRow(ctx);
    const total = await readCounter(ctx, REPLAY_SOURCE_ROWS);
    return {
      position: row?.position ?? 0,
      total,
      speedMs: row?.speedMs ?? DEFAULT_SPEED_MS,
      paused: row?.paused ?? false,
      lastTickAt: row?.lastTickAt ?? 0,
    };
  },
});

/** Rows read at most to learn which of a batch's content keys the replay source holds (then one lookup each). */
const KEY_RANGE_ROWS = 2 * MAX_SEED_BATCH;

/**
 * The content keys the replay source holds over the batch's span of `ts`, read in one index range, or
 * null when that span holds too many rows (a file far out of time order, or one loaded over a much
 * denser one): then each trace is looked up alone. A file's traces are mostly in time order, so a
 * batch's span is short and, on a first load, empty: one read instead of one per trace.
 */
async function keysInTsRange(ctx: QueryCtx, traces: readonly { key?: string; ts: number }[]): Promise<Set<string> | null> {
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of traces) {
    if (t.key === undefined) continue;
    if (t.ts < lo) lo = t.ts;
    if (t.ts > hi) hi = t.ts;
  }
  if (lo > hi) return null;
  const rows = await ctx.db
    .query("replay_source")
    .withIndex("by_ts_key", (q) => q.gte("ts", lo).lte("ts", hi))
    .take(KEY_RANGE_ROWS + 1);
  if (rows.length > KEY_RANGE_ROWS) return null;
  return new Set(rows.flatMap((r) => (r.key === undefined ? [] : [r.key])));
}

/**
 * Loads seed traces into the replay source. Idempotent per seq, so a seeding run that died halfway
 * can simply be run again.
 */
export const loadSeed = adminMutation({
  args: { traces: v.array(seedTraceValidator) },
  handler: async (ctx, { traces }) => {
    if (traces.length > MAX_SEED_BATCH) {
      throw userError(`traces: at most ${MAX_SEED_BATCH} per call, got ${traces.length}; split the seed`);
    }
    // Every trace is checked (the rules every trace reader shares) before the first insert.
    let bytes = 0;
    traces.forEach((t, i) => {
      if (t.seq === undefined ? t.key === undefined : !Number.isInteger(t.seq) || t.seq < 0) {
        throw userError(`traces[${i}].seq must be an integer >= 0 (or omitted, with a content key), got ${JSON.stringify(t.seq)}`);
      }
      bytes += checkTrace(t, `traces[${i}]`);
    });
    if (bytes > MAX_BATCH_BYTES) {
      throw userError(`traces: ${bytes.toLocaleString("en-US")} bytes of traces in one call; at most ${MAX_BATCH_BYTES.toLocaleString("en-US")}: split the seed`);
    }
    let inserted = 0;
    let skipped = 0;
    let nextSeq: number | undefined;
    const keysHeld = await keysInTsRange(ctx, traces);
    for (const t of traces) {
      const existing =
        t.key !== undefined
          ? keysHeld !== null
            ? keysHeld.has(t.key)
            : (await ctx.db.query("replay_source").withIndex("by_ts_key", (q) => q.eq("ts", t.ts).eq("key", t.key)).first()) !== null
          : (await ctx.db.query("replay_source").withIndex("by_seq", (q) => q.eq("seq", t.seq!)).first()) !== null;
      if (existing) {
        skipped++;
        continue;
      }
      if (t.key !== undefined) keysHeld?.add(t.key);
      let seq = t.seq;
      if (seq === undefined) {
        nextSeq ??= ((await ctx.db.query("replay_source").withIndex("by_seq").order("desc").first())?.seq ?? 0) + 1;
        seq = nextSeq++;
      }
      await ctx.db.insert("replay_source", { ...t, seq });
      inserted++;
    }
    const total = await addToCounter(ctx, REPLAY_SOURCE_ROWS, inserted);
    const row = await replayRow(ctx);
    if (row !== null && inserted > 0) {
      // An idle replay restarts at its pace, not with a burst for all the time it sat idle.
      const idle = row.position >= row.total;
      await ctx.db.patch(row._id, { total, ...(idle ? { lastTickAt: 0 } : {}) });
    }
    return { inserted, skipped, total };
  },
});
