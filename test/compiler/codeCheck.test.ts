import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { canonicalJson, checkAllowlist, synthesize } from "../../src/compiler/index.js";
import { groupByBucket, parseTraces } from "../../src/contract/traceReader.js";
import { checkCode, CODE_LIMITS, codeHash, regexProblem } from "../../src/compiler/codeCheck.js";
import { emitProgram, type ProgramPart } from "../../src/compiler/emit.js";
import { HELPER_SOURCE } from "../../src/compiler/features.js";
import type { Example, Model } from "../../src/compiler/families/model.js";
import { learnersFor } from "../../src/compiler/learners.js";
import { learnableRule, randomLabels, rng, trace, triage } from "./datasets.js";

const wrap = (body: string, extra = "") => `export default function compiled(input) {\n${body}\n}\n${extra}`;

function reasonsOf(code: string): string {
  const result = checkCode(code);
  return result.ok ? "" : result.reasons.join("\n");
}

const emit = (parts: ProgramPart[], family = "test") => emitProgram({ bucket: "test:grammar:v1", family, cvAgreement: 1, nTrain: 100, folds: 5, parts });

// --- a data set every family has something to learn from --------------------------------------------

const WORDS = { billing: ["invoice", "refund", "charge"], network: ["vpn", "router", "dns"], identity: ["password", "login", "sso"] };
const COUNTRIES: Array<[string, string]> = [["usa", "US"], ["U.S.A.", "US"], ["United Kingdom", "GB"], [" uk ", "GB"], ["France", "FR"], ["Deutschland", "DE"], ["Ελλάδα", "GR"]];
const CITIES = ["Paris", "Oslo", "Lima", "Kyiv"];
const NAMES = ["  Ann Lee ", "Bob Stone", "Chloé Martin", "Dan O'Neil"];

function records(n: number) {
  const random = rng(99);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  return Array.from({ length: n }, (_, i) => {
    const team = pick(Object.keys(WORDS)) as keyof typeof WORDS;
    const [country, code] = pick(COUNTRIES);
    const seats = Math.floor(random() * 200);
    const urgent = random() < 0.3;
    const input = {
      title: `${pick(["Hello", "Help", "Question"])}, ${pick(WORDS[team])} ${pick(["issue", "problem", "request"])} ${pick(WORDS[team])} ${i}`,
      country,
      plan: pick(["Free", "Pro ", "team"]),
      seats,
      urgent,
      code: 1 + (i % 4),
      address: { city: pick(CITIES) },
      "first name": pick(NAMES),
    };
    const output = {
      team,
      country: code,
      tier: seats >= 100 ? "large" : input.plan.trim().toLowerCase() === "free" ? "free" : "small",
      priority: urgent ? "high" : "low",
      slug: input.title.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).join("-"),
      first: input["first name"].trim(),
      initial: input["first name"].trim().slice(0, 1).toUpperCase(),
      greeting: `Dear ${input["first name"]}!`,
      city: input.address.city.toUpperCase(),
      constant: "same",
      weird: { constructor: 1, "a\u2028b": [-1.5, null, true, "</script>\u2029*/"], "x\"y": { "\\": "\u001b[31m" } },
      number: input.code * 10,
    };
    return { input, output };
  });
}

describe("the code check: every family's program passes", () => {
  it("passes the program of every learner on every target, alone and composed (weird labels and field names included)", () => {
    const rows = records(160);
    const inputs = rows.map((row) => row.input);
    const learners = learnersFor(inputs);
    const targets = Object.keys(rows[0].output) as Array<keyof (typeof rows)[0]["output"]>;
    const families = new Set<string>();
    const parts: ProgramPart[] = [];
    for (const target of targets) {
      const examples: Example[] = rows.map((row) => ({ input: row.input, label: canonicalJson(row.output[target]) }));
      for (const learner of learners) {
        const model = learner.fit(examples);
        if (!model) continue;
        families.add(model.family);
        const code = emit([{ field: null, model, cv: 1 }], model.family);
        expect(checkCode(code), `${learner.variant} on ${target}:\n${code}`).toEqual({ ok: true });
        parts.push({ field: parts.length % 3 === 0 ? target : `${target} \u2028"];//*/${parts.length}`, model, cv: 1 });
      }
    }
    expect([...families].sort()).toEqual(["constant", "decision_list", "decision_tree", "field_copy", "lookup", "string_transform", "text_classifier"]);
    const composed = emit(parts, "composition");
    expect(checkCode(composed)).toEqual({ ok: true });
  });

  it("passes what synthesize emits: constant, field copy, string transform, lookup, decision list and tree, composition, and the abstaining program", () => {
    const slug = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).join("-");
    const seed = parseTraces(readFileSync("data/acme-agent/traces/seed.jsonl", "utf8"));
    const buckets: Array<Array<{ input: unknown; output: unknown }>> = [
      learnableRule(200, 0.05), // decision tree
      triage(300), // decision lists, composed per field
      randomLabels(80), // nothing beats abstaining: `none`
      Array.from({ length: 40 }, (_, i) => trace("t", { x: i }, "same", i)), // constant
      Array.from({ length: 40 }, (_, i) => trace("t", { name: ` N${i} ` }, `n${i}`, i)), // field copy
      Array.from({ length: 40 }, (_, i) => trace("t", { country: ["usa", "U.K.", "France"][i % 3] }, ["US", "GB", "FR"][i % 3], i)), // lookup
      Array.from({ length: 40 }, (_, i) => trace("t", { title: `Post ${i}: Hello, World ${i * 7}` }, null, i)).map((t) => ({ ...t, output: slug((t.input as { title: string }).title) })), // string transform
      ...groupByBucket(seed).values(),
    ];
    const families = new Set<string>();
    for (const train of buckets) {
      const { code, family } = synthesize(train, { bucket: "test:allow:v1", seed: 1 });
      for (const name of family.match(/[a-z_]+(?=\)|,|$)/g) ?? [family]) families.add(name);
      expect(checkCode(code), `${family}:\n${code}`).toEqual({ ok: true });
      expect(checkAllowlist(code)).toEqual({ ok: true }); // the old name, same check
    }
    for (const family of ["constant", "decision_list", "decision_tree", "field_copy", "lookup", "none", "string_transform"]) expect([...families]).toContain(family);
  });

  it("passes every helper the programs carry", () => {
    const calls = Object.keys(HELPER_SOURCE).map((name) => `${name}(input.x, "-")`).join(", ");
    expect(checkCode(wrap(`  return [${calls}];`, Object.values(HELPER_SOURCE).join("\n\n")))).toEqual({ ok: true });
  });

  it("refuses a program whose field would shadow a built-in: emit gives it another name", () => {
    const constant: Model = { family: "constant", complexity: 1, predict: () => "1", emit: () => ({ summary: "one", body: ["return 1;"], declarations: [], helpers: [] }) };
    const code = emit(["String", "undefined", "Object", "NaN", "Set"].map((field) => ({ field, model: constant, cv: 1 })));
    expect(checkCode(code)).toEqual({ ok: true });
    expect(code).not.toMatch(/function (String|undefined|Object|NaN|Set)\(/);
  });
});

describe("the code check: what it allows", () => {
  it("accepts plain functions, const tables, guarded lookups and bounded loops", () => {
    const code = wrap(
      [
        "  const key = String(input.x ?? '').toLowerCase();",
        "  if (Object.hasOwn(TABLE, key)) return TABLE[key];",
        "  for (let i = 0; i < 3; i++) {}",
        "  const words = input.text.split(' ');",
        "  let n = 0;",
        "  for (const word of words) { if (!Object.hasOwn(TABLE, word)) continue; n += TABLE[word]; }",
        "  for (let i = 0; i < words.length; i++) n += words[i].length + words[words.length - 1].length;",
        "  const counts = [0, 0];",
        "  for (let i = 0; i < counts.length; i++) counts[i] += i;",
        "  const seen = new Set();",
        "  for (const word of words) seen.add(word);",
        "  return helper(input) ?? [n, counts[0], [...seen], Math.max(n, 1), `${n} words`, typeof input.y === 'string' && input.y.startsWith('a')];",
      ].join("\n"),
      "const TABLE = { a: 1, \"b c\": 2, constructor: 3, nested: [1, -2.5, { x: null, y: [true] }] };\nfunction helper(input) { return input?.y ? [1, 2].map((n) => n * 2).filter(Boolean) : null; }\n",
    );
    expect(checkCode(code)).toEqual({ ok: true });
  });

  it("accepts an abstention, and invisible characters written as escapes in string literals", () => {
    expect(checkCode(wrap('  if (input.x === undefined) return undefined;\n  return { "a\\u2028b": "line\\u2028separator\\u202e" };'))).toEqual({ ok: true });
  });

  it("hashes code with sha256", () => {
    expect(codeHash("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("allows only linear regular expressions: the families' patterns pass, backtracking ones do not", () => {
    for (const [pattern, flags] of [["[^\\p{L}\\p{N}]+", "u"], ["[^\\p{L}\\p{N}]+", "gu"], ["[\\u0300-\\u036f]", "g"], ["[^a-z0-9]+", ""], ["\\s+", ""], ["^\\d+$", ""], ["^[a-z]{2,3}$", "i"]]) {
      expect(regexProblem(pattern, flags), pattern).toBeNull();
    }
    for (const [pattern, flags, why] of [
      ["(a+)+$", "", /group/],
      ["\\s+$", "", /without a leading/],
      ["^\\d+$", "m", /without a leading/],
      ["a*a*b", "", /before the end/],
      ["a|b", "", /alternative/],
      ["(\\w)\\1", "", /group/],
      ["a\\1", "", /back-reference/],
      ["a++", "", /repeat of a repeat/],
      ["x".repeat(600), "", /longer than/],
      ["a", "d", /flags/],
    ] as Array<[string, string, RegExp]>) {
      expect(regexProblem(pattern, flags), pattern).toMatch(why);
    }
  });
});

describe("the code check: what it refuses, naming the construct", () => {
  it.each([
    ["Date", "return Date.now();", /`Date` is not allowed/],
    ["Math.random", "return Math.random();", /`Math.random` is not allowed/],
    ['Math["random"]', 'return Math["random"]();', /computed method call/],
    ["eval", "return eval('1');", /`eval` is not allowed/],
    ["Function", "return Function('return 1')();", /`Function` is not allowed/],
    ["globalThis", "return globalThis.x;", /`globalThis` is not allowed/],
    ["process", "return process.env;", /`process` is not allowed/],
    ["require", "return require('fs');", /`require` is not allowed/],
    ["dynamic import", "return import('fs');", /dynamic `import\(\)` is not allowed/],
    ["constructor escape", "return ''.constructor.constructor('return process')();", /property `constructor` is not allowed/],
    ["computed constructor", 'return (() => 0)["con" + "structor"];', /computed member access/],
    ["a key not checked first", "const k = input.k; return TABLE[k];", /computed member access/],
    ["a key checked on another table", "const k = input.k; if (Object.hasOwn(A, k)) return TABLE[k];", /computed member access/],
    ["a let key (it could change after the check)", "let k = input.k; if (Object.hasOwn(TABLE, k)) { k = 'constructor'; return TABLE[k]; }", /computed member access/],
    ["while loop", "while (true) {}", /a `while` loop is not allowed/],
    ["unbounded for", "for (;;) {}", /a for loop needs a bound/],
    ["a for bound by a data length", "for (let i = 0; i < input.items.length; i++) {}", /a for loop needs a bound/],
    ["a for bound too large", "for (let i = 0; i < 1e9; i++) {}", /a for loop needs a bound/],
    ["a global write", "leaked = 1; return 1;", /assignment to undeclared `leaked`/],
    ["a write to the input", "input.x = 1; return 1;", /assignment to `input.x`/],
    ["a write to a table", "TABLE[0] = 1; return 1;", /assignment to `TABLE\[0\]`/],
    ["this", "return this;", /`this` is not allowed/],
    ["try", "try { return 1; } catch (e) { return e; }", /`try`\/`catch` is not allowed/],
    ["throw", "throw new Error('x');", /`throw`/],
    ["new Map", "return new Map();", /`new Map` is not allowed/],
    ["an IIFE", "return (() => 1)();", /calling an arrow function/],
    ["a stored arrow", "const f = (x) => x; return 1;", /an arrow function here is not allowed/],
    ["a getter", "return { get x() { return 1; } };", /a getter is not allowed/],
    ["__proto__ key", "return { __proto__: null };", /the key `__proto__`/],
    ["in", "return 'x' in input;", /the `in` operator/],
    ["a regex DoS", "return /(a+)+$/.test(input.s);", /regular expression/],
    ["a data pattern", "return input.s.match(input.p);", /`.match\(\)` without a regular expression literal/],
    ["repeat", "return 'x'.repeat(1e9);", /calling `.repeat\(\)`/],
    ["a native callback", "return [1].map(input.f);", /as a callback/],
    ["add inside an expression", "const s = new Set(); return s.add(1);", /inside an expression/],
    ["add to the input", "input.tags.push(1); return 1;", /only on a const array or set the function created/],
  ])("%s", (_name, body, reason) => {
    expect(reasonsOf(wrap(body, "const TABLE = { a: 1 };\nconst A = { a: 1 };\n"))).toMatch(reason);
  });

  it("refuses imports, top-level code, a missing or extra entry point, code that does not parse, and recursion", () => {
    expect(reasonsOf(`import fs from "node:fs";\n${wrap("return 1;")}`)).toMatch(/an `import` at the top level is not allowed/);
    expect(reasonsOf(`${wrap("return 1;")}globalThis.x = 1;\n`)).toMatch(/an expression at the top level is not allowed/);
    expect(reasonsOf(`${wrap("return 1;")}const X = (() => 1)();\n`)).toMatch(/a call in the top-level const `X` is not allowed/);
    expect(reasonsOf(`${wrap("return 1;")}let X = 1;\n`)).toMatch(/a top-level `let` is not allowed/);
    expect(reasonsOf("function compiled(input) { return 1; }")).toMatch(/exactly one `export default function compiled\(input\)`/);
    expect(reasonsOf("export default function compiled(input) { return ")).toMatch(/does not parse/);
    expect(reasonsOf(wrap("return f(1);", "function f(n) { return g(n); }\nfunction g(n) { return f(n); }\n"))).toMatch(/recursion \(f → g → f\)/);
  });

  it("refuses identifiers with escapes or outside ASCII, comments with controls, raw line terminators outside strings", () => {
    expect(reasonsOf(wrap("return \\u0065val('1');"))).toMatch(/the Unicode escape in the identifier `\\u0065val`/);
    expect(reasonsOf(wrap("const \u0440 = 1; return \u0440;"))).toMatch(/the non-ASCII identifier/);
    expect(reasonsOf(`// a\u001b[2Jb\n${wrap("return 1;")}`)).toMatch(/the control character U\+001B in a comment/);
    expect(reasonsOf(`/* \u202e } */\n${wrap("return 1;")}`)).toMatch(/the bidirectional control character U\+202E in a comment/);
    expect(reasonsOf(`// name\u2028globalThis.x = 1;\n${wrap("return 1;")}`)).toMatch(/a raw line terminator U\+2028 outside a string literal/);
    expect(reasonsOf(`// name\rconst X = 1;\n${wrap("return 1;")}`)).toMatch(/a raw line terminator U\+000D/);
    expect(reasonsOf(wrap('return "a\u2028b";'))).toMatch(/the raw invisible character U\+2028 inside a string literal/);
    expect(reasonsOf(wrap('return "a\u202eb";'))).toMatch(/the raw bidirectional control character U\+202E inside a string literal/);
    expect(checkCode(`/* a\n * b */\n${wrap("return `x\ny`;")}`.replace(/\n/g, "\r\n"))).toEqual({ ok: true });
  });

  it("refuses huge literals, huge modules and deep nesting", () => {
    expect(reasonsOf(wrap(`return "${"x".repeat(CODE_LIMITS.stringChars + 1)}";`))).toMatch(/a string literal of 65537 characters/);
    expect(reasonsOf(wrap("return 1;", `const T = [${`"${"y".repeat(60_000)}",`.repeat(20)}];\n`))).toMatch(/more than 1048576 \(1 MiB\)/);
    expect(reasonsOf(wrap(`return ${"[".repeat(2000)}${"]".repeat(2000)};`))).toMatch(/nesting|does not parse/);
  });

  it("lists at most 20 reasons", () => {
    const result = checkCode(wrap(Array.from({ length: 50 }, (_, i) => `  x${i} = ${i};`).join("\n")));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reasons).toHaveLength(21);
      expect(result.reasons.at(-1)).toBe("… and 30 more");
    }
  });
});
