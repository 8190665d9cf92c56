import type { Command } from "commander";
import { api } from "../contract/api.js";
import type { Doc } from "../contract/api.js";
// Types only at the top: the price table (genai-prices) loads when a report is computed, not with
// every CLI call that registers this command.
import type { PriceOverride } from "../contract/prices.js";
import type { BucketInfo, SavingsReport, UsageWindow } from "../contract/savings.js";
import type { BackendClient } from "../backend/client.js";
import { printable } from "../backend/printable.js";
import { globals, printJson, withClient } from "./common.js";
import { UsageError } from "./errors.js";
import { formatSavingsTable } from "./savingsTable.js";

/**
 * What one CPU-hour of compiling costs when nobody says otherwise: about the on-demand price of one
 * vCPU of a general-purpose cloud machine (e.g. AWS m7i/GCP n2: $0.04-0.05 per vCPU-hour in 2025),
 * rounded up so the break-even is, if anything, later than the real one.
 */
export const DEFAULT_COMPUTE_USD_PER_CPU_HOUR = 0.05;

/** Usage rows the query returns at most (convex/daemon/runtime.ts MAX_USAGE_ROWS). */
const USAGE_PAGE = 2000;
/** Compile jobs read for their timing: the most the compiles.list query gives. */
const JOBS_LIMIT = 500;

/** The one reference to the runtime's usage query (convex/daemon/runtime.ts). */
const USAGE_QUERY = api.daemon.runtime.usage;

export interface SavingsReadOptions {
  overrides?: readonly PriceOverride[];
  /** USD per CPU-hour of compile time (default DEFAULT_COMPUTE_USD_PER_CPU_HOUR). */
  computeUsdPerCpuHour?: number;
}

export interface SavingsRead {
  report: SavingsReport;
  /** Why the report may be short of the whole truth (a capped read), one line each; for stderr. */
  warnings: string[];
}

/**
 * Every usage row: one read of the newest USAGE_PAGE across buckets; when that is full, one read per
 * bucket instead (each again capped, which is then said in the warnings).
 */
export async function readUsage(client: BackendClient, bucketKeys: readonly string[]): Promise<{ rows: UsageWindow[]; warnings: string[] }> {
  const all = await client.query(USAGE_QUERY, { limit: USAGE_PAGE });
  if (all.length < USAGE_PAGE) return { rows: all, warnings: [] };
  const keys = [...new Set([...bucketKeys, ...all.map((r) => r.bucket)])];
  const warnings: string[] = [];
  const rows: UsageWindow[] = [];
  for (const bucket of keys) {
    const some = await client.query(USAGE_QUERY, { bucket, limit: USAGE_PAGE });
    if (some.length === USAGE_PAGE) warnings.push(`${printable(bucket)}: only its newest ${USAGE_PAGE} usage windows are counted`);
    rows.push(...some);
  }
  return { rows, warnings };
}

/**
 * What compiling each bucket cost: the wall-clock time of its finished compile jobs (finishedAt -
 * enqueuedAt, so time spent queued counts too: an upper bound) taken as one CPU busy that long, times
 * `usdPerCpuHour`. Every finished job of the bucket counts (retries, rejected and failed attempts
 * included: all of it was spent on the call site). The backend sums it into the bucket row as each
 * job finishes (buckets.compileMs), which survives the pruning of old jobs. A state from before that
 * sum falls back to the jobs read: there, a bucket with a vault entry whose job is not among them
 * (older than the newest JOBS_LIMIT, or written without a job) has an unknown cost.
 * The compiler's LLM is not charged: the state records no LLM call of a compile (a local model).
 */
export function compileCosts(
  buckets: ReadonlyArray<Pick<Doc<"buckets">, "key" | "compileMs">>,
  jobs: ReadonlyArray<Pick<Doc<"pending_compiles">, "_id" | "bucket" | "enqueuedAt" | "finishedAt">>,
  vault: ReadonlyArray<Pick<Doc<"vault_index">, "bucket" | "jobId">>,
  usdPerCpuHour: number,
): Map<string, { compileCostUsd?: number; compileMs?: number }> {
  const summed = new Map(buckets.flatMap((b) => (b.compileMs === undefined ? [] : [[b.key, b.compileMs] as const])));
  const ms = new Map<string, number>();
  const jobIds = new Set<string>();
  for (const j of jobs) {
    jobIds.add(j._id);
    if (j.finishedAt === undefined) continue;
    ms.set(j.bucket, (ms.get(j.bucket) ?? 0) + Math.max(0, j.finishedAt - j.enqueuedAt));
  }
  const missing = new Set(vault.filter((e) => e.jobId === undefined || !jobIds.has(e.jobId)).map((e) => e.bucket));
  const out = new Map<string, { compileCostUsd?: number; compileMs?: number }>();
  for (const bucket of new Set([...ms.keys(), ...summed.keys(), ...vault.map((e) => e.bucket)])) {
    const spent = summed.get(bucket) ?? (missing.has(bucket) ? undefined : ms.get(bucket));
    if (spent === undefined) out.set(bucket, {});
    else out.set(bucket, { compileMs: spent, compileCostUsd: (spent / 3_600_000) * usdPerCpuHour });
  }
  return out;
}

/** The savings report from the state: usage rows, the buckets' models, the compile jobs' timing. */
export async function readSavings(client: BackendClient, options: SavingsReadOptions = {}): Promise<SavingsRead> {
  const [buckets, jobs, vault] = await Promise.all([
    client.query(api.daemon.ingest.buckets, {}),
    client.query(api.daemon.compiles.list, { limit: JOBS_LIMIT }),
    client.query(api.daemon.vault.list, { limit: 200 }),
  ]);
  const { rows, warnings } = await readUsage(client, buckets.buckets.map((b) => b.key));
  const unsummed = buckets.buckets.some((b) => b.compileMs === undefined && vault.some((e) => e.bucket === b.key));
  if (unsummed && jobs.length === JOBS_LIMIT) warnings.push(`compile cost counts the newest ${JOBS_LIMIT} compile jobs only; buckets with older vault entries show unknown`);
  const costs = compileCosts(buckets.buckets, jobs, vault, options.computeUsdPerCpuHour ?? DEFAULT_COMPUTE_USD_PER_CPU_HOUR);
  const models = new Map(buckets.buckets.map((b) => [b.key, b.model]));
  const info = new Map<string, BucketInfo>();
  // Buckets the runtime served or that have a vault entry (a compile that has not served yet still cost something).
  for (const bucket of new Set([...rows.map((r) => r.bucket), ...vault.map((e) => e.bucket)])) {
    const b: BucketInfo = { ...costs.get(bucket) };
    const model = models.get(bucket);
    if (model !== undefined) b.model = model;
    info.set(bucket, b);
  }
  const { computeSavings } = await import("../contract/savings.js");
  return { report: computeSavings(rows, info, { overrides: options.overrides }), warnings };
}

/** Parses every `--price` (one-line UsageError on the first bad one). */
export async function priceOverrides(values: readonly string[] | undefined): Promise<PriceOverride[]> {
  const { parsePriceOverride } = await import("../contract/prices.js");
  return (values ?? []).map((v) => {
    try {
      return parsePriceOverride(v);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  });
}

export function parseComputePrice(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  const n = Number(t);
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(t) || !Number.isFinite(n)) {
    throw new UsageError(`--compute-price ${JSON.stringify(text)}: expected USD per CPU-hour, a number like 0.05`);
  }
  return n;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerSavings(program: Command): void {
  program
    .command("savings")
    .description("what serving compiled functions saved, per bucket and in total: calls served/deferred/shadowed, coverage, shadow agreement, tokens, money and model latency avoided, break-even N*")
    .option("--price <MODEL=IN/OUT>", "a model's price in USD per million input/output tokens, overriding the price table (repeatable)", collect)
    .option("--compute-price <USD>", `USD per CPU-hour of compile time (default ${DEFAULT_COMPUTE_USD_PER_CPU_HOUR})`)
    .addHelpText(
      "after",
      "\nWhat it shows, per bucket and in total (from the agent runtime's usage windows):\n" +
        "  served     calls a vault function answered; deferred: calls it left to the model\n" +
        "  shadowed   served calls also asked of the model to check agreement: they save\n" +
        "             latency, not tokens or money\n" +
        "  agree      share of checked served calls whose answer matched the model's: the\n" +
        "             shadowed ones, and (in the daemon's replay) every served call, checked\n" +
        "             for free against the recorded answer (these stay savings)\n" +
        "  saved      avoided tokens x the model's price, from the bundled genai-prices table\n" +
        "             by the model of the bucket's traces. A model it does not know shows\n" +
        "             'unknown', never $0: price it with --price MODEL=IN/OUT (USD per\n" +
        "             million input/output tokens; repeatable; the last one for a model wins)\n" +
        "  compile    estimated: the wall-clock time of the bucket's finished compile jobs\n" +
        "             (enqueued to finished, so time queued counts too: an upper bound),\n" +
        `             as one CPU busy that long, x --compute-price (default $${DEFAULT_COMPUTE_USD_PER_CPU_HOUR} per\n` +
        "             CPU-hour, about one on-demand cloud vCPU). Every finished job counts,\n" +
        "             retries and rejected attempts included. The compiler's LLM (a local\n" +
        "             model) is not charged. The backend sums it per bucket as jobs finish;\n" +
        "             in a state from before that sum, a vault entry whose job is no longer\n" +
        "             on record has an unknown compile cost.\n" +
        "  break-even N* = compile cost / saving per call: calls to the bucket to repay the\n" +
        "             compile, at the same coverage and shadow rate\n" +
        "--json prints the report (buckets, total, prices) as one JSON object.\n" +
        "\nExamples:\n  compile-daemon savings\n  compile-daemon savings --price gpt-4o-mini=0.15/0.6 --price my-local-model=0/0\n" +
        "  compile-daemon savings --compute-price 0.10 --json | jq .total",
    )
    .action(async (opts: { price?: string[]; computePrice?: string }, cmd: Command) => {
      const g = globals(cmd);
      // Flags are checked before the state file is opened.
      const overrides = await priceOverrides(opts.price);
      const computeUsdPerCpuHour = parseComputePrice(opts.computePrice);
      const { report, warnings } = await withClient(cmd, (client) => readSavings(client, { overrides, computeUsdPerCpuHour }));
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      if (g.json) printJson(report);
      else process.stdout.write(formatSavingsTable(report));
    });
}
