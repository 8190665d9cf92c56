import { readFileSync } from "node:fs";
import path from "node:path";
import { mutationGeneric } from "convex/server";
import { v } from "convex/values";
import type { MutationCtx } from "../../convex/_generated/server.js";
import { ingestTraces } from "../../convex/daemon/ingest.js";
import type { TraceInput } from "../../convex/lib/validate.js";
import { addToCounter, REPLAY_SOURCE_ROWS } from "../../convex/model/counters.js";
import { openEmbeddedRuntime } from "../../src/backend/embedded/runtime.js";
import { appModules, appSchema } from "../../src/backend/embedded/modules.js";

/**
 * Writes into a state file what a version before the trace limits let through (a 50 MB trace, a seed
 * row that breaks the rules), through the same ingest path those versions took but without the checks,
 * by opening the embedded runtime on the file with one extra module.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
export const SEED_TRACES = readFileSync(path.join(ROOT, "data/acme-agent/traces/seed.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Record<string, unknown> & { bucket: string; input: Record<string, unknown> });

/** The example traces of one call site as function arguments (ts in ms). */
export function tracesOf(bucket: string, n: number): TraceInput[] {
  const own = SEED_TRACES.filter((t) => t.bucket === bucket);
  return Array.from({ length: n }, (_, i) => {
    const t = own[i % own.length];
    return { bucket, input: t.input, output: t.output, model: t.model as string, latencyMs: t.latencyMs as number, tokensIn: t.tokensIn as number, tokensOut: t.tokensOut as number, ts: Date.parse(t.ts as string) + i };
  });
}

const legacy = {
  /** ingest as it was: traces straight into proxy_traces (VOLUME and all); trace `big.index` gets a `big.bytes` string field. */
  ingestUnchecked: mutationGeneric({
    args: { traces: v.array(v.any()), big: v.optional(v.object({ index: v.number(), bytes: v.number() })) },
    handler: async (ctx, { traces, big }) => {
      const rows = (traces as TraceInput[]).map((t, i) =>
        big && i === big.index ? { ...t, input: { ...(t.input as Record<string, unknown>), blob: "a".repeat(big.bytes) } } : t,
      );
      const inserted = await ingestTraces(ctx as unknown as MutationCtx, rows, "ingest", true);
      return inserted.map((r) => r.seq);
    },
  }),
  /** loadSeed as it was: one seed row appended after the last, no checks. */
  appendSeedUnchecked: mutationGeneric({
    args: { trace: v.any(), blobBytes: v.number() },
    handler: async (ctx, { trace, blobBytes }) => {
      const last = await ctx.db.query("replay_source").withIndex("by_seq").order("desc").first();
      const seq = ((last?.seq as number | undefined) ?? 0) + 1;
      const t = trace as TraceInput;
      await ctx.db.insert("replay_source", { ...t, input: { ...(t.input as Record<string, unknown>), blob: "b".repeat(blobBytes) }, ts: t.ts ?? 0, seq, key: `legacy-${seq}` });
      await addToCounter(ctx as unknown as MutationCtx, REPLAY_SOURCE_ROWS, 1);
      return seq;
    },
  }),
};

/** Runs `write` on the state file with the legacy module loaded, then closes it. */
export async function writeLegacy<T>(dbPath: string, write: (call: (name: keyof typeof legacy, args: Record<string, unknown>) => Promise<unknown>) => Promise<T>): Promise<T> {
  const rt = openEmbeddedRuntime({
    path: dbPath,
    schema: appSchema,
    modules: { ...appModules, legacy: legacy as unknown as Record<string, unknown> },
    runCrons: false,
    runScheduler: false,
  });
  try {
    return await write((name, args) => rt.mutation(`legacy:${name}`, args));
  } finally {
    await rt.close();
  }
}
