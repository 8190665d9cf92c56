import { describe, expect, it } from "vitest";
import { checkAllowlist, synthesize } from "../../src/compiler/index.js";
import { emitProgram } from "../../src/compiler/emit.js";
import type { Model } from "../../src/compiler/families/model.js";
import { textClassifierLearner } from "../../src/compiler/families/textClassifier.js";
import { learnableRule, rng, trace, triage } from "./datasets.js";

const wrap = (body: string) => `export default function compiled(input) {\n${body}\n}\n`;

function reasonsOf(code: string): string {
  const result = checkAllowlist(code);
  return result.ok ? "" : result.reasons.join("\n");
}

describe("AST allowlist", () => {
  it("accepts plain functions, const tables and helpers", () => {
    const code = `${wrap("  const key = String(input.x ?? '').toLowerCase();\n  if (Object.hasOwn(TABLE, key)) return TABLE[key];\n  for (let i = 0; i < 3; i++) {}\n  return helper(input);")}
const TABLE = { a: 1 };
function helper(input) { return input?.y ? [1, 2].map((n) => n * 2) : null; }
`;
    expect(checkAllowlist(code)).toEqual({ ok: true });
  });

  it.each([
    ["Date", "return Date.now();", /`Date` is not allowed/],
    ["Math.random", "return Math.random();", /`Math.random` is not allowed/],
    ['Math["random"]', 'return Math["random"]();', /`Math.random` is not allowed/],
    ["eval", "return eval('1');", /`eval` is not allowed/],
    ["Function", "return Function('return 1')();", /`Function` is not allowed/],
    ["globalThis", "return globalThis.x;", /`globalThis` is not allowed/],
    ["process", "return process.env;", /`process` is not allowed/],
    ["require", "return require('fs');", /`require` is not allowed/],
    ["dynamic import", "return import('fs');", /ImportExpression is not allowed/],
    ["constructor escape", "return ''.constructor.constructor('return process')();", /property `constructor` is not allowed/],
    ["while loop", "while (true) {}", /WhileStatement is not allowed/],
    ["unbounded for", "for (;;) {}", /a for loop needs a bound/],
    ["a global write", "leaked = 1; return 1;", /assignment to undeclared `leaked`/],
    ["this", "return this;", /ThisExpression is not allowed/],
  ])("rejects %s", (_name, body, reason) => {
    expect(reasonsOf(wrap(body))).toMatch(reason);
  });

  it("rejects import declarations, a missing entry point and code that does not parse", () => {
    expect(reasonsOf(`import fs from "node:fs";\n${wrap("return 1;")}`)).toMatch(/ImportDeclaration|top level/);
    expect(reasonsOf("function compiled(input) { return 1; }")).toMatch(/export default function compiled/);
    expect(reasonsOf("export default function compiled(input) { return ")).toMatch(/does not parse/);
  });

  it("accepts an abstention (`return undefined`) and the helpers' loops", () => {
    const code = `${wrap("  if (input.x === undefined) return undefined;\n  let n = 0;\n  for (const word of input.x.split(' ')) n++;\n  for (let i = 0; i < n; i += 2) {}\n  return n;")}\n`;
    expect(checkAllowlist(code)).toEqual({ ok: true });
  });

  it("passes the program of every family the synthesizers emit", () => {
    const slug = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).join("-");
    const buckets: Array<Array<{ input: unknown; output: unknown }>> = [
      learnableRule(200, 0.05), // decision tree
      triage(300), // decision lists, composed per field
      Array.from({ length: 40 }, (_, i) => trace("t", { x: i }, "same", i)), // constant
      Array.from({ length: 40 }, (_, i) => trace("t", { name: ` N${i} ` }, `n${i}`, i)), // field copy
      Array.from({ length: 40 }, (_, i) => trace("t", { country: ["usa", "U.K.", "France"][i % 3] }, ["US", "GB", "FR"][i % 3], i)), // lookup
      Array.from({ length: 40 }, (_, i) => trace("t", { title: `Post ${i}: Hello, World ${i * 7}` }, null, i)).map((t) => ({ ...t, output: slug((t.input as { title: string }).title) })), // string transform
    ];
    const families = new Set<string>();
    for (const train of buckets) {
      const { code, family } = synthesize(train, { bucket: "test:allow:v1", seed: 1 });
      for (const name of family.match(/[a-z_]+(?=\)|,|$)/g) ?? [family]) families.add(name);
      expect(checkAllowlist(code), family).toEqual({ ok: true });
    }
    expect([...families].sort()).toEqual(["constant", "decision_list", "decision_tree", "field_copy", "lookup", "string_transform"]);
    // The text classifier's program (weight tables, counting loops), emitted directly.
    const random = rng(3);
    const words: Record<string, string[]> = { a: ["red", "crimson", "scarlet"], b: ["blue", "navy", "azure"], c: ["green", "lime", "olive"] };
    const examples = Array.from({ length: 120 }, () => {
      const label = ["a", "b", "c"][Math.floor(random() * 3)];
      return { input: { text: `${words[label][Math.floor(random() * 3)]} ${words[label][Math.floor(random() * 3)]} thing` }, label: JSON.stringify(label) };
    });
    const model = textClassifierLearner([["text"]]).fit(examples);
    expect(model?.family).toBe("text_classifier");
    const code = emitProgram({ bucket: "test:allow:v1", family: "text_classifier", cvAgreement: 1, nTrain: examples.length, folds: 5, parts: [{ field: null, model: model as Model, cv: 1 }] });
    expect(checkAllowlist(code)).toEqual({ ok: true });
  });
});
