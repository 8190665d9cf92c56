import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as acorn from "acorn";
import { Command } from "commander";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { registerCompile } from "../../src/commands/compile.js";
import { UsageError } from "../../src/commands/errors.js";
import { checkCode } from "../../src/compiler/codeCheck.js";
import { closeSandboxes, compileBucket, createLocalStage2Runner, createQuickJsRunner, type LlmConfig, type Trace } from "../../src/compiler/index.js";
import { product, trace } from "./datasets.js";
import { CANARY, hostileCorpus } from "./hostileCorpus.js";

/**
 * The hostile-code corpus (issue 12): every sample is refused by the code check with a reason naming
 * the construct, is harmless even if it were loaded (both sandboxes: node:vm without code generation
 * in a worker with a time limit, QuickJS with memory and time limits), and is refused when an LLM
 * proposes it. Crafted trace files (names that try to break out of comments and strings) either are
 * refused or compile to code that passes the check, with the crafted text only inside comments and
 * string literals.
 */

const dir = mkdtempSync(join(tmpdir(), "hostile-"));
const marker = join(dir, "pwned.txt");
const corpus = hostileCorpus(marker);
const host = globalThis as unknown as Record<string, unknown>;

/** Inputs that make the samples do their worst: long runs for the regexes, odd shapes for the loops. */
const INPUTS = [{ a: 2, b: 3, s: `${"a".repeat(28)}!`, text: " ".repeat(5000) + "x", items: { length: 1e300 }, pattern: "(a+)+$" }, { a: 1, b: 1, s: "aaaa" }];

beforeEach(() => {
  host[CANARY] = "host";
});

afterAll(async () => {
  delete host[CANARY];
  await closeSandboxes();
});

describe("the hostile corpus", () => {
  it("has at least 30 samples, each with a distinct name", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(new Set(corpus.map((sample) => sample.name)).size).toBe(corpus.length);
  });

  it.each(corpus.map((sample) => [sample.name, sample] as const))("refused by the code check: %s", (_name, sample) => {
    const result = checkCode(sample.code);
    expect(result.ok).toBe(false);
    const reasons = result.ok ? [] : result.reasons;
    expect(reasons.some((reason) => sample.refused.test(reason)), reasons.join("\n")).toBe(true);
    // Reasons are single printable lines, whatever the code held.
    for (const reason of reasons) expect(reason).toMatch(/^[\x20-\x7e…→]*$/);
  });

  it.each(corpus.map((sample) => [sample.name, sample] as const))("harmless if it were loaded anyway: %s", async (_name, sample) => {
    for (const runner of [createLocalStage2Runner(), createQuickJsRunner(300)]) {
      // A run either reports its calls (failed, abstained or answered) or throws an Error in the host
      // (QuickJS gives up on a stack overflow while parsing or freeing); either way within the limit.
      const outcome = await runner.run(sample.code, INPUTS).then(
        (result) => result.outputs.length,
        (err: unknown) => err,
      );
      if (typeof outcome === "number") expect(outcome, runner.name).toBe(INPUTS.length);
      else expect(outcome, runner.name).toBeInstanceOf(Error);
      expect(host[CANARY], runner.name).toBe("host");
      expect(existsSync(marker), runner.name).toBe(false);
    }
  });

  it("leaves the sandbox usable after the corpus", async () => {
    const result = await createLocalStage2Runner().run("export default function compiled(input) {\n  return { y: input.a * input.b };\n}\n", INPUTS);
    expect(result.outputs[0]).toEqual({ y: 6 });
    expect(result.errors).toBe(0);
  });
});

describe("the hostile corpus as answers of an LLM on 127.0.0.1", () => {
  let server: Server;
  let config: LlmConfig;
  let content = "";

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ message: { role: "assistant", content } }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    config = { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: "phi3:mini", timeoutMs: 5000 };
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const traces = product(60);

  it.each(corpus.map((sample) => [sample.name, sample] as const))("the proposal is refused, not chosen, with the construct named: %s", async (_name, sample) => {
    content = `Here is the function:\n\`\`\`js\n${sample.code}\n\`\`\`\n`;
    const result = await compileBucket(traces, { bucket: "test:product:v1", llm: config, syntheticCount: 30 });
    expect(result.origin).toBe("template");
    expect(result.family).not.toBe("llm");
    const note = result.notes.find((line) => line.startsWith("llm: proposal failed the code check: ")) ?? "";
    expect(note, result.notes.join("\n")).not.toBe("");
    expect(sample.refused.test(note), note).toBe(true);
    // No template multiplies: the bucket ends rejected, and the refused construct is one of its reasons.
    expect(result.verdict).toBe("rejected");
    expect(result.reasons).toContain(note);
    expect(result.code).not.toContain(sample.code.trim().slice(0, 200));
    expect(host[CANARY]).toBe("host");
    expect(existsSync(marker)).toBe(false);
  });
});

// --- crafted trace files ----------------------------------------------------------------------------

/** Ranges of comments and of string and template literals. */
function inertRanges(code: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const token of acorn.tokenizer(code, { ecmaVersion: 2022, sourceType: "module", onComment: (_block, _text, start, end) => ranges.push([start, end]) })) {
    if (token.type === acorn.tokTypes.string || token.type === acorn.tokTypes.template) ranges.push([token.start, token.end]);
  }
  return ranges;
}

/** Each occurrence of each snippet outside every comment and string literal. */
function outsideLiterals(code: string, snippets: readonly string[]): string[] {
  const ranges = inertRanges(code);
  const found: string[] = [];
  for (const snippet of snippets) {
    for (let at = code.indexOf(snippet); at >= 0; at = code.indexOf(snippet, at + 1)) {
      if (!ranges.some(([start, end]) => at >= start && at + snippet.length <= end)) found.push(`${JSON.stringify(snippet)} at ${at}`);
    }
  }
  return found;
}

/** Names that would run code if written into the program unescaped. */
const CRAFTED = {
  newline: "x\nglobalThis.pwnedNewline=1;//",
  lineSeparator: "x\u2028globalThis.pwnedLs=1;//",
  paragraphSeparator: "x\u2029globalThis.pwnedPs=1;//",
  terminal: "x\u001b[2J\u001b]0;pwnedTerm\u0007",
  bidi: "x\u202e;globalThis.pwnedBidi=1;\u2066",
  quote: '"];globalThis.pwnedQuote=1;//',
  comment: "*/globalThis.pwnedComment=1;/*",
  template: "x${globalThis.pwnedTemplate}",
  backslash: "\\u0065val(pwnedEscape)",
};
const SNIPPETS = ["globalThis.pwned", "pwnedTerm", "eval(pwnedEscape)", "${globalThis"];

/** Traces whose bucket and field names are crafted: a code per input value (a lookup learns it). */
function craftedTraces(bucket: string, inputField: string, outputField: string): Trace[] {
  const values = ["Alpha", "Beta", "Gamma", "Delta"];
  return Array.from({ length: 48 }, (_, i) => trace(bucket, { [inputField]: values[i % 4], other: i }, { [outputField]: `${values[i % 4][0]}${i % 4}` }, i));
}

function expectInert(code: string): void {
  expect(checkCode(code), code).toEqual({ ok: true });
  expect(outsideLiterals(code, SNIPPETS), code).toEqual([]);
}

describe("crafted names through the compiler", () => {
  it.each(Object.entries(CRAFTED))("a %s in the bucket, input field and output field names stays inside comments and strings", async (_kind, name) => {
    const result = await compileBucket(craftedTraces(`acme:${name}:v1`, name, `${name}!`), { bucket: `acme:${name}:v1`, llm: false, syntheticCount: 50 });
    expect(result.reasons.filter((reason) => reason.startsWith("code check:"))).toEqual([]);
    expect(result.verdict, result.reasons.join("; ")).toBe("compiled");
    expectInert(result.code);
    const run = await createLocalStage2Runner().run(result.code, [{ [name]: "Gamma" }]);
    expect(run.outputs[0]).toEqual({ [`${name}!`]: "G2" });
    expect(host[CANARY]).toBe("host");
  });

  it("refuses a program that would read an inherited name from the input, naming it", async () => {
    const result = await compileBucket(craftedTraces("acme:inherited:v1", "constructor", "label"), { bucket: "acme:inherited:v1", llm: false, syntheticCount: 50 });
    expect(result.verdict).toBe("rejected");
    expect(result.reasons.join("\n")).toMatch(/^code check: line \d+: property `constructor` is not allowed/m);
  });
});

describe("crafted trace files through `compile --traces`", () => {
  afterEach(() => vi.restoreAllMocks());

  async function compileFile(traces: readonly Trace[]): Promise<{ results: Array<{ bucket: string; verdict: string; reasons: string[]; code: string }>; refused?: Error }> {
    const file = join(mkdtempSync(join(dir, "traces-")), "crafted.jsonl");
    writeFileSync(file, `${traces.map((t) => JSON.stringify(t)).join("\n")}\n`);
    const program = new Command().exitOverride().option("--db <path>", "", ".compile/state.db").option("--agent <dir>", "", "data/acme-agent").option("--json");
    registerCompile(program);
    let out = "";
    let err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    try {
      await program.parseAsync(["node", "compile-daemon", "--json", "compile", "--traces", file]);
    } catch (error) {
      // Refused whole: the reason (and the listing on stderr) names file:line.
      expect(error).toBeInstanceOf(UsageError);
      expect(`${(error as Error).message}\n${err}`).toMatch(/crafted\.jsonl:\d+/);
      return { results: [], refused: error as Error };
    } finally {
      vi.restoreAllMocks();
    }
    return { results: out.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line)) };
  }

  it("a file whose bucket names break lines or carry escape codes is refused with file:line, or its names are escaped", async () => {
    const traces = Object.values(CRAFTED).flatMap((name) => craftedTraces(`acme:${name}:v1`, "country", "code"));
    const { results, refused } = await compileFile(traces);
    if (refused) return;
    expect(results).toHaveLength(Object.keys(CRAFTED).length);
    for (const result of results) expectInert(result.code);
  });

  it("a file whose field names hold code compiles to code that passes the check, the names only in strings and comments", async () => {
    // Printable ASCII only: what the trace rules let through as field names.
    const names = [CRAFTED.quote, CRAFTED.comment, CRAFTED.template, CRAFTED.backslash];
    const traces = names.flatMap((name, k) => craftedTraces(`acme:crafted_${k}:v1`, name, `${name}?`));
    const { results, refused } = await compileFile(traces);
    expect(refused).toBeUndefined();
    expect(results.map((result) => result.verdict)).toEqual(names.map(() => "compiled"));
    for (const result of results) expectInert(result.code);
  });

  it("a file whose field is an inherited name is rejected with a reason naming it", async () => {
    const { results, refused } = await compileFile(craftedTraces("acme:inherited:v1", "constructor", "label"));
    if (refused) return;
    expect(results[0].verdict).toBe("rejected");
    expect(results[0].reasons.join("\n")).toMatch(/code check: line \d+: property `constructor` is not allowed/);
  });
});
