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
