import { userError } from "./errors.js";

/** `<org>:<call_site>:v<N>`, e.g. `acme:classify_lead_tier:v1`. */
export const BUCKET_KEY_RE = /^[a-z0-9][a-z0-9_-]*:[a-z0-9_]+:v\d+$/;

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

export interface TraceInput {
  bucket: string;
  input: unknown;
  output: unknown;
  model: string;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  ts?: number;
}

/**
 * Checks what validators cannot express (key format, ranges). `path` names the trace in a batch
 * (`traces[3]`) so the message points at the one bad field.
 */
export function checkTrace(trace: TraceInput, path = "trace"): void {
  checkBucketKey(trace.bucket, `${path}.bucket`);
  checkText(trace.model, `${path}.model`);
  checkNonNegative(trace.latencyMs, `${path}.latencyMs`);
  checkNonNegative(trace.tokensIn, `${path}.tokensIn`);
  checkNonNegative(trace.tokensOut, `${path}.tokensOut`);
  if (trace.ts !== undefined) checkNonNegative(trace.ts, `${path}.ts`);
  if (trace.input === undefined) throw userError(`${path}.input is missing`);
  if (trace.output === undefined) throw userError(`${path}.output is missing`);
}

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
