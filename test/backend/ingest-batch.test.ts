import { afterEach, describe, expect, it } from "vitest";
import { openEmbeddedRuntime, type EmbeddedRuntime } from "../../src/backend/embedded/runtime.js";
import { appModules, appSchema } from "../../src/backend/embedded/modules.js";
import { tempDb } from "./fixtures/open.js";

/**
 * ingestBatch keeps the seq counter and bucket rows in memory across the batch (TraceIngest): its
 * observable result must equal the same traces ingested one mutation at a time.
 */
const TOKEN = "t";
const BUCKETS = ["acme:a:v1", "acme:b:v1", "acme:c:v1"];
const dbs: { cleanup: () => void }[] = [];
const rts: EmbeddedRuntime[] = [];

afterEach(async () => {
  for (const rt of rts.splice(0)) await rt.close();
  for (const d of dbs.splice(0)) d.cleanup();
});

function open(): EmbeddedRuntime {
  const d = tempDb();
  dbs.push(d);
  const rt = openEmbeddedRuntime({
    path: d.path,
    schema: appSchema,
    modules: appModules,
    runCrons: false,
    runScheduler: false,
    env: { COMPILE_ADMIN_TOKEN: TOKEN, COMPILE_THRESHOLD: "6" },
    clock: () => 1_760_000_000_000,
  });
  rts.push(rt);
  return rt;
}

function trace(i: number): Record<string, unknown> {
  // An uneven mix, so the buckets cross the threshold at different points of the batch.
  const bucket = BUCKETS[(i * i + 3 * i) % 7 < 4 ? 0 : i % 2 === 0 ? 1 : 2];
  return { bucket, input: { i }, output: { ok: i % 2 === 0 }, model: "m", latencyMs: i, tokensIn: 1, tokensOut: 1, ts: 1000 + i };
}

type Row = Record<string, unknown>;
const strip = (rows: Row[]): Row[] => rows.map(({ _id, _creationTime, jobId, ...rest }) => (void _id, void _creationTime, void jobId, rest));

async function state(rt: EmbeddedRuntime): Promise<unknown> {
  const buckets = ((await rt.query("daemon/ingest:buckets", {})) as { buckets: Row[] }).buckets;
  const jobs = (await rt.query("daemon/compiles:list", { limit: 500 })) as Row[];
  const triggers = (await rt.query("daemon/triggers:recent", { limit: 500 })) as Row[];
  const traces: Row[] = [];
  for (const b of BUCKETS) traces.push(...((await rt.query("daemon/ingest:traces", { bucket: b, limit: 5000 })) as Row[]));
  return {
    buckets: strip(buckets),
    jobs: strip(jobs),
    volume: strip(triggers.filter((t) => t.kind === "TRIGGER:VOLUME")),
    traces: strip(traces).map((t) => [t.bucket, t.seq, (t.input as { i: number }).i]),
  };
}

describe("ingestBatch equals the same traces ingested one at a time", () => {
  it("same seqs, bucket counters, VOLUME jobs (with uptoSeq) and trigger rows", async () => {
    const single = open();
    const batched = open();
    const all = Array.from({ length: 90 }, (_, i) => trace(i));
    for (const t of all) await single.mutation("daemon/ingest:ingestInline", { adminToken: TOKEN, trace: t });
    // A few traces first (existing bucket and counter rows), then uneven batches.
    const cuts = [0, 4, 5, 40, 90];
    const fired: unknown[] = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const r = (await batched.mutation("daemon/ingest:ingestBatch", { adminToken: TOKEN, traces: all.slice(cuts[k], cuts[k + 1]) })) as {
        volumeJobIds: unknown[];
      };
      fired.push(...r.volumeJobIds);
    }
    const a = await state(single);
    const b = await state(batched);
    expect(b).toEqual(a);
    expect(fired.length).toBe((a as { jobs: unknown[] }).jobs.length);
    expect((a as { jobs: unknown[] }).jobs.length).toBeGreaterThanOrEqual(3);
  });
});
