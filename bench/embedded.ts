/**
 * The embedded runtime against convex-test (the in-memory reference) and raw node:sqlite (the
 * physical ceiling), same workload through the same convex/ functions. Medians of BENCH_RUNS runs
 * (default 3). Prints a table, then one JSON line. Run: npx tsx bench/embedded.ts
 * (--quick or BENCH_QUICK=1: 5,000 traces instead of 20,000; BENCH_TRACES overrides).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { DatabaseSync } from "node:sqlite";
import { convexTest } from "convex-test";
import { getFunctionName, makeFunctionReference, type FunctionReference } from "convex/server";
import { api } from "../convex/_generated/api.js";
import schema from "../convex/schema.js";
import { openEmbeddedRuntime, type EmbeddedRuntime } from "../src/backend/embedded/runtime.js";
import { appModules, appSchema } from "../src/backend/embedded/modules.js";

const QUICK = process.env.BENCH_QUICK === "1" || process.argv.includes("--quick");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const N = Number(process.env.BENCH_TRACES ?? (QUICK ? 5_000 : 20_000));
const BATCH = 500;
const TOKEN = "bench-token";
const BUCKETS = ["acme:classify_lead_tier:v1", "acme:route_ticket:v1", "acme:extract_contact:v1", "acme:score_intent:v1"];

type Trace = { bucket: string; input: unknown; output: unknown; model: string; latencyMs: number; tokensIn: number; tokensOut: number; ts: number };

function trace(i: number): Trace {
  return {
    bucket: BUCKETS[i % BUCKETS.length],
    input: { company: `c${i}`, employees: (i * 37) % 5000, note: "inbound demo request" },
    output: { tier: i % 3 === 0 ? "enterprise" : "smb" },
    model: "gpt-4o-mini",
    latencyMs: 400 + (i % 300),
    tokensIn: 120,
    tokensOut: 8,
    ts: 1_760_000_000_000 + i,
  };
}

/** What each backend must offer the workloads. */
interface Target {
  mutation(name: string, args: Record<string, unknown>): Promise<unknown>;
  query(name: string, args: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

const inlineName = getFunctionName(api.daemon.ingest.ingestInline);
const batchName = getFunctionName(api.daemon.ingest.ingestBatch);
const tracesName = getFunctionName(api.daemon.ingest.traces);

function tempPath(): { file: string; done: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-embedded-"));
  return { file: path.join(dir, "state.db"), done: () => rmSync(dir, { recursive: true, force: true }) };
}

function embedded(): Target & { rt: EmbeddedRuntime } {
  const t = tempPath();
  const rt = openEmbeddedRuntime({ path: t.file, schema: appSchema, modules: appModules, runCrons: false, runScheduler: false, env: { COMPILE_ADMIN_TOKEN: TOKEN } });
  return {
    rt,
    mutation: (n, a) => rt.mutation(n, a),
    query: (n, a) => rt.query(n, a),
    close: async () => {
      await rt.close();
      t.done();
    },
  };
}

const ctModules: Record<string, () => Promise<unknown>> = {
  "../convex/_generated/api.js": () => import("../convex/_generated/api.js"),
  "../convex/_generated/server.js": () => import("../convex/_generated/server.js"),
  "../convex/schema.ts": () => import("../convex/schema.js"),
  "../convex/daemon/replay.ts": () => import("../convex/daemon/replay.js"),
  "../convex/daemon/ingest.ts": () => import("../convex/daemon/ingest.js"),
  "../convex/daemon/compiles.ts": () => import("../convex/daemon/compiles.js"),
  "../convex/daemon/vault.ts": () => import("../convex/daemon/vault.js"),
  "../convex/daemon/heartbeat.ts": () => import("../convex/daemon/heartbeat.js"),
  "../convex/daemon/control.ts": () => import("../convex/daemon/control.js"),
  "../convex/daemon/triggers.ts": () => import("../convex/daemon/triggers.js"),
};

function reference(): Target {
  process.env.COMPILE_ADMIN_TOKEN = TOKEN;
  // convex-test resolves functions by reference; names map back through anyApi-style paths.
  const t = convexTest(schema, ctModules as Record<string, () => Promise<any>>); // eslint-disable-line @typescript-eslint/no-explicit-any -- convex-test's own module type
  // The workloads name functions by path; convex-test takes references.
  const ref = (name: string): FunctionReference<"mutation" | "query"> => makeFunctionReference(name);
  return {
    mutation: (n, a) => t.mutation(ref(n) as FunctionReference<"mutation">, a),
    query: (n, a) => t.query(ref(n) as FunctionReference<"query">, a),
    close: async () => undefined,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function ingestInline(open: () => Target, n: number): Promise<number> {
  const t = open();
  const ms = await timed(async () => {
    for (let i = 0; i < n; i++) await t.mutation(inlineName, { adminToken: TOKEN, trace: trace(i) });
  });
  await t.close();
  return (n / ms) * 1000;
}

async function load(t: Target, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i += BATCH) {
    const traces = Array.from({ length: Math.min(BATCH, from + n - i) }, (_, k) => trace(i + k));
    await t.mutation(batchName, { adminToken: TOKEN, traces });
  }
}

async function ingestBatch(open: () => Target, n: number): Promise<number> {
  const t = open();
  const ms = await timed(() => load(t, n));
  await t.close();
  return (n / ms) * 1000;
}

function rawSqlite(n: number, batch: number): number {
  const t = tempPath();
  const db = new DatabaseSync(t.file);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  db.exec("CREATE TABLE traces (id TEXT PRIMARY KEY, doc TEXT NOT NULL, k BLOB); CREATE INDEX traces_k ON traces (k)");
  const ins = db.prepare("INSERT INTO traces (id, doc, k) VALUES (?, ?, ?)");
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    db.exec("BEGIN IMMEDIATE");
    for (let k = i; k < Math.min(n, i + batch); k++) ins.run(`id${k}`, JSON.stringify(trace(k)), Buffer.from(String(k).padStart(8, "0")));
    db.exec("COMMIT");
  }
  const ms = performance.now() - t0;
  db.close();
  t.done();
  return (n / ms) * 1000;
}

/** Commit-to-callback: from calling the mutation until all 10 subscriptions have seen its result. */
async function latency(samples: number): Promise<{ p50: number; p99: number }> {
  const t = embedded();
  await load(t, 1000);
  const subs = 10;
  let pending = 0;
  let done: () => void = () => undefined;
  const onResult = (): void => {
    if (pending > 0 && --pending === 0) done();
  };
  const unsubs: (() => void)[] = [];
  for (let i = 0; i < subs; i++) {
    if (i % 2 === 0) unsubs.push(t.rt.subscribe(getFunctionName(api.daemon.ingest.buckets), {}, onResult));
    else unsubs.push(t.rt.subscribe(getFunctionName(api.daemon.triggers.recent), { limit: 5 + i }, onResult));
  }
  await new Promise((r) => setTimeout(r, 50));
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    pending = subs;
    const seen = new Promise<void>((r) => (done = r));
    const t0 = performance.now();
    await t.mutation(inlineName, { adminToken: TOKEN, trace: trace(10_000 + i) });
    await seen;
    times.push(performance.now() - t0);
  }
  for (const u of unsubs) u();
  await t.close();
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

async function rangeRead(open: () => Target, sizes: number[]): Promise<number[]> {
  const t = open();
  const out: number[] = [];
  let loaded = 0;
  for (const size of sizes) {
    await load(t, size - loaded, loaded);
    loaded = size;
    const reps = 50;
    const ms = await timed(async () => {
      for (let i = 0; i < reps; i++) await t.query(tracesName, { bucket: BUCKETS[i % BUCKETS.length], limit: 100 });
    });
    out.push(ms / reps);
  }
  await t.close();
  return out;
}

async function runs<T>(fn: () => Promise<T> | T): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < RUNS; i++) out.push(await fn());
  return out;
}

async function main(): Promise<void> {
  const ctInlineN = Number(process.env.BENCH_CT_INLINE ?? N);
  const result = {
    runs: RUNS,
    traces: N,
    embeddedInlinePerS: median(await runs(() => ingestInline(embedded, N))),
    convexTestInlinePerS: median(await runs(() => ingestInline(reference, ctInlineN))),
    rawSqliteInlinePerS: median(await runs(() => rawSqlite(N, 1))),
    embeddedBatchPerS: median(await runs(() => ingestBatch(embedded, N))),
    convexTestBatchPerS: median(await runs(() => ingestBatch(reference, N))),
    rawSqliteBatchPerS: median(await runs(() => rawSqlite(N, BATCH))),
    latency: { p50: 0, p99: 0 },
    embeddedRead10kMs: 0,
    embeddedRead100kMs: 0,
    convexTestRead10kMs: 0,
    convexTestRead100kMs: 0,
  };
  const lat = await runs(() => latency(200));
  result.latency = { p50: median(lat.map((l) => l.p50)), p99: median(lat.map((l) => l.p99)) };
  const er = await runs(() => rangeRead(embedded, [10_000, 100_000]));
  result.embeddedRead10kMs = median(er.map((r) => r[0]));
  result.embeddedRead100kMs = median(er.map((r) => r[1]));
  const cr = await runs(() => rangeRead(reference, [10_000, 100_000]));
  result.convexTestRead10kMs = median(cr.map((r) => r[0]));
  result.convexTestRead100kMs = median(cr.map((r) => r[1]));

  const f = (x: number): string => x.toFixed(x >= 100 ? 0 : 2);
  const rows: [string, string, string, string, string][] = [
    ["ingestInline (mut/s)", f(result.embeddedInlinePerS), f(result.convexTestInlinePerS), f(result.rawSqliteInlinePerS), `${f(result.embeddedInlinePerS / result.convexTestInlinePerS)}x ct; target >= 3000/s`],
    ["ingestBatch 500 (traces/s)", f(result.embeddedBatchPerS), f(result.convexTestBatchPerS), f(result.rawSqliteBatchPerS), `${f(result.embeddedBatchPerS / result.convexTestBatchPerS)}x ct; target >= 50000/s`],
    ["commit->10 callbacks p50 (ms)", f(result.latency.p50), "n/a", "n/a", ""],
    ["commit->10 callbacks p99 (ms)", f(result.latency.p99), "n/a", "n/a", "target <= 5 ms"],
    ["range read @10k (ms)", f(result.embeddedRead10kMs), f(result.convexTestRead10kMs), "", ""],
    ["range read @100k (ms)", f(result.embeddedRead100kMs), f(result.convexTestRead100kMs), "", `${f(result.embeddedRead100kMs / result.embeddedRead10kMs)}x of 10k; target <= 1.5x`],
  ];
  const head: [string, string, string, string, string] = ["workload", "embedded", "convex-test", "raw sqlite", "ratio / target"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
  console.log(JSON.stringify({ bench: "embedded", ...result }));
}

await main();
