#!/usr/bin/env node
/**
 * Runs every bench/*.ts in sequence (except _*.ts and .*.ts, scratch files), each with `node --import tsx`,
 * so a bench imports the TypeScript sources it measures; the product itself is driven from dist/,
 * which `npm run bench` builds first. Each bench's output streams through; its last JSON line is collected. Ends with a
 * summary table and one JSON line holding every bench's result.
 *
 *   node bench/run.mjs [--quick] [name ...]     e.g. node bench/run.mjs --quick daemon tui
 *
 * --quick shortens windows and runs (passed on as --quick and BENCH_QUICK=1; BENCH_RUNS=2 unless
 * set). Targets are reported by each bench, not asserted: the exit code is non-zero only when a
 * bench crashes (non-zero exit, a signal, no JSON line, or BENCH_TIMEOUT_S, default 1800 s).
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.filter((a) => !a.startsWith("--"));
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 1800);

const benches = readdirSync(here)
  // A leading underscore or dot marks a scratch or helper file, not a bench.
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("_") && !f.startsWith("."))
  .sort()
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.ts$/, "")));
if (benches.length === 0) {
  console.error(`bench: nothing to run${only.length ? ` (asked for ${only.join(", ")})` : ""}`);
  process.exit(2);
}

const env = { ...process.env };
if (quick) {
  env.BENCH_QUICK = "1";
  env.BENCH_RUNS ??= "2";
}

function runOne(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", path.join("bench", file), ...(quick ? ["--quick"] : [])], { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
    let lastJson;
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      buffered += chunk.toString("utf8");
      let nl;
      while ((nl = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line.startsWith("{")) {
          try {
            lastJson = JSON.parse(line);
          } catch {
            // a table row that happens to start with a brace
          }
        }
      }
    });
    const timer = setTimeout(() => {
      console.error(`bench: ${file} still running after ${timeoutS} s: killing it`);
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ file, code, signal, seconds: (Date.now() - started) / 1000, result: lastJson });
    });
  });
}

const outcomes = [];
for (const file of benches) {
  console.log(`\n=== ${file}${quick ? " (quick)" : ""} ===`);
  outcomes.push(await runOne(file));
}

const crashed = (o) => o.code !== 0 || o.signal !== null || o.result === undefined;
console.log("\n=== summary ===");
const rows = outcomes.map((o) => {
  const met = o.result?.met;
  const missed = met ? Object.entries(met).filter(([, ok]) => !ok).map(([k]) => k) : [];
  return [
    o.file,
    crashed(o) ? `CRASHED (${o.signal ?? `exit ${o.code}`}${o.result === undefined ? ", no JSON line" : ""})` : "ok",
    o.seconds.toFixed(0),
    met ? (missed.length ? `missed: ${missed.join(", ")}` : "all targets met") : "",
  ];
});
const head = ["bench", "status", "seconds", "targets"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
printEvalSummary(outcomes.find((o) => o.file === "eval.ts")?.result);
printFootprintTable(Object.fromEntries(outcomes.map((o) => [o.file.replace(/\.ts$/, ""), o.result])));
console.log(
  JSON.stringify({
    bench: "all",
    quick,
    ok: !outcomes.some(crashed),
    results: Object.fromEntries(outcomes.map((o) => [o.file.replace(/\.ts$/, ""), o.result ?? { crashed: true, code: o.code, signal: o.signal }])),
  }),
);
process.exit(outcomes.some(crashed) ? 1 : 0);

/**
 * bench/eval.ts's figures (real datasets compiled on their first 60 %, measured on the fresh rest),
 * one line per dataset, so the summary shows whether served entries kept their claimed lower bound.
 */
function printEvalSummary(result) {
  if (!Array.isArray(result?.datasets)) return;
  const two = (x) => (typeof x === "number" ? x.toFixed(2) : "-");
  const evalRows = result.datasets.map((d) => [
    d.name,
    d.error ? "ERROR" : d.verdict,
    d.family ?? "-",
    two(d.fresh?.coverage),
    d.fresh?.answered ? `${two(d.fresh.selective)} (${d.fresh.correct}/${d.fresh.answered})` : "-",
    two(d.claimed?.lowerBound),
    d.lowerBoundHeld === null || d.lowerBoundHeld === undefined ? (d.served ? "n/a" : "not served") : d.lowerBoundHeld ? "yes" : "NO",
  ]);
  const evalHead = ["eval dataset", "verdict", "family", "fresh cov", "fresh sel", "claimed LB", "LB held"];
  const w = evalHead.map((h, i) => Math.max(h.length, ...evalRows.map((r) => r[i].length)));
  console.log("");
  for (const r of [evalHead, ...evalRows]) console.log(r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd());
}

/**
 * Issue 13's speed and footprint table: each figure as the issue measured it when it was filed,
 * beside this run's figure, its peer in this run and the goal. A bench not run leaves its rows "-".
 */
function printFootprintTable(r) {
  const n = (x, d = 0) => (typeof x === "number" && Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "-");
  const k = (x) => (typeof x === "number" ? `${n(x / 1000, 1)} k` : "-");
  const ok = (cond) => (cond === undefined ? "-" : cond ? "met" : "MISSED");
  const has = (x) => typeof x === "number" && Number.isFinite(x);
  const e = r.embedded;
  const d = r.daemon;
  const t = r.tui;
  const sizes = r.scale?.results ?? [];
  const seedAt = sizes.find((x) => x.n === 100_000) ?? sizes[sizes.length - 1];
  const largest = sizes[sizes.length - 1];
  const rows = [
    [
      "ingestBatch of 500, traces/s",
      "25.8 k",
      k(e?.embeddedBatchPerS),
      e ? `convex-test ${k(e.convexTestBatchPerS)} (${n(e.embeddedBatchPerS / e.convexTestBatchPerS, 2)}x); raw node:sqlite ${k(e.rawSqliteBatchPerS)} (${n((100 * e.embeddedBatchPerS) / e.rawSqliteBatchPerS)} %)` : "-",
      ">= 4x convex-test, >= 30 % of raw",
      ok(e && e.embeddedBatchPerS >= 4 * e.convexTestBatchPerS && e.embeddedBatchPerS >= 0.3 * e.rawSqliteBatchPerS),
    ],
    [
      "single ingestInline, calls/s",
      "2.3 k",
      k(e?.embeddedInlinePerS),
      e ? `convex-test ${k(e.convexTestInlinePerS)} (${n(e.embeddedInlinePerS / e.convexTestInlinePerS, 2)}x)` : "-",
      ">= 2x convex-test",
      ok(e && e.embeddedInlinePerS >= 2 * e.convexTestInlinePerS),
    ],
    [
      "replay at 1 ms per trace, traces/s",
      "673",
      n(d?.replay?.longPerS),
      d ? `ingestBatch in the same process ${k(d.replay.ingestBatchPerS)}` : "-",
      ">= 1,000",
      ok(d && d.replay.longPerS >= 1000),
    ],
    [
      `replay at speed 0, traces/s${largest ? ` (${n(largest.n)} seeded)` : ""}`,
      "-",
      n(largest?.replaySpeed0PerS),
      "",
      ">= 10,000",
      ok(has(largest?.replaySpeed0PerS) ? largest.replaySpeed0PerS >= 10_000 : undefined),
    ],
    [
      `seed of ${seedAt ? n(seedAt.n) : "100,000"} traces: traces/s, peak RSS MB`,
      "6.3 k (16 s), 409",
      seedAt ? `${k(seedAt.seedPerS)}, ${n(seedAt.seedRssMb)}` : "-",
      has(seedAt?.seedOrderedPerS) ? `as one timeline: ${k(seedAt.seedOrderedPerS)}, ${n(seedAt.seedOrderedRssMb)} MB` : "",
      ">= 50 k/s, <= 200 MB",
      ok(seedAt ? seedAt.seedPerS >= 50_000 && seedAt.seedRssMb <= 200 : undefined),
    ],
    [
      "headless daemon idle (after its work): CPU %, RSS MB",
      "1.2, 169",
      d ? `${n(d.idle.cpuPct, 2)}, ${n(d.idle.rssMaxMb)}` : "-",
      "",
      "<= 0.5 %, <= 120 MB",
      ok(d ? d.idle.cpuPct <= 0.5 && d.idle.rssMaxMb <= 120 : undefined),
    ],
    [
      "console idle after a replay: CPU %, RSS MB",
      "1.8, 267",
      t ? `${n(t.idle.cpuPct, 2)}, ${n(t.idle.rssMaxMb)}` : "-",
      t ? `headless ${n(t.idle.headlessCpuPct, 2)} %, ${n(t.idle.headlessRssMaxMb)} MB` : "-",
      "<= 1 %, <= 150 MB",
      ok(t ? t.idle.cpuPct <= 1 && t.idle.rssMaxMb <= 150 : undefined),
    ],
    [
      "console CPU during a 1 ms replay, %",
      "72.5 (1.04x)",
      t ? `${n(t.replay.cpuPct, 1)} (${n(t.replay.cpuRatioVsHeadless, 2)}x)` : "-",
      t ? `headless ${n(t.replay.headlessCpuPct, 1)} %` : "-",
      "<= 1.1x headless",
      ok(t ? t.replay.cpuRatioVsHeadless <= 1.1 : undefined),
    ],
  ];
  const head = ["issue 13: speed and footprint", "when filed", "this run", "peer, same run", "goal", "verdict"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  console.log("");
  for (const row of [head, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  if (sizes.length > 0 && !sizes.some((x) => x.n === 1_000_000)) console.log("(scale goals are stated at 1M traces: BENCH_SCALE_SIZES=10000,100000,1000000 node bench/run.mjs scale)");
}
