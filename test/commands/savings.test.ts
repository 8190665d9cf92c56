import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { openBackend } from "../../src/backend/open.js";
import { registerCtl } from "../../src/commands/ctl.js";
import { UsageError } from "../../src/commands/errors.js";
import { compileCosts, DEFAULT_COMPUTE_USD_PER_CPU_HOUR, registerSavings } from "../../src/commands/savings.js";
import { formatUsd } from "../../src/commands/savingsTable.js";
import { parsePriceOverride } from "../../src/contract/prices.js";
import { computeSavings, type BucketInfo, type SavingsReport, type UsageWindow } from "../../src/contract/savings.js";
import { codeHash } from "../../src/compiler/codeCheck.js";
import { writeVaultEntry } from "../helpers/vaultEntry.js";

/**
 * `compile-daemon savings` against an embedded state file: usage rows written through the runtime's
 * report mutation, vault entries through real compile jobs. The figures must be computeSavings' on
 * the same rows, the compile cost the jobs' enqueued-to-finished time at the compute price.
 */

const PRICED = "acme:extract_company:v1"; // gpt-4o-mini: in the price table
const UNPRICED = "acme:normalize_country:v1"; // a model no table knows
const IDLE = "acme:classify_lead_tier:v1"; // compiled, no runtime traffic yet
const CODE = "export default function compiled(input) {\n  return input.k === 1 ? { code: 'GB' } : undefined;\n}";

const ROWS: UsageWindow[] = [
  { bucket: PRICED, windowStart: 1_700_000_000_000, served: 40, deferred: 2, shadowed: 2, shadowAgree: 2, tokensInAvoided: 8000, tokensOutAvoided: 1200, latencyMsAvoided: 32_000, model: "gpt-4o-mini" },
  { bucket: PRICED, windowStart: 1_700_000_060_000, served: 30, deferred: 1, shadowed: 1, shadowAgree: 0, tokensInAvoided: 6000, tokensOutAvoided: 900, latencyMsAvoided: 24_000, model: "gpt-4o-mini" },
  { bucket: UNPRICED, windowStart: 1_700_000_000_000, served: 10, deferred: 6, shadowed: 0, shadowAgree: 0, tokensInAvoided: 1000, tokensOutAvoided: 200, latencyMsAvoided: 5000, model: "acme-internal-llm" },
];

let db: string;
/** What the test expects as compile info: read from the same jobs, by the documented formula. */
let info: Map<string, BucketInfo>;

beforeAll(async () => {
  db = path.join(mkdtempSync(path.join(tmpdir(), "savings-cmd-")), "state.db");
  const client = await openBackend({ dbPath: db, convexUrl: "", runCrons: false, runScheduler: false });
  try {
    for (const bucket of [PRICED, UNPRICED, IDLE]) {
      const entry = {
        verdict: "compiled" as const,
        scores: { schema: 1, det: 1, oracle: 0.97, robustness: 1 },
        coverage: 1,
        selective: { agreement: 0.97, lowerBound: 0.9, upperBound: 0.99 },
        family: "lookup",
        code: CODE,
        codeHash: codeHash(CODE),
        nTraces: 60,
        reasons: [],
      };
      await writeVaultEntry(client, bucket, "s1", entry);
    }
    await client.mutation(api.daemon.runtime.report, { traces: [], usage: ROWS, checks: [] });
    const jobs = await client.query(api.daemon.compiles.list, { limit: 50 });
    info = new Map();
    for (const j of jobs) {
      const ms = j.finishedAt! - j.enqueuedAt;
      info.set(j.bucket, { compileMs: ms, compileCostUsd: (ms / 3_600_000) * DEFAULT_COMPUTE_USD_PER_CPU_HOUR });
    }
  } finally {
    await client.close();
  }
});

afterEach(() => vi.restoreAllMocks());

/** Runs `compile-daemon <args>` in this process and returns what it wrote. */
async function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true));
  const program = new Command().option("--db <path>").option("--agent <dir>").option("--json").exitOverride();
  registerSavings(program);
  registerCtl(program);
  await program.parseAsync([...args, "--db", db], { from: "user" });
  return out;
}

/** JSON drops `undefined` fields: compare as the command printed it. */
const asJson = (r: SavingsReport) => JSON.parse(JSON.stringify(r)) as unknown;

describe("compileCosts", () => {
  it("takes a bucket's summed compile time when the backend kept one (old jobs may be pruned), else its finished jobs'", () => {
    const jobs = [
      { _id: "j1", bucket: "acme:a:v1", enqueuedAt: 0, finishedAt: 1000 },
      { _id: "j2", bucket: "acme:b:v1", enqueuedAt: 0, finishedAt: 2000 },
    ] as never;
    const vault = [
      { bucket: "acme:a:v1", jobId: "pruned" },
      { bucket: "acme:b:v1", jobId: "j2" },
      { bucket: "acme:c:v1", jobId: "pruned-too" },
    ] as never;
    const costs = compileCosts([{ key: "acme:a:v1", compileMs: 3_600_000 }, { key: "acme:b:v1" }, { key: "acme:c:v1" }], jobs, vault, 0.5);
    expect(costs.get("acme:a:v1")).toEqual({ compileMs: 3_600_000, compileCostUsd: 0.5 });
    expect(costs.get("acme:b:v1")).toEqual({ compileMs: 2000, compileCostUsd: (2000 / 3_600_000) * 0.5 });
    // No sum and its job gone: unknown, never $0.
    expect(costs.get("acme:c:v1")).toEqual({});
  });
});

describe("compile-daemon savings", () => {
  it("--json is computeSavings on the usage rows, compile cost from the jobs' duration at the default compute price", async () => {
    const { stdout } = await run("savings", "--json");
    const report = JSON.parse(stdout) as SavingsReport;
    expect(report).toEqual(asJson(computeSavings(ROWS, info)));
    expect(report.buckets.map((b) => b.bucket)).toEqual([IDLE, PRICED, UNPRICED]);
    const priced = report.buckets.find((b) => b.bucket === PRICED)!;
    expect(priced.served).toBe(70);
    expect(priced.shadowAgreement).toEqual({ rate: 2 / 3, checks: 3 });
    expect(typeof priced.moneyAvoidedUsd).toBe("number");
    expect(priced.moneyAvoidedUsd).toBeGreaterThan(0);
    expect(typeof priced.breakEvenCalls).toBe("number");
    // A model without a price: unknown, never $0, and so is the total (with the priced floor beside it).
    expect(report.buckets.find((b) => b.bucket === UNPRICED)!.moneyAvoidedUsd).toBe("unknown");
    expect(report.total.moneyAvoidedUsd).toBe("unknown");
    expect(report.total.moneyAvoidedPricedUsd).toBe(priced.moneyAvoidedUsd);
    expect(report.total.unpricedBuckets).toEqual([UNPRICED]);
  });

  it("the table shows the same figures, unknown for the unpriced model, and a total line", async () => {
    const { stdout } = await run("savings");
    const expected = computeSavings(ROWS, info);
    const priced = expected.buckets.find((b) => b.bucket === PRICED)!;
    const line = (start: string) => stdout.split("\n").find((l) => l.startsWith(start)) ?? "";
    expect(line(PRICED)).toContain(formatUsd(priced.moneyAvoidedUsd));
    expect(line(PRICED)).toMatch(/\b73\s+70\s+0\.959\s+3\s+0\.667 of 3\b/);
    expect(line(UNPRICED)).toMatch(/acme-internal-llm\s+16\s+10\s+0\.625\s+0\s+-\s+1,000\/200\s+unknown\s+unknown/);
    expect(line("total")).toMatch(/\btotal\s+89\s+80\s+0\.899\b/);
    expect(line("total")).toContain("unknown");
    expect(stdout).toContain("no price for acme-internal-llm");
  });

  it("--price overrides (repeatable) change the money and make the total known", async () => {
    const { stdout } = await run("savings", "--json", "--price", "acme-internal-llm=1/2", "--price", "gpt-4o-mini=10/20");
    const overrides = [parsePriceOverride("acme-internal-llm=1/2"), parsePriceOverride("gpt-4o-mini=10/20")];
    const report = JSON.parse(stdout) as SavingsReport;
    expect(report).toEqual(asJson(computeSavings(ROWS, info, { overrides })));
    const unpriced = report.buckets.find((b) => b.bucket === UNPRICED)!;
    expect(unpriced.moneyAvoidedUsd).toBeCloseTo((1000 * 1 + 200 * 2) / 1e6, 12);
    const priced = report.buckets.find((b) => b.bucket === PRICED)!;
    // Served-not-shadowed share: (40-2)/40 of the first window, (30-1)/30 of the second.
    expect(priced.moneyAvoidedUsd).toBeCloseTo(((8000 * 38) / 40 * 10 + (1200 * 38) / 40 * 20 + (6000 * 29) / 30 * 10 + (900 * 29) / 30 * 20) / 1e6, 12);
    expect(typeof report.total.moneyAvoidedUsd).toBe("number");
    expect(report.prices.find((p) => p.model === "gpt-4o-mini")?.price).toMatchObject({ source: "override", inputPerMTok: 10, outputPerMTok: 20 });
  });

  it("--compute-price scales the compile cost and with it the break-even", async () => {
    const { stdout } = await run("savings", "--json", "--compute-price", "5");
    const report = JSON.parse(stdout) as SavingsReport;
    const scaled = new Map([...info].map(([b, i]) => [b, { ...i, compileCostUsd: (i.compileMs! / 3_600_000) * 5 }]));
    expect(report).toEqual(asJson(computeSavings(ROWS, scaled)));
  });

  it("a bad --price or --compute-price is a one-line usage error (exit 2), before the state file is opened", async () => {
    for (const args of [["--price", "gpt-4o-mini"], ["--price", "gpt-4o-mini=0.15"], ["--price", "m=-1/2"], ["--price", "=1/2"], ["--compute-price", "cheap"]]) {
      const err = await run("savings", ...args).catch((e: unknown) => e);
      expect(err, args.join(" ")).toBeInstanceOf(UsageError);
      expect((err as Error).message, args.join(" ")).not.toContain("\n");
    }
    const err = await run("savings", "--price", "gpt-4o-mini").catch((e: unknown) => e);
    expect((err as Error).message).toBe('--price "gpt-4o-mini": expected MODEL=IN/OUT in USD per million tokens, e.g. "gpt-4o-mini=0.15/0.6"');
  });

  it("ctl status --json carries the same report as `savings`, and the human status prints the table", async () => {
    const status = JSON.parse((await run("ctl", "status", "--json")).stdout) as { savings: SavingsReport };
    expect(status.savings).toEqual(asJson(computeSavings(ROWS, info)));
    const { stdout } = await run("ctl", "status");
    expect(stdout).toContain("savings (default prices");
    expect(stdout).toMatch(/\ntotal\s+89\s+80\s+0\.899/);
  });
});
