import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerCompile } from "../../src/commands/compile.js";
import { UsageError } from "../../src/commands/errors.js";
import { learnableRule } from "./datasets.js";

const SEED = "data/acme-agent/traces/seed.jsonl";
const JSON_KEYS = ["bucket", "verdict", "scores", "coverage", "selective", "robustness", "baseline", "liftPValue", "novel", "oracleLowerBound", "family", "nTrain", "nHoldout", "reasons", "code"];
const VERDICTS = ["compiled", "partial", "waiting", "rejected"];
const GLYPHS: Record<string, string> = { compiled: "✓", partial: "◐", waiting: "…", rejected: "✗" };

interface JsonResult {
  bucket: string;
  verdict: string;
  scores: { schema: number; det: number; oracle: number; robustness: number };
  coverage: { rate: number; lowerBound: number; upperBound: number; answered: number; evaluated: number };
  selective: { agreement: number; lowerBound: number; upperBound: number; correct: number; answered: number };
  robustness: number;
  baseline: number;
  liftPValue: number;
  novel: { synthetic: number; distinct: number; unseen: number; abstained: number };
  oracleLowerBound: number;
  family: string;
  nTrain: number;
  nHoldout: number;
  reasons: string[];
  code: string;
}

/** What every line must say, whatever its verdict (the gate's defaults). */
function expectConsistent(result: JsonResult, nTraces: number) {
  const what = `${result.bucket} ${result.verdict}: ${result.reasons.join("; ")}`;
  expect(VERDICTS, what).toContain(result.verdict);
  expect(result.nTrain, what).toBe(nTraces);
  // Forward-chaining: the later half is evaluated, each call answered or not.
  expect(result.nHoldout, what).toBe(nTraces - Math.ceil(nTraces / 2));
  expect(result.coverage.evaluated, what).toBe(result.nHoldout);
  expect(result.coverage.answered, what).toBeLessThanOrEqual(result.coverage.evaluated);
  expect(result.selective.answered, what).toBe(result.coverage.answered);
  expect(result.selective.correct, what).toBeLessThanOrEqual(result.selective.answered);
  expect(result.coverage.lowerBound, what).toBeLessThanOrEqual(result.coverage.rate);
  expect(result.selective.lowerBound, what).toBeLessThanOrEqual(result.selective.agreement);
  expect(result.oracleLowerBound, what).toBe(result.selective.lowerBound);
  expect(result.robustness, what).toBe(result.scores.robustness);
  expect(result.novel.unseen, what).toBeLessThanOrEqual(result.novel.distinct);
  expect(result.novel.abstained, what).toBeLessThanOrEqual(result.novel.distinct);
  if (result.verdict === "compiled") expect(result.reasons, what).toEqual([]);
  else expect(result.reasons.length, what).toBeGreaterThan(0);
  if (result.verdict === "compiled" || result.verdict === "partial") {
    expect(result.selective.agreement, what).toBeGreaterThanOrEqual(0.9);
    expect(result.selective.lowerBound, what).toBeGreaterThanOrEqual(0.8);
    expect(result.coverage.rate, what).toBeGreaterThanOrEqual(result.verdict === "compiled" ? 0.95 : 0.3);
    for (const axis of ["schema", "det", "robustness"] as const) expect(result.scores[axis], `${what} (${axis})`).toBeGreaterThanOrEqual(0.95);
    expect(result.code, what).toMatch(/^export default function compiled\(input\) \{/m);
  }
}

/** The compile command on a root program with the CLI's global options, stdout captured. */
async function runCompile(args: string[]): Promise<string> {
  const program = new Command().exitOverride().option("--db <path>", "", ".compile/state.db").option("--agent <dir>", "", "data/acme-agent").option("--json");
  registerCompile(program);
  let out = "";
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(["node", "compile-daemon", ...args]);
  } finally {
    write.mockRestore();
  }
  return out;
}

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "compile-cmd-")), name);
  writeFileSync(file, text);
  return file;
}

afterEach(() => vi.restoreAllMocks());

describe("compile-daemon compile", () => {
  it("prints exactly one JSON object per bucket per line with --json", async () => {
    const lines = (await runCompile(["--json", "compile", "--traces", SEED])).trim().split("\n");
    expect(lines).toHaveLength(4);
    const results = lines.map((line) => JSON.parse(line) as JsonResult);
    for (const result of results) expect(Object.keys(result)).toEqual(JSON_KEYS);
    expect(results.map((result) => result.bucket).sort()).toEqual(["acme:classify_lead_tier:v1", "acme:normalize_country:v1", "acme:route_ticket:v1", "acme:summarize_feedback:v1"]);
    const sizes = new Map<string, number>();
    for (const line of readFileSync(SEED, "utf8").trim().split("\n")) {
      const bucket = (JSON.parse(line) as { bucket: string }).bucket;
      sizes.set(bucket, (sizes.get(bucket) ?? 0) + 1);
    }
    for (const result of results) expectConsistent(result, sizes.get(result.bucket) as number);
  });

  it("compiles one bucket with schemas from --agent, in readable form", async () => {
    const bucket = "acme:classify_lead_tier:v1";
    const out = await runCompile(["--agent", "data/acme-agent", "compile", "--traces", SEED, "--bucket", bucket]);
    const [json] = (await runCompile(["--json", "--agent", "data/acme-agent", "compile", "--traces", SEED, "--bucket", bucket])).trim().split("\n");
    const result = JSON.parse(json) as JsonResult;
    // The first line: the verdict's glyph, the bucket, the verdict, the family (the same as --json says).
    const first = out.split("\n")[0];
    expect(first).toBe(`${GLYPHS[result.verdict]} ${bucket}  ${result.verdict.toUpperCase()}  family ${result.family}`);
    expect(out).toMatch(/on \d+ later calls: coverage [01]\.\d{3} \[[01]\.\d{3}, [01]\.\d{3}\]  selective agreement [01]\.\d{3} \[[01]\.\d{3}, [01]\.\d{3}\] \(\d+ of \d+\)  constant baseline [01]\.\d{3}/);
    expect(out).toContain(`on ${result.nHoldout} later calls: coverage ${result.coverage.rate.toFixed(3)}`);
    expect(out).toMatch(/schema [01]\.\d{3}  det [01]\.\d{3}  robustness [01]\.\d{3}/);
    expect(out.split("\n").filter((line) => line.startsWith("  reason: "))).toEqual(result.reasons.map((reason) => `  reason: ${reason}`));
    expect(out).toMatch(/export default function compiled\(input\)/);
  });

  it("works on any traces file, inferring the output schema", async () => {
    const traces = learnableRule(200, 0.02);
    const file = tempFile("other.jsonl", traces.map((trace) => JSON.stringify(trace)).join("\n"));
    const [line] = (await runCompile(["--json", "compile", "--traces", file])).trim().split("\n");
    const result = JSON.parse(line) as JsonResult;
    expect(result).toMatchObject({ bucket: "test:approve:v1", verdict: "compiled", family: "decision_tree", reasons: [] });
    expectConsistent(result, traces.length);
  });

  it("names the bad line and its reason", async () => {
    const good = JSON.stringify(learnableRule(1, 0)[0]);
    const file = tempFile("bad.jsonl", `${good}\n\n${good.replace('"model":"test-model",', "")}\n`);
    await expect(runCompile(["compile", "--traces", file])).rejects.toThrow(new UsageError(`${file}:3: model: missing: the model's name, a string`));
    const notJson = tempFile("worse.jsonl", `${good}\n{oops\n`);
    await expect(runCompile(["compile", "--traces", notJson])).rejects.toThrow(/worse\.jsonl:2: not valid JSON/);
  });

  it("refuses an unknown bucket and a missing file as usage errors", async () => {
    await expect(runCompile(["compile", "--traces", SEED, "--bucket", "acme:nope:v1"])).rejects.toThrow(/no traces for bucket acme:nope:v1/);
    await expect(runCompile(["compile", "--traces", "/no/such/file.jsonl"])).rejects.toBeInstanceOf(UsageError);
  });

  it("exits 2 with a one-line reason through the real CLI", async () => {
    const file = tempFile("bad.jsonl", "[1,2]\n");
    const run = promisify(execFile)(process.execPath, ["--import", "tsx", "src/cli.ts", "compile", "--traces", file]);
    const failure = await run.then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr.trim()).toBe(`compile-daemon: ${file}:1: a trace must be a JSON object, got an array`);
  });
});
