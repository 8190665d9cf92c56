import type { FunctionReturnType } from "convex/server";
import type { api } from "../../convex/_generated/api.js";
import { costOf, priceOf, type PriceOverrides } from "./prices.js";

export type QueuedJob = FunctionReturnType<typeof api.daemon.compiles.queue>[number];

export interface RankedJob extends QueuedJob {
  /** USD a minute the bucket's calls cost the model now: what compiling it could save. Undefined: no price. */
  savingPerMinuteUsd: number | undefined;
}

/**
 * The order compile jobs are claimed in: expected saving first (recent call rate x what a call
 * costs at the model's price), then age. A bucket whose model has no price ranks by age after the
 * priced ones: "unknown" is not "free", but it cannot outrank a known saving either.
 */
export function rankQueue(jobs: readonly QueuedJob[], overrides?: PriceOverrides): RankedJob[] {
  const ranked = jobs.map((job) => {
    const price = job.model === undefined ? "unknown" : priceOf(job.model, overrides);
    const perCall = costOf(price, job.avgTokensIn, job.avgTokensOut);
    return { ...job, savingPerMinuteUsd: perCall === "unknown" ? undefined : perCall * job.callsPerMinute };
  });
  return ranked.sort((a, b) => (b.savingPerMinuteUsd ?? -1) - (a.savingPerMinuteUsd ?? -1) || a.enqueuedAt - b.enqueuedAt);
}
