import { v } from "convex/values";
import type { Infer } from "convex/values";
import { internalMutation, query } from "../_generated/server.js";
import type { MutationCtx, QueryCtx } from "../_generated/server.js";
import type { Doc } from "../_generated/dataModel.js";
import { triggerKind } from "../schema.js";
import { adminMutation } from "../lib/adminMutation.js";
import { checkInt, checkText } from "../lib/validate.js";
import { DEFAULT_NOTABLE_KEEP, DEFAULT_TRIGGER_KEEP, isRoutineTrigger, NOTABLE_TRIGGER_KINDS, PRUNE_BATCH, ROUTINE_TRIGGER_KINDS } from "../lib/events.js";
import { addToCounter, NOTABLE_TRIGGER_ROWS, readCounter, TRIGGER_ROWS } from "../model/counters.js";

export type TriggerKind = Infer<typeof triggerKind>;

/** Appends one row to the trigger stream. Every writer goes through here so the row counts stay exact. */
export async function writeTrigger(
  ctx: MutationCtx,
  row: { kind: TriggerKind; bucket?: string; jobId?: string; detail: string },
): Promise<void> {
  await ctx.db.insert("trigger_events", { ...row, at: Date.now() });
  await addToCounter(ctx, TRIGGER_ROWS, 1);
  if (!isRoutineTrigger(row.kind)) await addToCounter(ctx, NOTABLE_TRIGGER_ROWS, 1);
}

/**
 * Deletes the oldest rows beyond `keep` routine and `keepNotable` notable ones, at most PRUNE_BATCH
 * per call: the stream is a live view, not a log, and the cron calls this every few seconds so a
 * backlog drains over a few ticks. The two are kept apart so that a fast replay's routine rows
 * cannot push a DRIFT out of the stream within a minute.
 */
export async function pruneTriggers(ctx: MutationCtx, keep: number, keepNotable: number): Promise<number> {
  const rows = await readCounter(ctx, TRIGGER_ROWS);
  const notable = await readCounter(ctx, NOTABLE_TRIGGER_ROWS);
  const routineExcess = Math.min(rows - notable - keep, PRUNE_BATCH);
  const notableExcess = Math.min(notable - keepNotable, PRUNE_BATCH - Math.max(0, routineExcess));
  let deleted = 0;
  if (routineExcess > 0) deleted += await deleteOldest(ctx, ROUTINE_TRIGGER_KINDS, routineExcess);
  if (notableExcess > 0) {
    const n = await deleteOldest(ctx, NOTABLE_TRIGGER_KINDS, notableExcess);
    await addToCounter(ctx, NOTABLE_TRIGGER_ROWS, -n);
    deleted += n;
  }
  if (deleted > 0) await addToCounter(ctx, TRIGGER_ROWS, -deleted);
  return deleted;
}

/** The newest (or oldest) `n` rows of the given kinds, merged from each kind's index. */
async function ofKinds(ctx: QueryCtx, kinds: readonly TriggerKind[], n: number, order: "asc" | "desc"): Promise<Doc<"trigger_events">[]> {
  const perKind = await Promise.all(
    kinds.map((kind) =>
      ctx.db
        .query("trigger_events")
        .withIndex("by_kind_at", (q) => q.eq("kind", kind))
        .order(order)
        .take(n),
    ),
  );
  const sign = order === "asc" ? 1 : -1;
  return perKind
    .flat()
    .sort((a, b) => sign * (a.at - b.at || a._creationTime - b._creationTime))
    .slice(0, n);
}

async function deleteOldest(ctx: MutationCtx, kinds: readonly TriggerKind[], n: number): Promise<number> {
  const oldest = await ofKinds(ctx, kinds, n, "asc");
  for (const row of oldest) await ctx.db.delete(row._id);
  return oldest.length;
}

/** The newest `limit` rows, newest first. */
export const recent = query({
  args: { limit: v.optional(v.number()) },
  handler: async (ctx, { limit }) => {
    const n = checkInt(limit ?? 100, "limit", 1, 500);
    return await ctx.db.query("trigger_events").withIndex("by_at").order("desc").take(n);
  },
});

/**
 * The newest `limit` notable rows (BOOT, VOLUME, CODE_CHANGE, RECOVERY, DRIFT), newest first: the
 * console shows them among the routine rows of `recent`, which a fast replay turns over every few
 * seconds.
 */
export const notable = query({
  args: { limit: v.optional(v.number()) },
  handler: async (ctx, { limit }) => {
    const n = checkInt(limit ?? 100, "limit", 1, 500);
    return await ofKinds(ctx, NOTABLE_TRIGGER_KINDS, n, "desc");
  },
});

/** Rows the worker observes itself: BOOT, STEP, TRIGGER:CODE_CHANGE (file watch), TRIGGER:RECOVERY. */
export const record = adminMutation({
  args: {
    kind: triggerKind,
    bucket: v.optional(v.string()),
    jobId: v.optional(v.string()),
    detail: v.string(),
  },
  handler: async (ctx, { kind, bucket, jobId, detail }) => {
    checkText(detail, "detail", 2000);
    await writeTrigger(ctx, { kind, bucket, jobId, detail });
    return null;
  },
});

export const prune = internalMutation({
  args: { keep: v.optional(v.number()), keepNotable: v.optional(v.number()) },
  handler: async (ctx, { keep, keepNotable }) => {
    const k = checkInt(keep ?? DEFAULT_TRIGGER_KEEP, "keep", 0, 1_000_000);
    const kn = checkInt(keepNotable ?? DEFAULT_NOTABLE_KEEP, "keepNotable", 0, 1_000_000);
    return { deleted: await pruneTriggers(ctx, k, kn) };
  },
});
