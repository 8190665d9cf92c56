import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkTraceLine, checkTraceValue, nestingOf, parseIsoTime, problemText, stringBytes, TRACE_LIMITS } from "../../convex/lib/traceRules.js";
import { checkTrace } from "../../convex/lib/validate.js";
import { loadTraceFile, parseTraces, readTraceFile, TraceFormatError } from "../../src/contract/traceReader.js";
import { readSeedFile } from "../../src/worker/seed.js";

/**
 * The one validator of traces (convex/lib/traceRules.ts) and the file readers built on it: every
 * line of a file is checked, problems are named line and field, the file is refused whole.
 */
const GOOD = { bucket: "acme:route_ticket:v1", input: { subject: "hi", body: "refund please" }, output: { queue: "billing" }, model: "gpt-4o-mini", latencyMs: 700, tokensIn: 200, tokensOut: 7, ts: "2026-11-30T09:00:17.192Z" };
const line = (over: Record<string, unknown> = {}, drop: string[] = []): string => {
  const t: Record<string, unknown> = { ...GOOD, ...over };
  for (const k of drop) delete t[k];
  return JSON.stringify(t);
};
/** The problems of one line, as `field: reason` texts. */
const problems = (text: string): string[] => checkTraceLine(text, Buffer.byteLength(text)).problems.map(problemText);
const dir = mkdtempSync(path.join(tmpdir(), "traces-test-"));
let n = 0;
const file = (text: string): string => {
  const f = path.join(dir, `t${n++}.jsonl`);
  writeFileSync(f, text);
  return f;
};

describe("the trace rules", () => {
  it("accept a good trace, with ts as an ISO time or epoch milliseconds", () => {
    expect(problems(line())).toEqual([]);
    expect(problems(line({ ts: 1796029217192 }))).toEqual([]);
    expect(checkTraceLine(line(), 0).trace?.ts).toBe(Date.parse(GOOD.ts));
    // output null, input a bare string, nested arrays: any JSON value
    expect(problems(line({ output: null, input: "just text" }))).toEqual([]);
    expect(problems(line({ input: { a: [[1, 2], { b: [true, null] }] } }))).toEqual([]);
  });

  it("name the field and the reason of each problem", () => {
    expect(problems("null")).toEqual(["a trace must be a JSON object, got null"]);
    expect(problems("[1,2]")).toEqual(["a trace must be a JSON object, got an array"]);
    expect(problems('"text"')).toEqual(['a trace must be a JSON object, got "text"']);
    expect(problems("{oops")[0]).toMatch(/^not valid JSON \(/);
    expect(problems(line({ latencyMs: -3 }))).toEqual(["latencyMs: must be a finite number >= 0, got -3"]);
    expect(problems(line().replace('"latencyMs":700', '"latencyMs":1e400'))).toEqual(["latencyMs: must be a finite number >= 0, got Infinity"]);
    expect(problems(line({ tokensIn: "200" }))).toEqual(['tokensIn: must be a finite number >= 0, got "200"']);
    expect(problems(line({ ts: "yesterday" }))).toEqual([
      'ts: must be an ISO 8601 time like "2026-11-30T09:00:17.192Z", or epoch milliseconds (from 1970 on), got "yesterday"',
    ]);
    expect(problems(line({ ts: -1 }))[0]).toMatch(/^ts: epoch milliseconds must be a finite number from 0 to/);
    expect(problems(line({ ts: 1e300 }))[0]).toMatch(/^ts: epoch milliseconds/);
    expect(problems(line({ ts: true }))[0]).toMatch(/^ts: must be an ISO 8601 time/);
    expect(problems(line({}, ["ts"]))).toEqual(['ts: missing: an ISO 8601 time like "2026-11-30T09:00:17.192Z", or epoch milliseconds']);
    expect(problems(line({}, ["input"]))).toEqual(["input: missing: any JSON value (null included)"]);
    expect(problems(line({ model: "" }))).toEqual(['model: must be a non-empty string of at most 200 characters, got ""']);
    expect(problems(line({ bucket: "Acme:x" }))[0]).toMatch(/^bucket: bad bucket key "Acme:x"/);
    // several problems of one line are all named
    expect(problems('{"bucket":"acme:x:v1"}')).toEqual([
      "model: missing: the model's name, a string",
      "latencyMs: missing: a finite number >= 0",
      "tokensIn: missing: a finite number >= 0",
      "tokensOut: missing: a finite number >= 0",
      'ts: missing: an ISO 8601 time like "2026-11-30T09:00:17.192Z", or epoch milliseconds',
      "input: missing: any JSON value (null included)",
      "output: missing: any JSON value (null included)",
    ]);
  });

  it("check values inside input and output: finite numbers, field names, strings", () => {
    expect(problems(line({ input: { a: { b: [1, 2] } } }).replace("[1,2]", "[1,-1e999]"))).toEqual([
      "input.a.b[1]: must be a finite number, got -Infinity (a JSON number beyond ±1.8e308 overflows)",
    ]);
    // __proto__ is refused, not dropped: JSON.parse keeps it as an own field, JavaScript objects built from it would not
    expect(problems(line().replace('"input":{', '"input":{"__proto__":{"x":1},'))).toEqual([
      'input.__proto__: the field name "__proto__" is refused: JavaScript objects drop it silently, so the stored trace would differ from the recorded one',
    ]);
    expect(problems(line({ output: { $ref: 1 } }))).toEqual(['output["$ref"]: a field name starting with $ (reserved by Convex)']);
    expect(problems(line({ input: { "": 1 } }))).toEqual(['input[""]: an empty field name (Convex field names are non-empty)']);
    expect(problems(line({ input: { café: 1 } }))).toEqual(['input["café"]: a field name with a character other than printable ASCII (a Convex rule)']);
    expect(problems(line({ input: { "a b": 1 } }))).toEqual([]);
    expect(problems(line().replace('"hi"', '"\\ud800"'))).toEqual(["input.subject: a string with a lone UTF-16 surrogate (not valid Unicode)"]);
    // "constructor" and "prototype" are ordinary data
    expect(problems(line({ input: { constructor: "x", prototype: 1 } }))).toEqual([]);
  });

  it("enforce the limits: 64 KiB per string, nesting 64, 1 MiB per trace, Convex's array and object sizes", () => {
    const max = TRACE_LIMITS.stringBytes;
    expect(problems(line({ input: { body: "x".repeat(max) } }))).toEqual([]);
    expect(problems(line({ input: { body: "x".repeat(max + 1) } }))).toEqual([`input.body: a string of 65,537 bytes; a string is at most 65,536 bytes (64 KiB)`]);
    // bytes, not characters: 'é' is two
    expect(problems(line({ input: { body: "é".repeat(max / 2 + 1) } }))[0]).toMatch(/^input\.body: a string of 65,538 bytes/);

    const nest = (depth: number) => `{"x":`.repeat(depth) + "1" + "}".repeat(depth);
    // the trace is level 1, input's object level 2: 62 more levels fit
    expect(problems(line().replace('"input":{"subject":"hi","body":"refund please"}', `"input":${nest(63)}`))).toEqual([]);
    expect(problems(line().replace('"input":{"subject":"hi","body":"refund please"}', `"input":${nest(64)}`))).toEqual([
      "arrays and objects are nested deeper than 64 levels (the trace itself is the first)",
    ]);
    const deep = "[".repeat(10_000) + "]".repeat(10_000);
    expect(problems(deep)).toEqual(["arrays and objects are nested deeper than 64 levels (the trace itself is the first)"]);
    expect(nestingOf('{"a":"[[[[{{{{"}')).toBe(1); // brackets in strings do not count
    expect(nestingOf('{"a":"\\"[["}')).toBe(1);

    const fields = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, "y".repeat(62_000)]));
    expect(problems(line({ input: fields }))[0]).toMatch(/^the trace is at least 1,0\d\d,\d{3} bytes as JSON; a trace is at most 1,048,576 bytes \(1 MiB\)$/);
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${i}`, "y".repeat(64_000)]));
    expect(problems(line({ input: sixteen }))).toEqual([]);

    expect(problems(line({ input: new Array(8193).fill(0) }))).toEqual(["input: an array of 8193 items; an array holds at most 8192"]);
    expect(problems(line({ input: Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`k${i}`, 0])) }))).toEqual([
      "input: an object of 1025 fields; an object holds at most 1024",
    ]);
    // a line over 4 MiB is refused without being parsed
    expect(checkTraceLine(null, 50_000_000).problems.map(problemText)).toEqual(["the line is 50,000,000 bytes; a trace is at most 1,048,576 bytes (1 MiB) as JSON"]);
  });

  it("count a trace's bytes exactly as JSON.stringify writes it", () => {
    for (const s of ["plain", 'q"uote\\', "tab\tnew\nline\u0001", "é€😀", "\u2028"]) {
      expect(stringBytes(s).json).toBe(Buffer.byteLength(JSON.stringify(s)));
    }
    const t = { ...GOOD, ts: 1796029217192, input: { a: [1, -2.5, true, null, "é"], "b c": { d: "😀" } } };
    const stored = JSON.stringify({ bucket: t.bucket, input: t.input, output: t.output, model: t.model, latencyMs: t.latencyMs, tokensIn: t.tokensIn, tokensOut: t.tokensOut, ts: t.ts });
    expect(checkTraceValue(t, "stored").bytes).toBe(Buffer.byteLength(stored));
  });

  it("parse ISO times strictly (calendar-checked, UTC without a zone)", () => {
    expect(parseIsoTime("2026-11-30T09:00:17.192Z")).toBe(Date.parse("2026-11-30T09:00:17.192Z"));
    expect(parseIsoTime("2026-11-30T09:00:17.192345")).toBe(Date.parse("2026-11-30T09:00:17.192Z"));
    expect(parseIsoTime("2026-11-30T10:00+01:00")).toBe(Date.parse("2026-11-30T09:00Z"));
    expect(parseIsoTime("2026-11-30")).toBe(Date.parse("2026-11-30"));
    for (const bad of ["2026-02-30T00:00Z", "2026-13-01", "2026-11-30T24:00Z", "yesterday", "1", "", "2026-11-30 09:00"]) expect(parseIsoTime(bad), bad).toBeNull();
  });

  it("are the ones the Convex functions check (same reason for the same trace)", () => {
    const stored = { ...GOOD, ts: 1796029217192 };
    const cases: Array<Record<string, unknown>> = [
      { latencyMs: -3 },
      { tokensOut: Infinity },
      { input: { body: "x".repeat(TRACE_LIMITS.stringBytes + 1) } },
      { input: { café: 1 } },
      { bucket: "nope" },
      { model: "" },
    ];
    for (const over of cases) {
      const fromFile = problems(JSON.stringify({ ...stored, ...over }).replace("null", "1e400"));
      let thrown = "";
      try {
        checkTrace({ ...stored, ...over } as never);
      } catch (e) {
        thrown = (e as { data: string }).data;
      }
      expect(thrown, JSON.stringify(over).slice(0, 80)).toBe(`trace.${fromFile[0]}`);
    }
  });

  it("write messages a terminal can print: control characters in values are escaped", () => {
    const [p] = problems(line({ model: 5, bucket: "\u001b]0;pwned\u0007" }));
    expect(p).toContain("\\u001b]0;pwned\\u0007");
    expect(p).not.toMatch(/[\u0000-\u001f]/);
    expect(problems(line({ ts: "\u009b2J" }))[0]).toContain("\\u009b2J");
  });
});

describe("the file readers", () => {
  it("refuse the whole file, naming file:line and field of every problem (the first 20, then how many more)", async () => {
    const lines = Array.from({ length: 600 }, (_, i) => line({ ts: 1796029217192 + i }));
    lines[549] = line({ latencyMs: -3 });
    const f1 = file(lines.join("\n") + "\n");
    const err = await loadTraceFile(f1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TraceFormatError);
    expect((err as TraceFormatError).message).toBe(`${f1}:550: latencyMs: must be a finite number >= 0, got -3`);
    await expect(readSeedFile(f1)).rejects.toThrow(`${f1}:550: latencyMs: must be a finite number >= 0, got -3`);

    for (let i = 100; i < 125; i++) lines[i] = "null";
    const f2 = file(lines.join("\n"));
    const e2 = (await loadTraceFile(f2).catch((e: unknown) => e)) as TraceFormatError;
    expect(e2.total).toBe(26);
    expect(e2.badLines).toBe(26);
    expect(e2.listing()).toHaveLength(21);
    expect(e2.listing()[0]).toBe(`${f2}:101: a trace must be a JSON object, got null`);
    expect(e2.listing()[19]).toBe(`${f2}:120: a trace must be a JSON object, got null`);
    expect(e2.listing()[20]).toBe("… and 6 more");
    expect(e2.message).toBe(`${f2}: 26 bad lines (26 problems)`);
  });

  it("parseTraces (text), loadTraceFile (stream) and readSeedFile agree line for line", async () => {
    const text = [line(), "", "null", line({ ts: "yesterday" }), line({ ts: 1796029217192 }), "  ", line().replace('"latencyMs":700', '"latencyMs":1e400'), "[".repeat(70) + "]".repeat(70)].join("\r\n");
    const f = file(text);
    const fromText = (() => {
      try {
        parseTraces(text, f);
        return null;
      } catch (e) {
        return (e as TraceFormatError).listing();
      }
    })();
    const fromStream = ((await loadTraceFile(f).catch((e: unknown) => e)) as TraceFormatError).listing();
    const fromSeed = ((await readSeedFile(f).catch((e: unknown) => e)) as TraceFormatError).listing();
    expect(fromText).toEqual(fromStream);
    expect(fromSeed).toEqual(fromStream);
    expect(fromStream.map((l) => l.slice(f.length + 1).split(":")[0])).toEqual(["3", "4", "7", "8"]);
  });

  it("keep a good file's traces in order, ts written as ISO or epoch ms read as epoch ms; CRLF, BOM and blank lines are fine", async () => {
    const f = file(`\ufeff${line()}\r\n\r\n${line({ ts: 1796029217192 })}\r\n`);
    const traces = await loadTraceFile(f);
    expect(traces.map((t) => t.ts)).toEqual([Date.parse(GOOD.ts), 1796029217192]);
    const stored = { ...GOOD, ts: Date.parse(GOOD.ts) };
    expect(traces[0]).toEqual(stored);
    expect(parseTraces(`\ufeff${line()}\n`)).toEqual([stored]);
  });

  it("do not hold an over-long line: it is counted and refused", async () => {
    const huge = line({ input: { body: "z".repeat(5 * 1024 * 1024) } });
    const f = file(`${line()}\n${huge}\n${line()}\n`);
    const entries = [];
    for await (const e of readTraceFile(f)) entries.push(e);
    expect(entries.map((e) => e.line)).toEqual([1, 2, 3]);
    expect(entries[1].problems.map(problemText)).toEqual([`the line is ${Buffer.byteLength(huge).toLocaleString("en-US")} bytes; a trace is at most 1,048,576 bytes (1 MiB) as JSON`]);
    expect(entries[0].trace).not.toBeNull();
    expect(entries[2].trace).not.toBeNull();
  });

  it("refuse a line that is not UTF-8", async () => {
    const f = path.join(dir, "latin1.jsonl");
    writeFileSync(f, Buffer.concat([Buffer.from(`${line()}\n`), Buffer.from([0x7b, 0xe9, 0x7d, 0x0a])]));
    await expect(loadTraceFile(f)).rejects.toThrow(`${f}:2: not valid UTF-8 text`);
  });
});
