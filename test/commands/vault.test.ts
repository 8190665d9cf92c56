import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { openBackend } from "../../src/backend/open.js";
import { UsageError } from "../../src/commands/errors.js";
import { registerVault } from "../../src/commands/vault.js";

type Verdict = "compiled" | "partial" | "waiting" | "rejected";

const BUCKETS: Record<Verdict, string> = {
  compiled: "acme:extract_company:v1",
  partial: "acme:normalize_country:v1",
  waiting: "acme:classify_lead_tier:v1",
  rejected: "acme:draft_reply:v1",
};

/** Entries the pipeline can write: intervals that hold their estimates, reasons unless compiled. */
function entry(verdict: Verdict) {
  return {
    verdict,
    scores: { schema: 1, det: 1, oracle: 0.968, robustness: 0.99 },
    coverage: verdict === "partial" ? 0.62 : 1,
    selective: { agreement: 0.968, lowerBound: verdict === "waiting" ? 0.722 : 0.89, upperBound: 0.991 },
    oracleLowerBound: 0.89,
    baseline: 0.41,
    family: "lookup",
    code: "export default function compiled(input) {\n  return input.k === 1 ? { code: 'GB' } : undefined;\n}",
    nTraces: 120,
    nTrain: 120,
    nHoldout: 100,
    reasons: verdict === "compiled" ? [] : [`${verdict}: the reason the gate gave`],
    ...(verdict === "partial"
      ? { envelope: { calls: [{ input: { k: 1 }, output: { code: "GB" }, micros: 0.2 }, { input: { k: 2 }, abstained: true, micros: 0.1 }] } }
      : {}),
  };
}

let db: string;

beforeAll(async () => {
  db = path.join(mkdtempSync(path.join(tmpdir(), "vault-cmd-")), "state.db");
  const client = await openBackend({ dbPath: db, convexUrl: "", runCrons: false, runScheduler: false });
  const adminToken = client.adminToken ?? "";
  for (const [verdict, bucket] of Object.entries(BUCKETS) as Array<[Verdict, string]>) {
    await client.mutation(api.daemon.compiles.enqueue, { adminToken, bucket, sha: "s1", reason: "MANUAL" });
    const job = await client.mutation(api.daemon.compiles.claim, { adminToken, owner: "t", leaseMs: 10_000 });
    if (!job) throw new Error("no job");
    await client.mutation(api.daemon.compiles.complete, { adminToken, jobId: job.jobId, claimToken: job.claimToken, entry: entry(verdict) });
  }
  await client.close();
});

afterEach(() => vi.restoreAllMocks());

/** Runs `compile-daemon vault ...` in this process and returns what it wrote. */
async function vault(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true));
  const program = new Command().option("--db <path>").option("--agent <dir>").option("--json").exitOverride();
  registerVault(program);
  await program.parseAsync(["vault", ...args, "--db", db], { from: "user" });
  return out;
}

describe("vault commands", () => {
  it("list shows each verdict with coverage, selective agreement and its lower bound", async () => {
    const { stdout } = await vault("list");
    const header = stdout.split("\n")[0];
    expect(header).toMatch(/bucket\s+verdict\s+coverage\s+selective\s+lower\s+robust\s+family\s+traces\s+sha/);
    expect(stdout).toMatch(/acme:normalize_country:v1\s+partial\s+0\.620\s+0\.968\s+0\.890\s+0\.990\s+lookup\s+120/);
    expect(stdout).toMatch(/acme:classify_lead_tier:v1\s+waiting\s+1\.000\s+0\.968\s+0\.722/);
  });

  it("show prints coverage, the selective interval, robustness, baseline and the reasons", async () => {
    const { stdout } = await vault("show", BUCKETS.partial);
    expect(stdout).toContain("acme:normalize_country:v1  PARTIAL  family lookup  sha s1");
    expect(stdout).toContain("coverage   0.620");
    expect(stdout).toContain("selective  0.968 (95% interval 0.890-0.991)");
    expect(stdout).toContain("baseline   0.410");
    expect(stdout).toContain("robustness 0.990");
    expect(stdout).toContain("  - partial: the reason the gate gave");
    expect(stdout).toContain('  {"k":1} -> {"code":"GB"}');
    expect(stdout).toContain('  {"k":2} -> deferred to the model (undefined)');
  });

  it("export writes a compiled function with the abstention contract in its header", async () => {
    const { stdout, stderr } = await vault("export", BUCKETS.compiled);
    expect(stdout).toContain("// acme:extract_company:v1: compiled by compile-daemon");
    expect(stdout).toContain("// Returns undefined for an input it has no evidence for: the caller then asks the model.");
    expect(stdout).toContain("export default function compiled(input)");
    expect(stderr).toBe("");
  });

  it("export of a partial function works and warns on stderr in one line", async () => {
    const { stdout, stderr } = await vault("export", BUCKETS.partial);
    expect(stdout).toContain("export default function compiled(input)");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("returns undefined on inputs it has no evidence for");
  });

  it("export refuses waiting and rejected entries with their reasons (a usage error: exit 2)", async () => {
    for (const verdict of ["waiting", "rejected"] as const) {
      const err = await vault("export", BUCKETS[verdict]).catch((e: unknown) => e);
      expect(err, verdict).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`${BUCKETS[verdict]} is ${verdict}, not for use (${verdict}: the reason the gate gave): nothing to export`);
    }
  });
});
