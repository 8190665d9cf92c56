import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, runCliJson, tempDb } from "../e2e/cli.js";

/**
 * `seed --file` and `compile --traces` through the built CLI on the foreign formats: both detect the
 * format (or take --format), both refuse a file in no known format with exit 2 and one line.
 */
const FIXTURES = "test/fixtures/formats";
const dir = mkdtempSync(path.join(tmpdir(), "formats-cmd-"));

describe("trace formats through the CLI", () => {
  it("seed --file loads each fixture (detected, or named with --format), once", () => {
    const db = tempDb();
    let total = 0;
    for (const format of ["otel", "vercel-ai", "langfuse", "helicone", "openpipe"]) {
      const file = path.join(FIXTURES, `${format}.jsonl`);
      const first = runCliJson<{ inserted: number; total: number }>(["seed", "--file", file, "--db", db, "--json"]);
      total += 4;
      expect(first, format).toMatchObject({ inserted: 4, total });
      expect(runCliJson<{ inserted: number; skipped: number }>(["seed", "--file", file, "--format", format, "--db", db, "--json"]), format).toMatchObject({ inserted: 0, skipped: 4 });
    }
  });

  it("compile --traces reads a fixture, with or without --format, to the same report", () => {
    const file = path.join(FIXTURES, "langfuse.jsonl");
    const a = runCli(["--json", "compile", "--traces", file]);
    const b = runCli(["--json", "compile", "--traces", file, "--format", "langfuse"]);
    expect(a.status).toBe(0);
    expect(JSON.parse(a.stdout.trim())).toMatchObject({ bucket: "langfuse:classify_sentiment:v3", nTrain: 4 });
    expect(b.stdout).toBe(a.stdout);
  });

  it("refuses an unknown format, and an unknown --format, with exit 2 and one line", () => {
    const file = path.join(dir, "unknown.jsonl");
    writeFileSync(file, '{"prompt":"hi","completion":"hello"}\n');
    const reason = `compile-daemon: ${file}: unknown trace format (the first record has fields prompt, completion); name it with --format jsonl|otel|vercel-ai|langfuse|helicone|openpipe`;
    for (const args of [["compile", "--traces", file], ["seed", "--file", file, "--db", tempDb()]]) {
      const r = runCli(args);
      expect(r.status, args[0]).toBe(2);
      expect(r.stderr.trim(), args[0]).toBe(reason);
    }
    const bad = runCli(["compile", "--traces", file, "--format", "csv"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("compile-daemon: --format must be one of jsonl, otel, vercel-ai, langfuse, helicone, openpipe, got csv");
  });
});
