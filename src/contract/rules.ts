/**
 * Rules and limits shared with convex/lib: the backend enforces them, the CLI, console and runtime
 * check or explain them with the same code, so the two never disagree.
 */
export {
  BUCKET_KEY_RE,
  checkTraceLine,
  checkTraceValue,
  nestingOf,
  problemText,
  safeText,
  STORED_TRACE_REFUSED,
  TRACE_LIMITS,
  type TraceProblem,
} from "../../convex/lib/traceRules.js";
export { MAX_BATCH_BYTES, MAX_INJECT, MAX_REPORT_CHECKS, MAX_REPORT_USAGE } from "../../convex/lib/validate.js";
export { MAX_SPEED_MS, MIN_SPEED_MS } from "../../convex/lib/pacing.js";
export { isUsable, selectiveOf, VERDICTS } from "../../convex/lib/verdicts.js";
export { errorLine } from "../../convex/lib/errors.js";
export { isRoutineTrigger } from "../../convex/lib/events.js";
export { addUsageCounts } from "../../convex/lib/usage.js";

/** "the newest 5,000 of 100,000 traces" (since seq N, the drift's start): what a vault entry learned from, when not all. */
export function windowText(w: { traces: number; of: number; sinceSeq?: number; spread?: number }): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const since = w.sinceSeq === undefined ? "" : ` since its drift began (after seq ${w.sinceSeq})`;
  if (w.traces >= w.of) return `learned from its ${n(w.traces)} traces${since}`;
  if (w.spread === undefined) return `learned from the newest ${n(w.traces)} of its ${n(w.of)} traces${since}`;
  return `learned from ${n(w.traces)} of its ${n(w.of)} traces${since}: the newest ${n(w.traces - w.spread)} and ${n(w.spread)} spread evenly over the older ones`;
}
