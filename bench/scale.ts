/**
 * How the product behaves as the state grows (issue 13, "Scale"). For each size N (default 10k and
 * 100k traces; BENCH_SCALE_SIZES=10000,100000,1000000 for the full table, which takes a
 * while), on a fresh state file:
 *
 * - seed: N generated Acme traces (same generator and call-site mix as the shipped seed) written to
 *   a file and loaded with `compile-daemon seed --file` (the streaming path): traces/s and the peak
 *   RSS of that process; twice: the generator's stretch of days repeated every 20,000 traces (the
 *   state the rest measures), and the same count as one continuous timeline (see writeTraces);
 * - the same N traces recorded as the bucket's traces (ingestBatch in batches of 1000, in this
 *   process, with VOLUME held back by a huge COMPILE_THRESHOLD so nothing compiles meanwhile): the
 *   state a daemon has after replaying them;
 * - `ctl status --json`: median wall time of 5 runs; peer: `compile-daemon --version` (a bare CLI
 *   start-up, same run);
 * - console first frame: `compile-daemon tui` in a real 100x30 terminal (tmux), process start to the
 *   first frame;
 * - compile of the largest bucket as the daemon does it (5,000 of its traces: the newest half and
 *   the rest spread over its history; the
 *   window the vault entry states): `compile --traces` wall time and peak RSS on those traces;
 * - replay throughput: a headless daemon at 1 ms per trace for BENCH_SCALE_REPLAY_MS (10 s), then
 *   at speed 0 (as fast as possible) from the same start, on a copy of the state file,
 *   traces/s from the first movement, position polled by a second client;
 * - the state file's size (with its WAL).
 * Then each figure's growth ratio between consecutive sizes, against the size ratio: linear or
 * better means ratio <= size ratio. One run per size (the sizes themselves are the repetition; the
 * figures are medians where a figure is repeated). Run: npm run build && node --import tsx bench/scale.ts
 */
import { spawn } from "node:child_process";
import { copyFileSync, createReadStream, createWriteStream, existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { generateTraces } from "../data/acme-agent/scripts/generate-seed.js";
import { openBackend } from "../src/backend/open.js";
import { api } from "../src/contract/api.js";
import { rssMb } from "./lib/proc.js";
import { assertBuilt, benchEnv, CLI_ARGV, cli, seedMix, openReader, replayRate, replayState, tempDir, type PositionSample } from "./lib/product.js";
import { fmt, median, printTable, rounded, sleep, verdict } from "./lib/stats.js";
import { hasTmux, TmuxConsole } from "./lib/tmux.js";

const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const SIZES = (process.env.BENCH_SCALE_SIZES ?? (QUICK ? "5000,20000" : "10000,100000")).split(",").map(Number);
const REPLAY_MS = Number(process.env.BENCH_SCALE_REPLAY_MS ?? (QUICK ? 4000 : 10_000));
/** What one compile learns from (src/worker/pipeline.ts MAX_TRACES): the window a big bucket is compiled on. */
const COMPILE_WINDOW = 5000;
const NO_VOLUME = "1000000000";
const TARGETS_AT_1M = { ctlStatusMs: 200, firstFrameMs: 1000, compileMs: 10_000, compileRssMb: 500, seedPerS: 50_000, seedRssMb: 200 };

/**
 * Writes n traces in the seed's call-site mix, a chunk at a time (1M traces never sit in memory at
 * once). Each chunk is a generated run of days starting at the generator's fixed start: by default
 * the chunks are written as they come, so the file repeats one stretch of time every 20,000 traces
 * (out of time order: the seed's per-batch span read overflows and it looks each trace up alone);
 * with `oneTimeline` each chunk is shifted to follow the one before, as one agent's log would be.
 */
async function writeTraces(file: string, n: number, oneTimeline = false): Promise<void> {
  const out = createWriteStream(file);
  const CHUNK = 20_000;
  let shift = 0;
  for (let done = 0, chunk = 0; done < n; chunk++) {
    const size = Math.min(CHUNK, n - done);
    let lines = generateTraces(1000 + chunk, seedMix(size));
    if (oneTimeline) {
      const times = lines.map((line) => Date.parse((JSON.parse(line) as { ts: string }).ts));
      lines = lines.map((line, i) => JSON.stringify({ ...(JSON.parse(line) as object), ts: new Date(times[i] + shift).toISOString() }));
      shift += times[times.length - 1] - times[0] + 60_000;
    }
    done += lines.length;
    if (!out.write(lines.join("\n") + "\n")) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(r));
}

async function* lines(file: string): AsyncGenerator<string> {
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.trim()) yield line;
}

/** Runs the CLI while sampling its RSS every 50 ms: wall ms and peak RSS (MB). */
async function cliPeak(args: string[], env: NodeJS.ProcessEnv = benchEnv()): Promise<{ code: number; ms: number; peakMb: number; stderr: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...CLI_ARGV, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  let peakMb = 0;
  const timer = setInterval(() => {
    const mb = child.pid === undefined ? undefined : rssMb(child.pid);
    if (mb !== undefined) peakMb = Math.max(peakMb, mb);
  }, 50);
  const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? -1)));
  clearInterval(timer);
  return { code, ms: performance.now() - t0, peakMb, stderr };
}

/** The recorded traces of a daemon that replayed the file (VOLUME held back). */
async function recordTraces(db: string, file: string): Promise<{ ms: number; largest: { key: string; count: number } }> {
  const client = await openBackend({ dbPath: db, convexUrl: "", runCrons: false, runScheduler: false, env: { COMPILE_THRESHOLD: NO_VOLUME } });
  const t0 = performance.now();
  try {
    let batch: unknown[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await client.mutation(api.daemon.ingest.ingestBatch, { traces: batch as never });
      batch = [];
    };
    for await (const line of lines(file)) {
      const trace = JSON.parse(line) as { ts: string };
      batch.push({ ...trace, ts: Date.parse(trace.ts) }); // the file's ISO time, as the backend stores it
      if (batch.length === 1000) await flush();
    }
    await flush();
    const { buckets } = await client.query(api.daemon.ingest.buckets, {});
    const largest = buckets.reduce((a, b) => (b.count > a.count ? b : a));
    return { ms: performance.now() - t0, largest: { key: largest.key, count: largest.count } };
  } finally {
    await client.close();
  }
}

/** The newest COMPILE_WINDOW traces of a bucket, as a traces file (what the daemon's compile reads). */
async function windowFile(db: string, bucket: string, file: string): Promise<number> {
  const client = await openBackend({ dbPath: db, convexUrl: "", runCrons: false, runScheduler: false });
  try {
    const rows = await client.query(api.daemon.ingest.traces, { bucket, limit: COMPILE_WINDOW, spread: true });
    writeFileSync(file, rows.map((r) => JSON.stringify({ bucket: r.bucket, input: r.input, output: r.output, model: r.model, latencyMs: r.latencyMs, tokensIn: r.tokensIn, tokensOut: r.tokensOut, ts: r.ts })).join("\n") + "\n");
    return rows.length;
  } finally {
    await client.close();
  }
}

async function firstFrame(dir: string, db: string): Promise<number | undefined> {
  if (!hasTmux()) return undefined;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG ?? "C.UTF-8", COMPILE_THRESHOLD: NO_VOLUME };
  const c = new TmuxConsole(dir, [process.execPath, ...CLI_ARGV, "tui", "--db", db, "--speed", "60000"], env);
  try {
    await c.start();
    return await c.firstFrameMs();
  } finally {
    await c.quit();
  }
}

/** Traces/s of a headless daemon replaying at `speed` ms per trace (0: as fast as possible), over REPLAY_MS from its first movement. */
async function replayThroughput(db: string, speed: number): Promise<number> {
  const child = spawn(process.execPath, [...CLI_ARGV, "run", "--db", db, "--speed", String(speed)], { env: { ...benchEnv(), COMPILE_THRESHOLD: NO_VOLUME }, stdio: "ignore" });
  const reader = await openReader(db);
  try {
    const samples: PositionSample[] = [];
    const deadline = performance.now() + 60_000;
    let movedAt: number | undefined;
    while (child.exitCode === null && performance.now() < deadline) {
      const s = await replayState(reader).catch(() => undefined);
      if (s) {
        const sample = { t: performance.now(), position: s.position, total: s.total };
        samples.push(sample);
        if (movedAt === undefined && sample.position > samples[0].position) movedAt = sample.t;
        if ((movedAt !== undefined && sample.t - movedAt > REPLAY_MS) || (s.total > 0 && s.position >= s.total)) break;
      }
      await sleep(25);
    }
    return movedAt === undefined ? Number.NaN : replayRate(samples, samples[0].t).perS;
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
    await reader.close();
  }
}

interface SizeResult {
  n: number;
  seedPerS: number;
  seedRssMb: number;
  /** The same count written as one continuous timeline (see writeTraces). */
  seedOrderedPerS: number;
  seedOrderedRssMb: number;
  recordMs: number;
  ctlStatusMs: number;
  startupMs: number;
  firstFrameMs: number | undefined;
  largest: { key: string; count: number };
  compileTraces: number;
  compileMs: number;
  compileRssMb: number;
  replayPerS: number;
  replaySpeed0PerS: number;
  stateMb: number;
}

async function measure(n: number): Promise<SizeResult> {
  const t = tempDir("bench-scale-");
  try {
    const file = path.join(t.dir, "traces.jsonl");
    await writeTraces(file, n);
    const seeded = await cliPeak(["seed", "--file", file, "--db", t.db]);
    if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
    // The same count as one continuous timeline, into a state of its own (then removed).
    const ordered = path.join(t.dir, "ordered.jsonl");
    await writeTraces(ordered, n, true);
    const orderedDb = path.join(t.dir, "ordered.db");
    const seededOrdered = await cliPeak(["seed", "--file", ordered, "--db", orderedDb]);
    if (seededOrdered.code !== 0) throw new Error(`seed (one timeline) failed: ${seededOrdered.stderr}`);
    for (const f of [ordered, orderedDb, `${orderedDb}-wal`, `${orderedDb}-shm`]) rmSync(f, { force: true });
    const recorded = await recordTraces(t.db, file);
    const status = Array.from({ length: 5 }, () => cli(["ctl", "status", "--json", "--db", t.db]));
    if (status.some((s) => s.code !== 0)) throw new Error(`ctl status failed: ${status.find((s) => s.code !== 0)!.stderr}`);
    const startup = Array.from({ length: 5 }, () => cli(["--version"]).ms);
    const frame = await firstFrame(t.dir, t.db);
    const windowed = path.join(t.dir, "window.jsonl");
    const compileTraces = await windowFile(t.db, recorded.largest.key, windowed);
    const compiled = await cliPeak(["compile", "--traces", windowed, "--bucket", recorded.largest.key, "--json"]);
    if (compiled.code !== 0) throw new Error(`compile failed: ${compiled.stderr}`);
    // Speed 0 replays from the same start, on a copy taken before (the 1 ms run moves the position).
    const copy = path.join(t.dir, "speed0.db");
    copyFileSync(t.db, copy);
    if (existsSync(`${t.db}-wal`)) copyFileSync(`${t.db}-wal`, `${copy}-wal`);
    const replayPerS = await replayThroughput(t.db, 1);
    const replaySpeed0PerS = await replayThroughput(copy, 0);
    const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
    const result: SizeResult = {
      n,
      seedPerS: n / (seeded.ms / 1000),
      seedRssMb: seeded.peakMb,
      seedOrderedPerS: n / (seededOrdered.ms / 1000),
      seedOrderedRssMb: seededOrdered.peakMb,
      recordMs: recorded.ms,
      ctlStatusMs: median(status.map((s) => s.ms)),
      startupMs: median(startup),
      firstFrameMs: frame,
      largest: recorded.largest,
      compileTraces,
      compileMs: compiled.ms,
      compileRssMb: compiled.peakMb,
      replayPerS,
      replaySpeed0PerS,
      stateMb: (size(t.db) + size(`${t.db}-wal`)) / 1e6,
    };
    process.stderr.write(`bench: scale ${n}: seed ${fmt(result.seedPerS)}/s ${fmt(result.seedRssMb)} MB (one timeline ${fmt(result.seedOrderedPerS)}/s ${fmt(result.seedOrderedRssMb)} MB); ctl status ${fmt(result.ctlStatusMs)} ms; first frame ${fmt(frame ?? Number.NaN)} ms; compile ${fmt(result.compileMs)} ms ${fmt(result.compileRssMb)} MB; replay ${fmt(replayPerS)}/s (speed 0: ${fmt(replaySpeed0PerS)}/s); state ${fmt(result.stateMb)} MB\n`);
    return result;
  } finally {
    t.done();
  }
}

assertBuilt();
const results: SizeResult[] = [];
for (const n of SIZES) results.push(await measure(n));
await sleep(0);

const head = ["measure", ...results.map((r) => `${r.n.toLocaleString("en-US")} traces`), "growth (size x)"];
const growth = (f: (r: SizeResult) => number | undefined) =>
  results
    .slice(1)
    .map((r, i) => {
      const [a, b] = [f(results[i]), f(r)];
      return a === undefined || b === undefined ? "-" : `${fmt(b / a, 2)}x (${fmt(r.n / results[i].n, 0)}x)`;
    })
    .join(", ");
const row = (label: string, f: (r: SizeResult) => number | undefined, digits?: number): string[] => [
  label,
  ...results.map((r) => {
    const x = f(r);
    return x === undefined ? "n/a" : fmt(x, digits);
  }),
  growth(f),
];
printTable(head, [
  row("seed --file, traces/s (stretches of time repeated)", (r) => r.seedPerS),
  row("seed --file, peak RSS MB", (r) => r.seedRssMb),
  row("seed --file, traces/s (one timeline)", (r) => r.seedOrderedPerS),
  row("seed --file, peak RSS MB (one timeline)", (r) => r.seedOrderedRssMb),
  row("recording the traces (ingestBatch), ms", (r) => r.recordMs),
  row("ctl status --json, ms", (r) => r.ctlStatusMs),
  row("peer: CLI start-up (--version), ms", (r) => r.startupMs),
  row("console first frame, ms", (r) => r.firstFrameMs),
  row("largest bucket, traces", (r) => r.largest.count),
  row("its compile (a 5,000-trace window), ms", (r) => r.compileMs),
  row("its compile, peak RSS MB", (r) => r.compileRssMb),
  row("replay at 1 ms/trace, traces/s", (r) => r.replayPerS),
  row("replay at speed 0 (as fast as possible), traces/s", (r) => r.replaySpeed0PerS),
  row("state file (with WAL), MB", (r) => r.stateMb, 1),
]);
const at1m = results.find((r) => r.n === 1_000_000);
const met = at1m
  ? {
      ctlStatus: at1m.ctlStatusMs <= TARGETS_AT_1M.ctlStatusMs,
      firstFrame: at1m.firstFrameMs === undefined ? undefined : at1m.firstFrameMs <= TARGETS_AT_1M.firstFrameMs,
      compile: at1m.compileMs <= TARGETS_AT_1M.compileMs && at1m.compileRssMb <= TARGETS_AT_1M.compileRssMb,
      seed: at1m.seedPerS >= TARGETS_AT_1M.seedPerS && at1m.seedRssMb <= TARGETS_AT_1M.seedRssMb,
    }
  : undefined;
process.stdout.write(
  met
    ? `goals at 1M: ctl status ${verdict(met.ctlStatus)}, first frame ${verdict(met.firstFrame)}, compile ${verdict(met.compile)}, seed ${verdict(met.seed)}\n`
    : "goals are stated at 1M traces: run with BENCH_SCALE_SIZES=10000,100000,1000000 to check them\n",
);
process.stdout.write(`${JSON.stringify(rounded({ bench: "scale", sizes: SIZES, results, targetsAt1M: TARGETS_AT_1M, met }))}\n`);
