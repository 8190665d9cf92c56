import { v, type Infer } from "convex/values";

/**
 * The one declaration of a trace's fields: the schema's proxy_traces and replay_source tables, the
 * ingest and seed arguments, and (through src/contract) every reader of trace files take their
 * shape from here.
 */
export const traceFields = {
  bucket: v.string(), // "acme:classify_lead_tier:v1"
  input: v.any(),
  output: v.any(),
  model: v.string(),
  latencyMs: v.number(),
  tokensIn: v.number(),
  tokensOut: v.number(),
  ts: v.number(), // when the call happened (ms since epoch), as recorded
};

/** A trace as a caller hands it in: `ts` defaults to arrival time. */
export const traceValidator = v.object({ ...traceFields, ts: v.optional(v.number()) });

/** A seed trace: the trace plus where it goes in the replay order. */
export const seedTraceValidator = v.object({
  // Omitted: append after the last seed (then `key` is required and dedupes instead of seq).
  seq: v.optional(v.number()),
  key: v.optional(v.string()),
  ...traceFields,
});

/**
 * A checked trace. `v.any()` infers `any`; input and output are `unknown` here so that code reading
 * them must look before it uses them.
 */
export type CheckedTrace = Omit<Infer<typeof traceValidator>, "input" | "output"> & { input: unknown; output: unknown };

/** A stored row (proxy_traces, replay_source) reduced to its trace fields, without copying them by name. */
export function traceOf(row: CheckedTrace & Record<string, unknown>): CheckedTrace {
  const trace: Record<string, unknown> = {};
  for (const field of Object.keys(traceFields)) if (row[field] !== undefined) trace[field] = row[field];
  // Every traceFields key was copied from a row that has them.
  return trace as CheckedTrace;
}
