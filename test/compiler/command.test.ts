import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerCompile } from "../../src/commands/compile.js";
import { UsageError } from "../../src/commands/errors.js";
import { learnableRule } from "./datasets.js";

const SEED = "data/acme-agent/traces/seed.jsonl";
const JSON_KEYS = ["bucket", "verdict", "scores", "oracleLowerBound", "baseline", "family", "nTrain", "nHoldout", "reasons", "code"];

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
    const results = lines.map((line) => JSON.parse(line));
    for (const result of results) expect(Object.keys(result)).toEqual(JSON_KEYS);
    const verdicts = Object.fromEntries(results.map((result) => [result.bucket, result.verdict]));
    expect(verdicts).toEqual({
      "acme:normalize_country:v1": "compiled",
      "acme:classify_lead_tier:v1": "compiled",
      "acme:route_ticket:v1": "compiled",
      "acme:summarize_feedback:v1": "rejected",
    });
  });

  it("compiles one bucket with schemas from --agent, in readable form", async () => {
    const out = await runCompile(["--agent", "data/acme-agent", "compile", "--traces", SEED, "--bucket", "acme:classify_lead_tier:v1"]);
    expect(out).toMatch(/^acme:classify_lead_tier:v1 {2}COMPILED {2}family decision_tree/);
    expect(out).toMatch(/oracle [01]\.\d{3} \(lower 0\.\d{3}\)/);
    expect(out).toMatch(/export default function compiled\(input\)/);
  });

  it("works on any traces file, inferring the output schema", async () => {
    const file = tempFile("other.jsonl", learnableRule(200, 0.02).map((trace) => JSON.stringify(trace)).join("\n"));
    const [line] = (await runCompile(["--json", "compile", "--traces", file])).trim().split("\n");
    expect(JSON.parse(line)).toMatchObject({ bucket: "test:approve:v1", verdict: "compiled", family: "decision_tree" });
  });

  it("names the bad line and its reason", async () => {
    const good = JSON.stringify(learnableRule(1, 0)[0]);
    const file = tempFile("bad.jsonl", `${good}\n\n${good.replace('"model":"test-model",', "")}\n`);
    await expect(runCompile(["compile", "--traces", file])).rejects.toThrow(new UsageError(`${file}: line 3: "model" must be a string`));
    const notJson = tempFile("worse.jsonl", `${good}\n{oops\n`);
    await expect(runCompile(["compile", "--traces", notJson])).rejects.toThrow(/line 2: not valid JSON/);
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
    expect(failure?.stderr.trim()).toBe(`compile-daemon: ${file}: line 1: not a JSON object`);
  });
});
