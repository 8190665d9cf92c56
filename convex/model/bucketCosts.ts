import type { QueryCtx } from "../_generated/server.js";

/** What an average call of a bucket costs, and how often calls come, from the sums ingest keeps. */
export interface BucketCosts {
  model?: string;
  avgTokensIn: number;
  avgTokensOut: number;
  avgLatencyMs: number;
  /** From the smoothed gap between calls; 0 before a second call. */
  callsPerMinute: number;
}

/**
 * The bucket's running sums as averages, or null when it has none yet (a row from before the sums,
 * or no row): then they are unknown, not 0.
 */
export async function readBucketCosts(ctx: QueryCtx, key: string): Promise<BucketCosts | null> {
  const row = await ctx.db
    .query("buckets")
    .withIndex("by_key", (q) => q.eq("key", key))
    .unique();
  const n = row?.summedTraces ?? 0;
  if (row === null || n <= 0) return null;
  return {
    ...(row.model === undefined ? {} : { model: row.model }),
    avgTokensIn: (row.tokensInSum ?? 0) / n,
    avgTokensOut: (row.tokensOutSum ?? 0) / n,
    avgLatencyMs: (row.latencyMsSum ?? 0) / n,
    callsPerMinute: row.intervalEwmaMs ? 60_000 / row.intervalEwmaMs : 0,
  };
}
