/**
 * `npm run eval`: does a vault entry keep its promise on data it has never seen? Datasets built from
 * real data that npm packages ship (bench/eval/datasets.ts), each with its ground truth, become the
 * traces of one bucket in a fixed-seed time order. The compiler sees the first 60 % (as a bucket
 * would have them when COMPILE fires); the function it returns then answers the fresh 40 % in the
 * sandbox. Per dataset: the verdict; coverage on fresh calls (share answered: the function returns
 * `undefined` to abstain); selective agreement on fresh calls (share correct among answered) with
 * its Wilson 95 % interval, against the compile result's claimed `selective.lowerBound`; family;
 * compile time. Only `compiled` and `partial` entries are served; the others' figures are shown for
 * what their function would have done. Nothing is asserted: a table, then one JSON line (`met`
 * says whether every served entry held its claimed lower bound on fresh data).
 *
 *   npx tsx bench/eval.ts          (npm run eval; also run by npm run bench)
 */
import { performance } from "node:perf_hooks";
import { canonicalJson, closeSandboxes, compileBucket } from "../src/compiler/index.js";
import { createRng } from "../src/compiler/random.js";
import { evaluateOnce } from "../src/compiler/sandbox/localRunner.js";
import type { CompileResult, Stage2Output, Trace } from "../src/compiler/types.js";
import { loadDatasets, type Dataset, type Example } from "./eval/datasets.js";
import { fmt, printTable, rounded } from "./lib/stats.js";

const SEED = 1;
/** Share of the calls (the earliest) the compiler sees; the rest is fresh. */
const TRAIN_SHARE = 0.6;
/** At most this many calls per dataset (keeps the whole run well under 3 minutes on 2 cores). */
const CAP = 2000;
/** Calls drawn for a `traffic` dataset. */
const TRAFFIC_CALLS = 1500;
/** A compile that takes longer than this is recorded as an error, not waited for. */
const COMPILE_TIMEOUT_MS = 120_000;
const SERVED = new Set(["compiled", "partial"]);


function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Wilson 95 % interval of ok out of n ([0, 1] when n is 0). */
function wilson(ok: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = ok / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, (centre - margin) / (1 + z2 / n)), Math.min(1, (centre + margin) / (1 + z2 / n))];
}

/** The dataset's calls in time order: a seeded shuffle, or Zipf(1) draws over a seeded ranking. */
function callsOf(dataset: Dataset, random: () => number): Example[] {
  const ranked = shuffled(dataset.examples, random);
  if (dataset.order === "distinct") return ranked.slice(0, CAP);
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 0; rank < ranked.length; rank++) cumulative.push((total += 1 / (rank + 1)));
  const calls: Example[] = [];
  for (let i = 0; i < Math.min(TRAFFIC_CALLS, CAP); i++) {
    const target = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    calls.push(ranked[lo]);
  }
  return calls;
}

function tracesOf(bucket: string, calls: Example[], random: () => number): Trace[] {
  const start = Date.UTC(2025, 0, 6, 9, 0, 0);
  return calls.map((call, i) => ({
    bucket,
    input: call.input,
    output: call.output,
    model: "gpt-4o-mini",
    latencyMs: 350 + Math.round(random() * 900),
    tokensIn: 60 + Math.ceil(JSON.stringify(call.input).length / 4),
    tokensOut: 4 + Math.ceil(JSON.stringify(call.output).length / 4),
    ts: new Date(start + i * 45_000).toISOString(),
  }));
}

interface Row {
  name: string;
  source: string;
  kind: string;
  what: string;
  nTrain: number;
  nFresh: number;
  /** Share of fresh calls whose input also appears among the training calls. */
  freshSeen: number;
  verdict: string;
  served: boolean;
  family: string;
  claimed: { coverage: number; selective: number; lowerBound: number };
  fresh: { coverage: number; answered: number; correct: number; failed: number; selective: number; lower: number; upper: number; baseline: number };
  /** Served entries only: fresh selective agreement >= claimed lower bound (null: not served or nothing answered). */
  lowerBoundHeld: boolean | null;
  compileMs: number;
  reasons: string[];
  error?: string;
}

const num = (x: unknown): number => (typeof x === "number" && Number.isFinite(x) ? x : Number.NaN);

async function compileWithTimeout(traces: Trace[], bucket: string): Promise<CompileResult> {
  const signal = AbortSignal.timeout(COMPILE_TIMEOUT_MS);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`compile still running after ${COMPILE_TIMEOUT_MS / 1000} s`)), COMPILE_TIMEOUT_MS + 1000);
  });
  try {
    return await Promise.race([compileBucket(traces, { bucket, llm: false, seed: SEED, signal }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Indexes the function abstained on; a runtime without `abstained` yet returns null where it returned undefined. */
function abstainedOf(out: Stage2Output, n: number): Set<number> {
  if (Array.isArray(out.abstained)) return new Set(out.abstained);
  const failed = new Set(out.failed);
  const set = new Set<number>();
  for (let i = 0; i < n; i++) if (!failed.has(i) && (out.outputs[i] === null || out.outputs[i] === undefined)) set.add(i);
  return set;
}

async function evaluate(dataset: Dataset, index: number): Promise<Row> {
  const random = createRng(SEED * 1000 + index);
  const bucket = `eval:${dataset.name}:v1`;
  const calls = callsOf(dataset, random);
  const traces = tracesOf(bucket, calls, random);
  const nTrain = Math.round(traces.length * TRAIN_SHARE);
  const train = traces.slice(0, nTrain);
  const fresh = traces.slice(nTrain);
  const trainInputs = new Set(train.map((trace) => canonicalJson(trace.input)));
  const freshSeen = fresh.filter((trace) => trainInputs.has(canonicalJson(trace.input))).length / Math.max(1, fresh.length);
  const counts = new Map<string, number>();
  for (const trace of train) {
    const key = canonicalJson(trace.output);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const majority = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const baseline = fresh.filter((trace) => canonicalJson(trace.output) === majority).length / Math.max(1, fresh.length);
  const row: Row = {
    name: dataset.name,
    source: dataset.source,
    kind: dataset.kind,
    what: dataset.what,
    nTrain,
    nFresh: fresh.length,
    freshSeen,
    verdict: "error",
    served: false,
    family: "-",
    claimed: { coverage: Number.NaN, selective: Number.NaN, lowerBound: Number.NaN },
    fresh: { coverage: Number.NaN, answered: 0, correct: 0, failed: 0, selective: Number.NaN, lower: Number.NaN, upper: Number.NaN, baseline },
    lowerBoundHeld: null,
    compileMs: Number.NaN,
    reasons: [],
  };
  try {
    const started = performance.now();
    const result = await compileWithTimeout(train, bucket);
    row.compileMs = performance.now() - started;
    row.verdict = String(result.verdict);
    row.served = SERVED.has(row.verdict);
    row.family = String(result.family ?? "?");
    row.reasons = Array.isArray(result.reasons) ? result.reasons.map(String) : [];
    row.claimed = {
      coverage: num(result.coverage?.rate),
      selective: num(result.selective?.rate ?? result.scores?.oracle),
      lowerBound: num(result.selective?.lowerBound ?? result.oracleLowerBound ?? result.lowerBounds?.oracle),
    };
    if (typeof result.code === "string" && result.code.trim() && fresh.length > 0) {
      const out = await evaluateOnce(
        result.code,
        fresh.map((trace) => trace.input),
      );
      const failed = new Set(out.failed ?? []);
      const abstained = abstainedOf(out, fresh.length);
      let answered = 0;
      let correct = 0;
      fresh.forEach((trace, i) => {
        if (failed.has(i) || abstained.has(i)) return;
        answered++;
        if (canonicalJson(out.outputs[i]) === canonicalJson(trace.output)) correct++;
      });
      const [lower, upper] = wilson(correct, answered);
      row.fresh = {
        coverage: answered / fresh.length,
        answered,
        correct,
        failed: failed.size,
        selective: answered ? correct / answered : Number.NaN,
        lower: answered ? lower : Number.NaN,
        upper: answered ? upper : Number.NaN,
        baseline,
      };
      if (failed.size) row.reasons.unshift(`${failed.size} of ${fresh.length} fresh calls threw or timed out${out.firstError ? ` (first: ${out.firstError})` : ""}`);
      if (row.served && answered > 0 && Number.isFinite(row.claimed.lowerBound)) row.lowerBoundHeld = row.fresh.selective >= row.claimed.lowerBound;
    }
  } catch (err) {
    row.error = err instanceof Error ? err.message : String(err);
  }
  return row;
}

const quick = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const datasets = await loadDatasets();
// Warm the sandbox pool (and the JIT) once, so the first row does not pay for worker start-up.
{
  const warm = datasets[0];
  const random = createRng(SEED);
  await compileWithTimeout(tracesOf("eval:warm-up:v1", callsOf(warm, random).slice(0, 40), random), "eval:warm-up:v1").catch(() => undefined);
}
const rows: Row[] = [];
for (const [index, dataset] of datasets.entries()) rows.push(await evaluate(dataset, index));
await closeSandboxes().catch(() => undefined);

const pctOf = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : "-");
const r2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-");
console.log(
  `compiled on the first ${TRAIN_SHARE * 100} % of each dataset's calls (seeded time order, seed ${SEED}), measured on the fresh rest${quick ? " (--quick changes nothing here)" : ""}`,
);
console.log("cov = share of calls answered (abstain = undefined); sel = share correct among answered; LB = the compile's claimed Wilson lower bound\n");
printTable(
  ["dataset", "kind", "train/fresh", "fresh seen", "verdict", "family", "claimed cov", "claimed sel (LB)", "fresh cov", "fresh sel [95% CI]", "majority", "LB held", "compile ms"],
  rows.map((row) => [
    row.name,
    row.kind,
    `${row.nTrain}/${row.nFresh}`,
    pctOf(row.freshSeen),
    row.error ? "ERROR" : row.verdict,
    row.family,
    r2(row.claimed.coverage),
    `${r2(row.claimed.selective)} (${r2(row.claimed.lowerBound)})`,
    `${r2(row.fresh.coverage)}${row.fresh.failed ? ` (${row.fresh.failed} threw)` : ""}`,
    row.fresh.answered ? `${r2(row.fresh.selective)} [${r2(row.fresh.lower)},${r2(row.fresh.upper)}] ${row.fresh.correct}/${row.fresh.answered}` : "-",
    r2(row.fresh.baseline),
    row.lowerBoundHeld === null ? (row.served ? "n/a" : "not served") : row.lowerBoundHeld ? "yes" : "NO",
    fmt(row.compileMs, 0),
  ]),
);
console.log("\ndatasets:");
for (const row of rows) console.log(`  ${row.name.padEnd(18)} ${row.source}: ${row.what}`);
const notes = rows.filter((row) => row.error || row.reasons.length);
if (notes.length) {
  console.log("\nreasons (first two per dataset):");
  for (const row of notes) {
    if (row.error) console.log(`  ${row.name}: ERROR ${row.error}`);
    for (const reason of row.reasons.slice(0, 2)) console.log(`  ${row.name}: ${reason.length > 200 ? `${reason.slice(0, 197)}...` : reason}`);
  }
}

const served = rows.filter((row) => row.served);
const checked = served.filter((row) => row.lowerBoundHeld !== null);
const errors = rows.filter((row) => row.error).length;
console.log(
  `\nserved entries: ${served.length} of ${rows.length}; lower bound held on fresh data by ${checked.filter((row) => row.lowerBoundHeld).length} of ${checked.length} checked${errors ? `; ${errors} dataset(s) errored` : ""}`,
);
console.log(
  JSON.stringify(
    rounded({
      bench: "eval",
      seed: SEED,
      trainShare: TRAIN_SHARE,
      datasets: rows.map(({ what: _what, kind: _kind, reasons, ...row }) => ({ ...row, reasons: reasons.slice(0, 3) })),
      served: served.length,
      lowerBoundHeld: checked.filter((row) => row.lowerBoundHeld).length,
      lowerBoundChecked: checked.length,
      errors,
      met: { calibrated: checked.every((row) => row.lowerBoundHeld), noErrors: errors === 0 },
    }),
  ),
);
process.exit(errors ? 1 : 0);
