/**
 * The headless daemon (`compile-daemon run`), measured from outside as a user would run it:
 *
 * 1. VOLUME -> vault: on fresh state files (the Acme seed traces load on first start, speed
 *    1 ms), the time from each TRIGGER:VOLUME row (its `at`) to the vault entry of that job (its
 *    _creationTime), pooled over the seed buckets of every run. Peer, same run: the one-shot
 *    `compile --traces F --bucket K` command on the very traces that job compiled (wall time of
 *    the process, and the same minus a bare CLI start-up, `--version`).
 * 2. Replay throughput at speed 1 ms: replay position polled every 25 ms by a second client on
 *    the state file; traces/s from the first movement to the end. On the seed file and on a
 *    longer generated replay source (same generator and call-site mix). Peers: the theoretical
 *    1 trace/ms, and ingestBatch of the same traces through the same convex/ functions in process.
 * 3. Idle CPU % (of one core) and RSS of the daemon's process tree over a window (30 s, 5 s with
 *    --quick) once the replay finished and no job is pending or running.
 *
 * Medians over BENCH_RUNS runs (default 3, 2 with --quick). Prints a table, then one JSON line.
 * Run: npm run build && node --import tsx bench/daemon.ts [--quick]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { SEED_COUNTS } from "../data/acme-agent/scripts/generate-seed.js";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { api } from "../convex/_generated/api.js";
import { openEmbeddedRuntime } from "../src/backend/embedded/runtime.js";
import { appModules, appSchema } from "../src/backend/embedded/modules.js";
import { sampleWindow, type Window } from "./lib/proc.js";
import { AGENT, assertBuilt, cli, openReader, replayRate, startHeadless, tempDir, waitSettled, watchReplay, writeSeedFile, type ReplayRate } from "./lib/product.js";
import { fmt, median, pct, printTable, rounded, verdict } from "./lib/stats.js";
import { getFunctionName } from "convex/server";

const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 2 : 3));
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? (QUICK ? 5_000 : 30_000));
const LONG_TRACES = Number(process.env.BENCH_REPLAY_TRACES ?? (QUICK ? 1500 : 4000));
const SPEED_MS = 1;
const SEED_TOTAL = Object.values(SEED_COUNTS).reduce((a, b) => a + b, 0);
const TARGETS = { volumeToVaultP95Ms: 1000, replayPerS: 500, idleCpuPct: 1, rssMb: 150 };

interface VolumeSample {
  bucket: string;
  ms: number;
  verdict: string;
  nTraces: number;
  compileCmdMs: number;
  peerVerdict: string;
}

interface SeedRun {
  volume: VolumeSample[];
  seedReplay: ReplayRate;
  /** spawn to replay end, every seed trace */
  seedEndToEndPerS: number;
  startupToFirstMoveMs: number;
  settleMs: number;
  idle: Window;
  cliStartupMs: number;
}

async function seedRun(run: number): Promise<SeedRun> {
  const t = tempDir("bench-daemon-");
  const t0 = performance.now();
  const d = startHeadless(t.db, SPEED_MS);
  const alive = () => d.child.exitCode === null;
  try {
    // Let the daemon create and seed the state file before a second client opens it.
    while (!d.lines.some((l) => l.event.type === "daemon" && l.event.phase === "started")) {
      if (!alive()) throw new Error(`daemon exited at start-up: ${d.stderr.join("\n")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const reader = await openReader(t.db);
    const samples = await watchReplay(reader, { alive });
    const seedReplay = replayRate(samples, t0);
    const end = samples[samples.length - 1];
    const settleMs = await waitSettled(reader, { minVault: 4, alive, quietMs: 2000 });

    const triggers = await reader.query(api.daemon.triggers.recent, { limit: 500 });
    const vault = await reader.query(api.daemon.vault.list, {});
    const volumeRows = triggers.filter((r) => r.kind === "TRIGGER:VOLUME" && r.jobId).sort((a, b) => a.at - b.at);
    // The job's own "vault: ..." STEP row is written with its vault entry; the entry's _creationTime
    // is not per job (a retried bucket's entry is replaced in place and keeps its first time).
    const vaultSteps = new Map(triggers.filter((r) => r.kind === "STEP" && r.jobId && r.detail.startsWith("vault")).map((r) => [r.jobId!, r]));
    const tracesByBucket = new Map<string, unknown[]>();
    for (const b of new Set(vault.map((v) => v.bucket))) tracesByBucket.set(b, await reader.query(api.daemon.ingest.traces, { bucket: b, limit: 5000 }));
    await reader.close();

    // Idle: the daemon alone, nobody reading the state file.
    const idle = await sampleWindow(d.pid, IDLE_MS);
    if (!alive()) throw new Error("daemon died during the idle window");
    await d.stop();

    // Peer: the one-shot compile command on the traces each bucket's final vault entry learnt from
    // (the bucket's first nTraces, in seq order: a VOLUME job learns from the traces up to the one that fired it).
    const peer = new Map<string, { ms: number; verdict: string }>();
    for (const entry of vault) {
      const traces = (tracesByBucket.get(entry.bucket) ?? []).slice(0, entry.nTraces) as Array<Record<string, unknown>>;
      const file = path.join(t.dir, `${entry.bucket.replace(/[^a-z0-9_]/gi, "_")}.jsonl`);
      // The compile command reads the seed file's format (ISO ts); the database stores epoch ms.
      writeFileSync(file, traces.map(({ bucket, input, output, model, latencyMs, tokensIn, tokensOut, ts }) => JSON.stringify({ bucket, input, output, model, latencyMs, tokensIn, tokensOut, ts: typeof ts === "number" ? new Date(ts).toISOString() : ts })).join("\n") + "\n");
      const c = cli(["compile", "--traces", file, "--bucket", entry.bucket, "--agent", AGENT, "--json"]);
      if (c.code !== 0) process.stderr.write(`bench: compile ${entry.bucket} exited ${c.code}: ${c.stderr.trim()}\n`);
      let verdict = "?";
      try {
        verdict = String((JSON.parse(c.stdout.trim().split("\n").pop() ?? "{}") as { verdict?: string }).verdict ?? "?");
      } catch {
        // left as "?"
      }
      peer.set(entry.bucket, { ms: c.ms, verdict });
    }

    const volume: VolumeSample[] = [];
    for (const row of volumeRows) {
      const step = vaultSteps.get(row.jobId!);
      const entry = vault.find((v) => v.jobId === row.jobId);
      const doneAt = step?.at ?? entry?._creationTime;
      if (doneAt === undefined || !row.bucket) continue;
      volume.push({
        bucket: row.bucket,
        ms: doneAt - row.at,
        verdict: /vault: (\w+)/.exec(step?.detail ?? "")?.[1] ?? entry?.verdict ?? "?",
        nTraces: entry?.nTraces ?? Number.NaN,
        compileCmdMs: peer.get(row.bucket)?.ms ?? Number.NaN,
        peerVerdict: peer.get(row.bucket)?.verdict ?? "?",
      });
    }
    if (volume.length < volumeRows.length) process.stderr.write(`bench: ${volumeRows.length - volume.length} VOLUME job(s) without a vault entry\n`);
    const cliStartupMs = cli(["--version"]).ms;
    if (volume.length === 0) throw new Error("no VOLUME row could be matched to a vault entry");
    process.stderr.write(`bench: run ${run + 1}/${RUNS} seed: ${volume.map((v) => `${v.bucket.split(":")[1]} ${fmt(v.ms)} ms`).join(", ")}; idle ${fmt(idle.cpuPct)} % cpu, ${fmt(idle.rssMaxMb)} MB\n`);
    return {
      volume,
      seedReplay,
      seedEndToEndPerS: (end.position / (end.t - t0)) * 1000,
      startupToFirstMoveMs: seedReplay.firstMoveMs,
      settleMs,
      idle,
      cliStartupMs,
    };
  } finally {
    await d.stop();
    t.done();
  }
}

interface LongRun {
  replay: ReplayRate;
  ingestBatchPerS: number;
}

/** A longer replay source (LONG_TRACES), pre-loaded with `seed --file`, replayed at 1 ms. */
async function longRun(run: number): Promise<LongRun> {
  const t = tempDir("bench-daemon-long-");
  try {
    const file = path.join(t.dir, "long.jsonl");
    writeSeedFile(file, LONG_TRACES);
    const s = cli(["seed", "--file", file, "--db", t.db, "--json"]);
    if (s.code !== 0) throw new Error(`seed failed: ${s.stderr}`);
    const t0 = performance.now();
    const d = startHeadless(t.db, SPEED_MS);
    const alive = () => d.child.exitCode === null;
    try {
      const reader = await openReader(t.db);
      const samples = await watchReplay(reader, { alive, timeoutMs: 300_000 });
      await reader.close();
      const replay = replayRate(samples, t0);
      await d.stop();
      const ingestBatchPerS = await ingestBatchPeer(file, path.join(t.dir, "peer.db"));
      process.stderr.write(`bench: run ${run + 1}/${RUNS} long replay: ${replay.traces} traces in ${fmt(replay.ms)} ms = ${fmt(replay.perS)}/s; ingestBatch ${fmt(ingestBatchPerS)}/s\n`);
      return { replay, ingestBatchPerS };
    } finally {
      await d.stop();
    }
  } finally {
    t.done();
  }
}

/** The same traces through convex/daemon/ingest.ingestBatch in process: what the storage path can take. */
async function ingestBatchPeer(seedFile: string, db: string): Promise<number> {
  const token = "bench-token";
  const rt = openEmbeddedRuntime({ path: db, schema: appSchema, modules: appModules, runCrons: false, runScheduler: false, env: { COMPILE_ADMIN_TOKEN: token } });
  const traces = readFileSync(seedFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const { bucket, input, output, model, latencyMs, tokensIn, tokensOut, ts } = JSON.parse(l) as Record<string, unknown>;
      // The seed file carries ISO timestamps; the ingest validator wants epoch ms.
      return { bucket, input, output, model, latencyMs, tokensIn, tokensOut, ts: typeof ts === "string" ? Date.parse(ts) : ts };
    });
  const name = getFunctionName(api.daemon.ingest.ingestBatch);
  const t0 = performance.now();
  for (let i = 0; i < traces.length; i += 500) await rt.mutation(name, { adminToken: token, traces: traces.slice(i, i + 500) });
  const ms = performance.now() - t0;
  await rt.close();
  return (traces.length / ms) * 1000;
}

async function main(): Promise<void> {
  assertBuilt();
  process.stderr.write(`bench: daemon, ${RUNS} runs, idle window ${IDLE_MS / 1000} s, long replay ${LONG_TRACES} traces${QUICK ? " (quick)" : ""}\n`);
  const seeds: SeedRun[] = [];
  const longs: LongRun[] = [];
  for (let i = 0; i < RUNS; i++) seeds.push(await seedRun(i));
  for (let i = 0; i < RUNS; i++) longs.push(await longRun(i));

  const vol = seeds.flatMap((s) => s.volume);
  const volMs = vol.map((v) => v.ms);
  const cmdMs = vol.map((v) => v.compileCmdMs);
  const startup = median(seeds.map((s) => s.cliStartupMs));
  const byBucket = Object.fromEntries(
    [...new Set(vol.map((v) => v.bucket))].sort().map((b) => {
      const xs = vol.filter((v) => v.bucket === b);
      const last = xs[xs.length - 1];
      return [b, { jobs: xs.length, volumeToVaultMs: median(xs.map((x) => x.ms)), compileCmdMs: median(xs.map((x) => x.compileCmdMs)), verdicts: [...new Set(xs.map((x) => x.verdict))].join("/"), peerVerdict: last.peerVerdict, nTraces: last.nTraces }];
    }),
  );
  const result = {
    runs: RUNS,
    quick: QUICK,
    idleWindowS: IDLE_MS / 1000,
    volumeToVault: {
      samples: vol.length,
      p50Ms: pct(volMs, 50),
      p95Ms: pct(volMs, 95),
      maxMs: Math.max(...volMs),
      compileCmdP50Ms: pct(cmdMs, 50),
      compileCmdP95Ms: pct(cmdMs, 95),
      cliStartupMs: startup,
      compileCmdMinusStartupP50Ms: pct(cmdMs, 50) - startup,
      ratioP50VsCompileCmd: pct(volMs, 50) / pct(cmdMs, 50),
      byBucket,
    },
    replay: {
      seedTraces: SEED_TOTAL,
      seedPerS: median(seeds.map((s) => s.seedReplay.perS)),
      seedEndToEndPerS: median(seeds.map((s) => s.seedEndToEndPerS)),
      spawnToFirstMoveMs: median(seeds.map((s) => s.startupToFirstMoveMs)),
      longTraces: LONG_TRACES,
      longPerS: median(longs.map((l) => l.replay.perS)),
      theoreticalPerS: 1000 / SPEED_MS,
      ratioVsTheoretical: median(longs.map((l) => l.replay.perS)) / (1000 / SPEED_MS),
      ingestBatchPerS: median(longs.map((l) => l.ingestBatchPerS)),
      ratioVsIngestBatch: median(longs.map((l) => l.replay.perS)) / median(longs.map((l) => l.ingestBatchPerS)),
    },
    settleMs: median(seeds.map((s) => s.settleMs)),
    idle: {
      cpuPct: median(seeds.map((s) => s.idle.cpuPct)),
      cpuPctMax: Math.max(...seeds.map((s) => s.idle.cpuPct)),
      rssMedianMb: median(seeds.map((s) => s.idle.rssMedianMb)),
      rssMaxMb: median(seeds.map((s) => s.idle.rssMaxMb)),
    },
    targets: TARGETS,
    met: {} as Record<string, boolean>,
  };
  result.met = {
    volumeToVaultP95: result.volumeToVault.p95Ms <= TARGETS.volumeToVaultP95Ms,
    replay: result.replay.longPerS >= TARGETS.replayPerS,
    idleCpu: result.idle.cpuPct <= TARGETS.idleCpuPct,
    rss: result.idle.rssMaxMb <= TARGETS.rssMb,
  };

  const r = result;
  printTable(
    ["measure", "value", "peer / ratio", "target", "verdict"],
    [
      ["VOLUME->vault p50 (ms)", fmt(r.volumeToVault.p50Ms), `compile cmd p50 ${fmt(r.volumeToVault.compileCmdP50Ms)} ms (${fmt(r.volumeToVault.ratioP50VsCompileCmd)}x)`, "", ""],
      ["VOLUME->vault p95 (ms)", fmt(r.volumeToVault.p95Ms), `compile cmd p95 ${fmt(r.volumeToVault.compileCmdP95Ms)} ms; cli start-up ${fmt(startup)} ms`, `<= ${TARGETS.volumeToVaultP95Ms}`, verdict(r.met.volumeToVaultP95)],
      ...Object.entries(byBucket).map(([b, x]) => [`  ${b.split(":")[1]} (${x.jobs} jobs, ${x.verdicts})`, fmt(x.volumeToVaultMs), `compile cmd ${fmt(x.compileCmdMs)} ms on ${x.nTraces} traces: ${x.peerVerdict}`, "", ""]),
      [`replay, ${SEED_TOTAL} seed (traces/s)`, fmt(r.replay.seedPerS), `spawn->end ${fmt(r.replay.seedEndToEndPerS)}/s; first move ${fmt(r.replay.spawnToFirstMoveMs)} ms after spawn`, "", ""],
      [`replay, ${LONG_TRACES} traces (traces/s)`, fmt(r.replay.longPerS), `${fmt(r.replay.ratioVsTheoretical)}x of 1 trace/ms; ingestBatch ${fmt(r.replay.ingestBatchPerS)}/s (${fmt(r.replay.ratioVsIngestBatch, 3)}x)`, `>= ${TARGETS.replayPerS}`, verdict(r.met.replay)],
      [`idle CPU over ${IDLE_MS / 1000} s (% of a core)`, fmt(r.idle.cpuPct), `worst run ${fmt(r.idle.cpuPctMax)} %`, `<= ${TARGETS.idleCpuPct}`, verdict(r.met.idleCpu)],
      ["RSS idle (MB, max in window)", fmt(r.idle.rssMaxMb), `median ${fmt(r.idle.rssMedianMb)} MB`, `<= ${TARGETS.rssMb}`, verdict(r.met.rss)],
    ],
  );
  console.log(JSON.stringify({ bench: "daemon", ...rounded(result) }));
}

await main();
