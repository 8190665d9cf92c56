import { describe, expect, it } from "vitest";
import { checkAllowlist, synthesize } from "../../src/compiler/index.js";
import { learnableRule } from "./datasets.js";

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

  it("passes every program the synthesizers emit", () => {
    const { code } = synthesize(learnableRule(200, 0.05), { bucket: "test:approve:v1", seed: 1 });
    expect(checkAllowlist(code)).toEqual({ ok: true });
  });
});
