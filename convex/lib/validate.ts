import { userError } from "./errors.js";
import { BUCKET_KEY_RE, checkTraceValue, TRACE_LIMITS, type CheckedTrace } from "./traceRules.js";

export { BUCKET_KEY_RE };

/** Throws a one-line error naming `field` when `key` is not a bucket key. */
export function checkBucketKey(key: unknown, field = "bucket"): string {
  if (typeof key !== "string" || !BUCKET_KEY_RE.test(key)) {
    throw userError(
      `${field}: bad bucket key ${JSON.stringify(key)}: expected "<org>:<call_site>:v<N>" like "acme:classify_lead_tier:v1"`,
    );
  }
  return key;
}

/** Throws a one-line error unless `value` is an integer within [min, max]. */
export function checkInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw userError(`${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Throws a one-line error unless `value` is a finite number >= 0. */
export function checkNonNegative(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw userError(`${field} must be a finite number >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Throws unless `value` is a non-empty string of at most `max` characters. */
export function checkText(value: unknown, field: string, max = 200): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw userError(`${field} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

/** A trace as a function receives it: the one shape the trace rules check. */
export type TraceInput = CheckedTrace;

/**
 * Checks a trace argument with the rules every trace reader shares (convex/lib/traceRules.ts): key
 * format, ranges, the size, nesting and string limits. `path` names the trace in a batch
 * (`traces[3]`) so the message points at the one bad field. Returns the trace's size as JSON.
 */
export function checkTrace(trace: TraceInput, path = "trace"): number {
  const { problems, bytes } = checkTraceValue(trace, "stored");
  if (problems.length > 0) {
    throw userError(problems.slice(0, 3).map((p) => `${path}${p.field === "" ? "" : `.${p.field}`}: ${p.message}`).join("; "));
  }
  return bytes;
}

/** Bytes of trace JSON one call may carry (a batch is split by count and by size): Convex's write limit is 8 MiB per mutation. */
export const MAX_BATCH_BYTES = 4 * TRACE_LIMITS.traceBytes;

/** Checks every trace of a batch before anything is written, and the batch's total size. */
export function checkTraceBatch(traces: TraceInput[], path = "traces"): void {
  let bytes = 0;
  traces.forEach((t, i) => {
    bytes += checkTrace(t, `${path}[${i}]`);
  });
  if (bytes > MAX_BATCH_BYTES) {
    throw userError(`${path}: ${bytes.toLocaleString("en-US")} bytes of traces in one call; at most ${MAX_BATCH_BYTES.toLocaleString("en-US")}: split the batch`);
  }
}

/** The most traces one `inject` copies (ctl inject, the console's `i`). */
export const MAX_INJECT = 1000;

export const DEFAULT_THRESHOLD = 30;

/**
 * COMPILE_THRESHOLD from the deployment environment, read per call so `convex env set` applies at
 * once. A value that is not a positive integer falls back to the default rather than disabling VOLUME.
 */
export function compileThreshold(raw: string | undefined = process.env.COMPILE_THRESHOLD): number {
  if (raw === undefined || raw.trim() === "") return DEFAULT_THRESHOLD;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_THRESHOLD;
}

/** Usage deltas one runtime report may carry (one per bucket per window in practice). */
export const MAX_REPORT_USAGE = 1000;
/** Shadow checks one runtime report may carry (the runtime splits what it has into reports this size). */
export const MAX_REPORT_CHECKS = 2000;
