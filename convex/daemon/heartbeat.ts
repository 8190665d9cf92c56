import { v } from "convex/values";
import { query } from "../_generated/server.js";
import { adminMutation } from "../lib/adminMutation.js";
import { checkText } from "../lib/validate.js";

const heartbeatStatus = v.union(
  v.literal("running"),
  v.literal("paused"),
  v.literal("stopping"),
  v.literal("stopped"),
);

/** Upserts the daemon's row; lastBeatAt is server time so ages compare across machines. */
export const beat = adminMutation({
  args: {
    daemonId: v.string(),
    pid: v.number(),
    host: v.string(),
    version: v.string(),
    startedAt: v.number(),
    status: heartbeatStatus,
    currentJob: v.optional(v.string()),
    backend: v.string(),
    compute: v.string(),
  },
  handler: async (ctx, { ...beat }) => {
    checkText(beat.daemonId, "daemonId");
    const doc = { ...beat, lastBeatAt: Date.now() };
    const existing = await ctx.db
      .query("daemon_heartbeat")
      .withIndex("by_daemonId", (q) => q.eq("daemonId", beat.daemonId))
      .first();
    if (existing === null) {
      await ctx.db.insert("daemon_heartbeat", doc);
    } else {
      // replace, not patch: a beat without currentJob means the daemon is idle now
      await ctx.db.replace(existing._id, doc);
    }
    return { lastBeatAt: doc.lastBeatAt };
  },
});

/** Every daemon's last beat; the client computes ages (a query must not read the clock). */
const STATUS_ROWS = 20;

export const status = query({
  args: {},
  handler: async (ctx) => {
    // Most recent beats first: a live daemon is never pushed out by the rows of old, stopped ones.
    return await ctx.db.query("daemon_heartbeat").withIndex("by_lastBeatAt").order("desc").take(STATUS_ROWS);
  },
});
