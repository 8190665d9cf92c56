import { v } from "convex/values";
import type { Infer } from "convex/values";
import { internalMutation, query } from "../_generated/server.js";
import type { MutationCtx } from "../_generated/server.js";
import { triggerKind } from "../schema.js";
import { adminMutation } from "../lib/adminMutation.js";
import { checkInt, checkText } from "../lib/validate.js";
import { DEFAULT_TRIGGER_KEEP, PRUNE_BATCH } from "../lib/events.js";
import { addToCounter, readCounter, TRIGGER_ROWS } from "../model/counters.js";

export type TriggerKind = Infer<typeof triggerKind>;

/** Appends one row to the trigger stream. Every writer goes through here so the row count stays exact. */
export async function writeTrigger(
  ctx: MutationCtx,
  row: { kind: TriggerKind; bucket?: string; jobId?: string; detail: string },
): Promise<void> {
  await ctx.db.insert("trigger_events", { ...row, at: Date.now() });
  await addToCounter(ctx, TRIGGER_ROWS, 1);
}

/**
 * Deletes the oldest rows beyond `keep`, at most PRUNE_BATCH per call: the stream is a live view,
 * not a log, and the cron calls this every second so a backlog drains over a few ticks.
 */
export async function pruneTriggers(ctx: MutationCtx, keep: number): Promise<number> {
  const rows = await readCounter(ctx, TRIGGER_ROWS);
  const excess = Math.min(rows - keep, PRUNE_BATCH);
  if (excess <= 0) return 0;
  const oldest = await ctx.db.query("trigger_events").withIndex("by_at").order("asc").take(excess);
  for (const row of oldest) await ctx.db.delete(row._id);
  await addToCounter(ctx, TRIGGER_ROWS, -oldest.length);
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
  args: { keep: v.optional(v.number()) },
  handler: async (ctx, { keep }) => {
    const k = checkInt(keep ?? DEFAULT_TRIGGER_KEEP, "keep", 0, 1_000_000);
    return { deleted: await pruneTriggers(ctx, k) };
  },
});
