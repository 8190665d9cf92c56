import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, runCliJson, tempDb } from "../e2e/cli.js";

/**
 * `seed --file` and `compile --traces` through the built CLI: every line is checked with the one
 * validator before anything is written; a bad file is refused whole (exit 2, nothing written) with
 * each problem named file:line and field; both commands refuse the same lines for the same reasons.
 */
const SEED = readFileSync(path.join(ROOT, "data/acme-agent/traces/seed.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const dir = mkdtempSync(path.join(tmpdir(), "seed-cmd-"));
let n = 0;
function file(lines: string[], name = `f${n++}.jsonl`): string {
  const f = path.join(dir, name);
  writeFileSync(f, lines.join("\n") + "\n");
  return f;
}
/** Good lines: the example traces with distinct epoch-ms times (so each is a new trace). */
const goodLines = (count: number, from = 0): string[] => Array.from({ length: count }, (_, i) => JSON.stringify({ ...SEED[(from + i) % SEED.length], ts: 1796029217192 + from + i }));
const replayTotal = (db: string): number => runCliJson<{ replay: { total: number } }>(["ctl", "status", "--db", db]).replay.total;
const stderrLines = (s: string) => s.trim().split("\n");

describe("seed --file refuses a bad file whole", () => {
  it("a bad line 550 of 600: exit 2 naming file:550 and the field, no state file created, nothing added to an existing one", () => {
    const lines = goodLines(600);
    lines[549] = lines[549].replace(/"latencyMs":\d+/, '"latencyMs":-3');
    const f = file(lines, "traces.jsonl");
    const fresh = tempDb();
    const r = runCli(["seed", "--file", f, "--db", fresh]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`compile-daemon: ${f}:550: latencyMs: must be a finite number >= 0, got -3; nothing was loaded`);
    expect(existsSync(fresh)).toBe(false);

    const db = tempDb();
    expect(runCli(["seed", "--file", file(goodLines(10, 5000)), "--db", db]).status).toBe(0);
    expect(replayTotal(db)).toBe(10);
    expect(runCli(["seed", "--file", f, "--db", db]).status).toBe(2);
    expect(replayTotal(db)).toBe(10);
    // fixed, the same file loads whole
    lines[549] = goodLines(1, 549)[0];
    const fixed = file(lines);
    expect(runCliJson<{ inserted: number }>(["seed", "--file", fixed, "--db", db]).inserted).toBe(600);
    expect(replayTotal(db)).toBe(610);
  });

  it("lists the first 20 problems, then how many more, then one summary line", () => {
    const lines = goodLines(100);
    for (let i = 10; i < 40; i++) lines[i] = "null";
    const f = file(lines);
    const r = runCli(["seed", "--file", f, "--db", tempDb()]);
    expect(r.status).toBe(2);
    const out = stderrLines(r.stderr);
    expect(out).toHaveLength(22);
    expect(out[0]).toBe(`${f}:11: a trace must be a JSON object, got null`);
    expect(out[19]).toBe(`${f}:30: a trace must be a JSON object, got null`);
    expect(out[20]).toBe("… and 10 more");
    expect(out[21]).toBe(`compile-daemon: ${f}: 30 bad lines (30 problems), the first 20 listed above; nothing was loaded`);
  });

  it("seed and compile check the same rules: numeric ts is fine for both; null, 'yesterday', negative latency, 1e400, deep nesting, __proto__, missing and mistyped fields are refused by both", () => {
    const good = goodLines(6);
    const numericTs = file(good);
    const db = tempDb();
    expect(runCliJson<{ inserted: number }>(["seed", "--file", numericTs, "--db", db]).inserted).toBe(6);
    const compiled = runCli(["compile", "--traces", numericTs, "--json"]);
    expect(compiled.status, compiled.stderr).toBe(0);

    const bad = [
      good[0],
      "null",
      good[1].replace(/"ts":\d+/, '"ts":"yesterday"'),
      good[2].replace(/"latencyMs":\d+/, '"latencyMs":-1'),
      good[3].replace(/"tokensIn":\d+/, '"tokensIn":1e400'),
      "[".repeat(10_000) + "]".repeat(10_000),
      good[4].replace('"input":{', '"input":{"__proto__":{"polluted":true},'),
      good[5].replace(/"model":"[^"]*",/, ""),
      good[5].replace(/"tokensOut":\d+/, '"tokensOut":"7"'),
      "{not json",
    ];
    const f = file(bad);
    const seeded = runCli(["seed", "--file", f, "--db", db]);
    const compiledBad = runCli(["compile", "--traces", f]);
    expect(seeded.status).toBe(2);
    expect(compiledBad.status).toBe(2);
    const listing = stderrLines(seeded.stderr).slice(0, -1);
    expect(stderrLines(compiledBad.stderr).slice(0, -1)).toEqual(listing);
    expect(listing.map((l) => l.slice(f.length + 1))).toEqual([
      "2: a trace must be a JSON object, got null",
      '3: ts: must be an ISO 8601 time like "2026-11-30T09:00:17.192Z", or epoch milliseconds (from 1970 on), got "yesterday"',
      "4: latencyMs: must be a finite number >= 0, got -1",
      "5: tokensIn: must be a finite number >= 0, got Infinity",
      "6: arrays and objects are nested deeper than 64 levels (the trace itself is the first)",
      '7: input.__proto__: the field name "__proto__" is refused: JavaScript objects drop it silently, so the stored trace would differ from the recorded one',
      "8: model: missing: the model's name, a string",
      '9: tokensOut: must be a finite number >= 0, got "7"',
      expect.stringMatching(/^10: not valid JSON \(/),
    ]);
    expect(stderrLines(seeded.stderr).at(-1)).toBe(`compile-daemon: ${f}: 9 bad lines (9 problems), listed above; nothing was loaded`);
    expect(stderrLines(compiledBad.stderr).at(-1)).toBe(`compile-daemon: ${f}: 9 bad lines (9 problems), listed above`);
    // no stack traces, no exit 1
    expect(seeded.stderr).not.toMatch(/RangeError|at .*\.js/);
    expect(replayTotal(db)).toBe(6);
  });

  it("a 50 MB line is refused with its file:line, unread and unloaded", () => {
    const lines = goodLines(3);
    lines[1] = JSON.stringify({ ...SEED[1], ts: 1, input: { body: "a ".repeat(25_000_000) } });
    const f = file(lines);
    const r = runCli(["seed", "--file", f, "--db", tempDb()]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^compile-daemon: ${f.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:2: the line is 50,\\d{3},\\d{3} bytes; a trace is at most 1,048,576 bytes \\(1 MiB\\) as JSON; nothing was loaded$`));
  });
});

describe("seed --file streams: memory stays bounded and the file is checked before the first write", () => {
  /** Writes `count` good lines (and then `tail`) without holding the file in memory. */
  function bigFile(count: number, tail: string[] = []): string {
    const f = path.join(dir, `big${n++}.jsonl`);
    const fd = openSync(f, "w");
    for (let i = 0; i < count; i += 5000) writeSync(fd, goodLines(Math.min(5000, count - i), i).join("\n") + "\n");
    for (const t of tail) writeSync(fd, `${t}\n`);
    closeSync(fd);
    return f;
  }
  // A 64 MB heap holds neither a 55 MB file nor its lines: only a streaming reader gets through.
  const smallHeap = { NODE_OPTIONS: "--max-old-space-size=64" };

  it("200,000 good lines and a bad 200,001st: exit 2 naming line 200001, nothing written", () => {
    const f = bigFile(200_000, ['{"bucket":"acme:route_ticket:v1","input":{},"output":{},"model":"m","latencyMs":1,"tokensIn":1,"tokensOut":1,"ts":"yesterday"}']);
    const db = tempDb();
    const r = runCli(["seed", "--file", f, "--db", db], smallHeap);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`compile-daemon: ${f}:200001: ts: must be an ISO 8601 time like "2026-11-30T09:00:17.192Z", or epoch milliseconds (from 1970 on), got "yesterday"; nothing was loaded`);
    expect(existsSync(db)).toBe(false);
  });

  it("a 20,001-line good file is loaded whole in the same small heap", () => {
    const f = bigFile(20_001);
    const db = tempDb();
    const r = runCli(["seed", "--file", f, "--db", db, "--json"], smallHeap);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ inserted: 20_001, skipped: 0, total: 20_001 });
  });
});
