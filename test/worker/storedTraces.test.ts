import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { STORED_TRACE_REFUSED, TRACE_LIMITS } from "../../convex/lib/traceRules.js";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { createLocalStage2Runner } from "../../src/compiler/index.js";
import { JobLoop } from "../../src/worker/jobLoop.js";
import { loadSeed, seedTrace } from "../../src/worker/seed.js";
import { createRuntime } from "../../src/runtime/index.js";
import { ReplayAgent } from "../../src/worker/replayAgent.js";
import { checkTraceValue } from "../../convex/lib/traceRules.js";
import { tracesOf, writeLegacy } from "./legacyState.js";

/**
 * The backend side of the trace limits: the functions that write traces refuse what the file readers
 * refuse, and what an older version stored anyway is never compiled or replayed: its job fails at
 * once with the reason, the daemon goes on.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const AGENT = path.join(ROOT, "data/acme-agent");
const COUNTRY = "acme:normalize_country:v1";
const TICKET = "acme:route_ticket:v1";

const dirs: string[] = [];
let client: BackendClient | undefined;
let loop: JobLoop | undefined;
afterEach(async () => {
  await loop?.stop(1000);
  await client?.close();
  client = loop = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function freshState(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "stored-traces-"));
  dirs.push(dir);
  const db = path.join(dir, "state.db");
  await (await open(db, false)).close();
  return db;
}
const open = (db: string, crons: boolean) => openBackend({ dbPath: db, convexUrl: "", runCrons: crons, runScheduler: crons });

const waitUntil = async (what: string, ok: () => Promise<boolean>, ms = 45_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const reason = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "(accepted)",
    (e: unknown) => String((e as { data?: unknown }).data ?? (e as Error).message),
  );

/** Five seeds as a version before the limits stored them: three good, a 2 MiB one (its seq returned), one good. */
async function stateWithTooLargeSeed(): Promise<{ db: string; badSeq: unknown }> {
  const db = await freshState();
  const c = await open(db, false);
  await loadSeed(c, tracesOf(TICKET, 3).map((t) => seedTrace(checkTraceValue(t, "stored").trace!)));
  await c.close();
  const [blob] = tracesOf(TICKET, 1);
  const badSeq = await writeLegacy(db, async (call) => call("appendSeedUnchecked", { trace: { ...blob, bucket: "acme:blob:v1" }, blobBytes: 2 * TRACE_LIMITS.traceBytes }));
  await writeLegacy(db, async (call) => call("appendSeedUnchecked", { trace: tracesOf(TICKET, 4)[3], blobBytes: 10 }));
  return { db, badSeq };
}

describe("a too-large trace already in the state", () => {
  it("fails its compile job at once with that reason, and the loop goes on to compile the next job", async () => {
    const db = await freshState();
    // As a version before the limits stored them: a 50 MB trace among 30 of one call site, 30 good ones of another.
    const [countrySeqs] = await writeLegacy(db, async (call) => [
      (await call("ingestUnchecked", { traces: tracesOf(COUNTRY, 30), big: { index: 10, bytes: 50_000_000 } })) as number[],
      await call("ingestUnchecked", { traces: tracesOf(TICKET, 30) }),
    ]);
    const c = (client = await open(db, false));
    const jobs = async () => c.query(api.daemon.compiles.list, {});
    expect((await jobs()).map((j) => [j.bucket, j.status]).sort()).toEqual([
      [COUNTRY, "pending"],
      [TICKET, "pending"],
    ]);
    // The query a compile reads its traces with refuses the row, naming it, before it reaches the client.
    expect(await reason(c.query(api.daemon.ingest.traces, { bucket: COUNTRY, limit: 5000 }))).toMatch(
      new RegExp(`^${STORED_TRACE_REFUSED}: seq ${countrySeqs[10]} of ${COUNTRY}: the trace is at least 50,000,\\d{3} bytes as JSON; a trace is at most 1,048,576 bytes \\(1 MiB\\)`),
    );

    const events: string[] = [];
    loop = new JobLoop({
      client: c,
      owner: "test-owner",
      agentDir: AGENT,
      stage2: createLocalStage2Runner(),
      onJob: (e) => events.push(`${e.phase} ${e.job.bucket}${e.detail ? `: ${e.detail}` : ""}`),
      onError: (e) => events.push(`error: ${e.message}`),
    });
    loop.start();
    await waitUntil("the country job to fail", async () => (await jobs()).some((j) => j.bucket === COUNTRY && j.status === "failed"));
    const failed = (await jobs()).find((j) => j.bucket === COUNTRY)!;
    expect(failed.attempts).toBe(1); // at once: no retry could read another row
    expect(failed.error).toMatch(new RegExp(`^${STORED_TRACE_REFUSED}: seq ${countrySeqs[10]} of ${COUNTRY}: the trace is at least 50,000,`));

    // finished with a verdict (a rejected verdict finishes its job as "rejected")
    await waitUntil("the ticket job to finish", async () => (await jobs()).some((j) => j.bucket === TICKET && (j.status === "done" || j.status === "rejected")));
    const vault = await c.query(api.daemon.vault.list, {});
    expect(vault.map((v) => v.bucket)).toEqual([TICKET]);
    expect(events.filter((e) => e.startsWith("failed"))).toEqual([expect.stringMatching(new RegExp(`^failed ${COUNTRY}: ${STORED_TRACE_REFUSED}`))]);
    expect(events.some((e) => e.startsWith("error"))).toBe(false);
  });

  it("a seed row breaking the limits is passed over by the replay with a note; inject refuses to copy it", async () => {
    const { db, badSeq } = await stateWithTooLargeSeed();
    const c = (client = await open(db, true));
    await c.mutation(api.daemon.control.speed, { speedMs: 10 });
    await waitUntil("the replay to finish", async () => {
      const s = await c.query(api.daemon.replay.state, {});
      return s.total === 5 && s.position === 5;
    });
    const { buckets } = await c.query(api.daemon.ingest.buckets, {});
    expect(buckets.map((b) => [b.key, b.count])).toEqual([[TICKET, 4]]);
    const notes = (await c.query(api.daemon.triggers.recent, { limit: 200 })).filter((r) => r.kind === "TRIGGER:SCHEDULE").map((r) => r.detail);
    expect(notes.some((d) => d.includes(`skipped 1 that break the trace limits (seed seq ${String(badSeq)}: the trace is at least 2,097,`))).toBe(true);

    expect(await reason(c.mutation(api.daemon.control.inject, { bucket: "acme:blob:v1", n: 3 }))).toMatch(/^trace: the trace is at least 2,097,\d{3} bytes as JSON/);
    expect((await c.query(api.daemon.ingest.buckets, {})).buckets.map((b) => b.key)).toEqual([TICKET]);
  });
});

describe("a too-large seed row when the daemon drives the replay through the runtime", () => {
  it("is passed over with the same note, and the replay goes on to the end", async () => {
    const { db, badSeq } = await stateWithTooLargeSeed();
    const c = (client = await open(db, false));
    await c.mutation(api.daemon.control.speed, { speedMs: 1 });
    const runtime = createRuntime({ backend: c, shadowRate: 0, flushMs: 20 });
    const errors: string[] = [];
    const agent = new ReplayAgent({ client: c, runtime, owner: "test", onError: (e) => errors.push(e.message) });
    try {
      await runtime.ready();
      await waitUntil("the replay to finish", async () => {
        await agent.step();
        const s = await c.query(api.daemon.replay.state, {});
        return s.position === 5;
      });
    } finally {
      await runtime.close();
    }
    expect(errors).toEqual([]);
    const { buckets } = await c.query(api.daemon.ingest.buckets, {});
    expect(buckets.map((b) => [b.key, b.count])).toEqual([[TICKET, 4]]);
    const notes = (await c.query(api.daemon.triggers.recent, { limit: 200 })).filter((r) => r.kind === "TRIGGER:SCHEDULE").map((r) => r.detail);
    expect(notes.some((d) => /through the runtime/.test(d) && d.includes(`skipped 1 that break the trace limits (seed seq ${String(badSeq)}: the trace is at least 2,097,`))).toBe(true);
  });
});

describe("the functions that write traces check them with the file readers' rules", () => {
  it("ingestInline, ingestBatch and loadSeed refuse what seed --file refuses, naming the field; nothing is written", async () => {
    const c = (client = await open(await freshState(), false));
    const [t] = tracesOf(TICKET, 1);
    const inline = (trace: Record<string, unknown>) => reason(c.mutation(api.daemon.ingest.ingestInline, { trace: trace as never }));

    expect(await inline({ ...t, latencyMs: Infinity })).toBe("trace.latencyMs: must be a finite number >= 0, got Infinity");
    expect(await inline({ ...t, ts: -5 })).toMatch(/^trace\.ts: epoch milliseconds must be a finite number from 0/);
    expect(await inline({ ...t, input: { body: "x".repeat(TRACE_LIMITS.stringBytes + 1) } })).toBe("trace.input.body: a string of 65,537 bytes; a string is at most 65,536 bytes (64 KiB)");
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = { d: deep };
    expect(await inline({ ...t, input: deep })).toMatch(/^trace\.input(\.d)+: nested deeper than 64 levels/);
    expect(await inline({ ...t, input: { ...Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, "y".repeat(64_000)])) } })).toMatch(
      /^trace: the trace is at least 1,0\d\d,\d{3} bytes as JSON; a trace is at most 1,048,576 bytes \(1 MiB\)/,
    );
    expect(await inline({ ...t, bucket: "nope" })).toMatch(/^trace\.bucket: bad bucket key "nope"/);

    const batch = tracesOf(TICKET, 5);
    batch[3] = { ...batch[3], tokensIn: -1 };
    expect(await reason(c.mutation(api.daemon.ingest.ingestBatch, { traces: batch }))).toBe("traces[3].tokensIn: must be a finite number >= 0, got -1");
    // five traces of ~0.9 MiB each: every one within the limit, together over what one call may carry
    const heavy = tracesOf(TICKET, 5).map((x) => ({ ...x, input: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`f${i}`, "y".repeat(62_000)])) }));
    expect(await reason(c.mutation(api.daemon.ingest.ingestBatch, { traces: heavy }))).toMatch(/^traces: 4,\d{3},\d{3} bytes of traces in one call; at most 4,194,304: split the batch$/);
    expect(await reason(c.mutation(api.daemon.replay.loadSeed, { traces: [{ ...seedTrace(checkTraceValue(t, "stored").trace!), latencyMs: -1 }] }))).toBe(
      "traces[0].latencyMs: must be a finite number >= 0, got -1",
    );
    expect((await c.query(api.daemon.ingest.buckets, {})).buckets).toEqual([]);
    expect((await c.query(api.daemon.replay.state, {})).total).toBe(0);

    // at the limits: accepted, and loadSeed (the client) splits heavy traces into calls it may make
    expect(await inline({ ...t, input: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${i}`, "y".repeat(64_000)])) })).toBe("(accepted)");
    const r = await loadSeed(c, heavy.map((x) => seedTrace(checkTraceValue(x, "stored").trace!)));
    expect(r).toEqual({ inserted: 5, skipped: 0, total: 5 });
  });
});
