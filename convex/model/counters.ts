import type { MutationCtx, QueryCtx } from "../_generated/server.js";

/** Names of the rows in `counters`. */
export const TRACE_SEQ = "trace_seq"; // global proxy_traces seq
export const TRIGGER_ROWS = "trigger_rows"; // live trigger_events rows, so pruning needs no count scan
export const NOTABLE_TRIGGER_ROWS = "notable_trigger_rows"; // of which not routine (lib/events.ts)
export const REPLAY_SOURCE_ROWS = "replay_source_rows"; // seed traces loaded (survives reset)

export async function readCounter(ctx: QueryCtx, name: string): Promise<number> {
  const row = await ctx.db
    .query("counters")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
  return row?.value ?? 0;
}

/**
 * Adds `delta` and returns the new value. The counter row is read and written in the caller's
 * transaction, so concurrent writers conflict and retry: values stay exact and strictly increasing.
 */
export async function addToCounter(ctx: MutationCtx, name: string, delta: number): Promise<number> {
  const row = await ctx.db
    .query("counters")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
  if (row === null) {
    await ctx.db.insert("counters", { name, value: delta });
    return delta;
  }
  const value = row.value + delta;
  await ctx.db.patch(row._id, { value });
  return value;
}
