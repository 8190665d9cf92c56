import type { Trace } from "./types.js";

/** A traces file line that is not a trace; carries its 1-based line number for the one-line error. */
export class TraceFormatError extends Error {
  override name = "TraceFormatError";
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const NUMERIC_FIELDS = ["latencyMs", "tokensIn", "tokensOut"] as const;

/** Checks one parsed line; returns the reason it is not a trace, or null when it is one. */
function whyNotATrace(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "not a JSON object";
  const record = value as Record<string, unknown>;
  if (typeof record.bucket !== "string" || record.bucket === "") return 'missing or empty "bucket" (a string)';
  if (!("input" in record)) return 'missing "input"';
  if (!("output" in record)) return 'missing "output"';
  if (typeof record.model !== "string") return '"model" must be a string';
  for (const field of NUMERIC_FIELDS) {
    if (typeof record[field] !== "number" || !Number.isFinite(record[field])) return `"${field}" must be a number`;
  }
  if (typeof record.ts !== "string") return '"ts" must be a string';
  return null;
}

/** Parses JSON Lines (blank lines skipped). Throws TraceFormatError on the first bad line. */
export function parseTraces(text: string): Trace[] {
  const traces: Trace[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new TraceFormatError(i + 1, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    const reason = whyNotATrace(value);
    if (reason) throw new TraceFormatError(i + 1, reason);
    const record = value as Trace;
    traces.push({
      bucket: record.bucket,
      input: record.input,
      output: record.output,
      model: record.model,
      latencyMs: record.latencyMs,
      tokensIn: record.tokensIn,
      tokensOut: record.tokensOut,
      ts: record.ts,
    });
  }
  return traces;
}

/** Buckets in order of first appearance, so output follows the file. */
export function groupByBucket(traces: readonly Trace[]): Map<string, Trace[]> {
  const groups = new Map<string, Trace[]>();
  for (const trace of traces) {
    const group = groups.get(trace.bucket);
    if (group) group.push(trace);
    else groups.set(trace.bucket, [trace]);
  }
  return groups;
}
