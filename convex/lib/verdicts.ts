import type { Infer } from "convex/values";
import type { selectiveValidator, verdictValidator } from "../schema.js";

export type Verdict = Infer<typeof verdictValidator>;
export type Selective = Infer<typeof selectiveValidator>;

/** Every verdict, best first: the order summaries count them in. */
export const VERDICTS: readonly Verdict[] = ["compiled", "partial", "waiting", "rejected"];

/**
 * Only `compiled` settles a call site for its sha. `waiting` means the evidence is still too thin,
 * `partial` may reach full coverage with more traces, `rejected` may pass with more evidence: each
 * gets VOLUME again as the bucket grows (a logarithmic number of attempts for one that never will).
 */
export function retriesOnGrowth(verdict: Verdict): boolean {
  return verdict !== "compiled";
}

/** A job ends `done` when its verdict is worth keeping or waiting on; `rejected` only for a rejection. */
export function jobStatusFor(verdict: Verdict): "done" | "rejected" {
  return verdict === "rejected" ? "rejected" : "done";
}

/** Code an agent may call: compiled, or partial (it returns undefined where it has no evidence). */
export function isUsable(verdict: Verdict): boolean {
  return verdict === "compiled" || verdict === "partial";
}

/**
 * The selective agreement of an entry. Entries written before abstention existed answered every
 * call, so their oracle score and its lower bound are the same figure under the old names.
 */
export function selectiveOf(entry: { selective?: Selective; scores: { oracle: number }; oracleLowerBound?: number }): Partial<Selective> & { agreement: number } {
  return entry.selective ?? { agreement: entry.scores.oracle, lowerBound: entry.oracleLowerBound };
}
