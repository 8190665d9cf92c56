/**
 * The counters of a usage window (convex/schema.ts usageFields) that add up: what the runtime sums in
 * memory, what runtime.report merges per window and adds into the stored row, and what the runtime's
 * recorder puts back when a report could not be written. One rule, so the three never disagree.
 */
export interface UsageCounts {
  served: number;
  deferred: number;
  shadowed: number;
  shadowAgree: number;
  /**
   * Served calls checked against an answer known without asking (a replayed recording): still
   * savings. Absent = 0 (rows and runtimes from before checks against a known answer).
   */
  checked?: number;
  checkAgree?: number;
  tokensInAvoided: number;
  tokensOutAvoided: number;
  latencyMsAvoided: number;
}

const ALWAYS = ["served", "deferred", "shadowed", "shadowAgree", "tokensInAvoided", "tokensOutAvoided", "latencyMsAvoided"] as const;
const OPTIONAL = ["checked", "checkAgree"] as const;

/** Adds `delta`'s counters into `into`, in place. */
export function addUsageCounts(into: UsageCounts, delta: UsageCounts): void {
  for (const f of ALWAYS) into[f] += delta[f];
  for (const f of OPTIONAL) if (delta[f]) into[f] = (into[f] ?? 0) + delta[f];
}
