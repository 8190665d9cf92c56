import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import fc from "fast-check";
import { afterEach, expect, it, vi } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { openBackend } from "../../src/backend/open.js";
import { UsageError } from "../../src/commands/errors.js";
import { registerSeed } from "../../src/commands/seed.js";
import { loadTraceFile, TraceFormatError } from "../../src/contract/traceReader.js";
import { runCliJson, startDaemonProc, type DaemonProc } from "./cli.js";

/**
 * Random traces files, good and bad lines mixed (seeded, bounded): `seed --file` loads a file whole or
 * writes nothing, never part of a refused one; compile's reader refuses exactly the files seed refuses;
 * and a daemon compiling everything seed accepted never crashes.
 */
const BUCKETS = ["fuzz:alpha:v1", "fuzz:beta:v1", "fuzz:gamma:v1"];
const FUZZ_MS = 25_000;

// ---- good lines: built only from what the rules accept -------------------------------------------
const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(key, tie("json"), { maxKeys: 4 }),
  ),
}));
const isoTs = fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
const goodTrace = fc.record({
  bucket: fc.constantFrom(...BUCKETS),
  input: fc.oneof(fc.dictionary(key, json, { maxKeys: 4 }), json),
  output: fc.oneof(fc.constantFrom("yes", "no", { label: "a" }, { label: "b" }), json),
  model: fc.constantFrom("gpt-4o-mini", "m"),
  latencyMs: fc.oneof(fc.nat(5000), fc.double({ min: 0, max: 1e6, noNaN: true })),
  tokensIn: fc.nat(4000),
  tokensOut: fc.nat(400),
  ts: fc.oneof(isoTs, fc.integer({ min: 0, max: 4_102_444_800_000 })),
});

// ---- bad lines: a good trace with one thing the rules refuse ---------------------------------------
type Line = { text: string; good: boolean };
const good = goodTrace.map((t): Line => ({ text: JSON.stringify(t), good: true }));
const withInput = (t: Record<string, unknown>, raw: string) => JSON.stringify({ ...t, input: "@@" }).replace('"@@"', raw);
const bad = fc
  .tuple(
    goodTrace,
    fc.constantFrom(
      "null",
      "array",
      "number",
      "notJson",
      "missing",
      "negative",
      "infinity",
      "yesterday",
      "feb30",
      "badBucket",
      "emptyModel",
      "proto",
      "dollarKey",
      "nonAsciiKey",
      "deep",
      "longString",
      "loneSurrogate",
      "stringLatency",
    ),
    fc.constantFrom("bucket", "input", "output", "model", "latencyMs", "tokensIn", "tokensOut", "ts"),
    fc.integer({ min: 65, max: 400 }),
  )
  .map(([t, how, field, depth]): Line => {
    const r = t as Record<string, unknown>;
    const text = ((): string => {
      switch (how) {
        case "null":
          return "null";
        case "array":
          return JSON.stringify([t]);
        case "number":
          return "42";
        case "notJson":
          return JSON.stringify(t).slice(0, -1);
        case "missing": {
          const { [field]: _gone, ...rest } = r;
          return JSON.stringify(rest);
        }
        case "negative":
          return JSON.stringify({ ...t, latencyMs: -1 - t.tokensIn });
        case "infinity":
          return JSON.stringify({ ...t, tokensOut: 0 }).replace('"tokensOut":0', '"tokensOut":1e400');
        case "yesterday":
          return JSON.stringify({ ...t, ts: "yesterday" });
        case "feb30":
          return JSON.stringify({ ...t, ts: "2026-02-30T00:00:00Z" });
        case "badBucket":
          return JSON.stringify({ ...t, bucket: "Fuzz Bucket" });
        case "emptyModel":
          return JSON.stringify({ ...t, model: "" });
        case "proto":
          return withInput(r, `{"__proto__":{"polluted":true},"x":${JSON.stringify(t.input)}}`);
        case "dollarKey":
          return JSON.stringify({ ...t, input: { $where: 1 } });
        case "nonAsciiKey":
          return JSON.stringify({ ...t, output: { ñ: 1 } });
        case "deep":
          return withInput(r, "[".repeat(depth) + "]".repeat(depth));
        case "longString":
          return JSON.stringify({ ...t, input: { text: "x".repeat(65_537) } });
        case "loneSurrogate":
          return withInput(r, '"\\udc00"');
        case "stringLatency":
          return JSON.stringify({ ...t, latencyMs: String(t.latencyMs) });
      }
    })();
    return { text, good: false };
  });
const files = fc.record({
  lines: fc.array(fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad }, { weight: 1, arbitrary: fc.constant<Line>({ text: "", good: true }) }), { minLength: 1, maxLength: 25 }),
  crlf: fc.boolean(),
});

// ---- the seed command, in this process (as the CLI registers it) --------------------------------
async function seed(file: string, db: string): Promise<{ ok: true; out: { inserted: number; skipped: number; total: number } } | { ok: false; error: unknown; stderr: string }> {
  const program = new Command().exitOverride().option("--db <path>", "", ".compile/state.db").option("--agent <dir>", "", "data/acme-agent").option("--json");
  registerSeed(program);
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    await program.parseAsync(["node", "compile-daemon", "--json", "--db", db, "seed", "--file", file]);
    return { ok: true, out: JSON.parse(out) as { inserted: number; skipped: number; total: number } };
  } catch (error) {
    return { ok: false, error, stderr: err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

async function replayTotal(db: string): Promise<number | null> {
  if (!existsSync(db)) return null;
  const c = await openBackend({ dbPath: db, convexUrl: "", readOnly: true });
  try {
    return (await c.query(api.daemon.replay.state, {})).total;
  } finally {
    await c.close();
  }
}

const procs: DaemonProc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null) {
      p.child.kill("SIGKILL");
      await p.exited;
    }
  }
});

it("seed writes a random traces file whole or not at all; compile refuses the same files; the daemon survives what seed accepted", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "seed-fuzz-"));
  const db = path.join(dir, "state.db");
  let n = 0;
  let accepted = 0;
  let refused = 0;

  await fc.assert(
    fc.asyncProperty(files, async ({ lines, crlf }) => {
      const file = path.join(dir, `f${n++}.jsonl`);
      writeFileSync(file, lines.map((l) => l.text).join(crlf ? "\r\n" : "\n"));
      const traces = lines.filter((l) => l.text !== "").length;
      const firstBad = lines.findIndex((l) => !l.good);
      const shouldLoad = firstBad === -1 && traces > 0;
      const before = await replayTotal(db);

      const r = await seed(file, db);
      const after = await replayTotal(db);
      const compileRefused = await loadTraceFile(file).then(
        () => false,
        (e: unknown) => e instanceof TraceFormatError,
      );
      expect(compileRefused).toBe(firstBad !== -1);
      if (shouldLoad) {
        expect(r.ok, r.ok ? "" : String((r as { error: unknown }).error)).toBe(true);
        const out = (r as { out: { inserted: number; skipped: number; total: number } }).out;
        expect(out.inserted + out.skipped).toBe(traces);
        expect(after).toBe((before ?? 0) + out.inserted);
        expect(out.total).toBe(after);
        accepted++;
      } else {
        expect(r.ok).toBe(false);
        const { error, stderr } = r as { error: unknown; stderr: string };
        expect(error).toBeInstanceOf(UsageError);
        expect(after).toBe(before); // nothing written: not one trace, not even a state file
        if (firstBad !== -1) expect(`${stderr}\n${(error as Error).message}`).toContain(`${file}:${firstBad + 1}: `);
        refused++;
      }
    }),
    { seed: 20261130, numRuns: 150, interruptAfterTimeLimit: FUZZ_MS, markInterruptAsFailure: false, endOnFailure: true },
  );
  expect(accepted).toBeGreaterThan(5);
  expect(refused).toBeGreaterThan(5);

  // Everything seed accepted, replayed and compiled by a real daemon: it must stay up, and every job
  // must end with a verdict or a reason (none cut off by a lost lease).
  const d = startDaemonProc(db, ["--speed", "1"], { COMPILE_THRESHOLD: "10" });
  procs.push(d);
  type Status = { replay: { position: number; total: number }; jobs: { counts: Record<string, number>; recent: Array<{ bucket: string; status: string; error?: string }> } };
  const status = () => runCliJson<Status>(["ctl", "status", "--db", db]);
  const deadline = Date.now() + 150_000;
  let s = status();
  while (!(s.replay.position === s.replay.total && !s.jobs.counts.pending && !s.jobs.counts.running && s.jobs.recent.length > 0)) {
    expect(d.child.exitCode, d.stderr()).toBeNull();
    if (Date.now() > deadline) throw new Error(`daemon did not settle: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 500));
    s = status();
  }
  expect(d.child.exitCode, d.stderr()).toBeNull();
  expect(d.stderr()).not.toMatch(/FATAL|heap out of memory|Maximum call stack/i);
  for (const job of s.jobs.recent) expect(["done", "rejected"], `${job.bucket}: ${job.status} ${job.error ?? ""}`).toContain(job.status);
}, 240_000);
