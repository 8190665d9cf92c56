/**
 * Hostile compiled-code samples: ways a `compiled` module could try to escape, run at import time,
 * never end, or break out of a comment. Each names the construct the code check must refuse it for.
 * `payload` is what an escape would run with a Function constructor in hand: it flips a canary global
 * and, where it can reach `process`, writes a marker file. Never a triple backtick (the LLM stub
 * fences the code).
 */
export interface HostileSample {
  name: string;
  code: string;
  /** The reason the code check gives must match this (it names the refused construct). */
  refused: RegExp;
}

export const CANARY = "__hostileCanary";

/** JS statements that would harm the host if they ever ran in its realm. */
export function payload(marker: string): string {
  return `globalThis.${CANARY} = "pwned"; const p = globalThis.process; if (p) p.getBuiltinModule("node:fs").writeFileSync(${JSON.stringify(marker)}, "pwned"); return 1;`;
}

const wrap = (body: string, extra = "") => `export default function compiled(input) {\n${body}\n}\n${extra}`;
const ANSWER = "  return { y: input.a * input.b };";

export function hostileCorpus(marker: string): HostileSample[] {
  const P = JSON.stringify(payload(marker));
  const fnOf = (how: string) => `(${how})(${P})()`;
  const writeMarker = `globalThis.process.getBuiltinModule("node:fs").writeFileSync(${JSON.stringify(marker)}, "pwned")`;
  return [
    // Reaching the Function constructor.
    {
      name: "computed-key constructor access (the issue's reproduction)",
      code: wrap(`  const F = (() => 0)["con" + "structor"];\n  try { F(${P})(); } catch (e) {}\n${ANSWER}`),
      refused: /computed member access/,
    },
    { name: "constructor chain on a string", code: wrap(`  ${fnOf('"".constructor.constructor')};\n${ANSWER}`), refused: /property `constructor`/ },
    { name: "constructor chain on the input", code: wrap(`  input.constructor.constructor(${P})();\n${ANSWER}`), refused: /property `constructor`/ },
    { name: "constructor as string-literal keys", code: wrap(`  input["constructor"]["constructor"](${P})();\n${ANSWER}`), refused: /property `constructor`/ },
    { name: "constructor key spelled with string escapes", code: wrap(`  input["\\u0063onstructor"]["\\x63onstructor"](${P})();\n${ANSWER}`), refused: /property `constructor`/ },
    { name: "constructor key through a variable", code: wrap(`  const k = "constructor";\n  input[k][k](${P})();\n${ANSWER}`), refused: /computed (member access|method call)/ },
    { name: "constructor of an arrow callback's result", code: wrap(`  [0].map((x) => x).constructor.constructor(${P})();\n${ANSWER}`), refused: /property `constructor`/ },
    { name: "Function constructor by name", code: wrap(`  Function(${P})();\n${ANSWER}`), refused: /`Function` is not allowed/ },
    { name: "eval", code: wrap(`  eval("(function () {" + ${P} + "})()");\n${ANSWER}`), refused: /`eval` is not allowed/ },
    { name: "indirect eval through the comma operator", code: wrap(`  (0, eval)("(function () {" + ${P} + "})()");\n${ANSWER}`), refused: /comma operator|`eval` is not allowed/ },
    { name: "a native function smuggled in as a callback", code: wrap(`  ["x"].map(input.toString);\n${ANSWER}`), refused: /property `toString`|as a callback/ },
    // Prototype walks, getters, pollution.
    { name: "prototype walk through __proto__", code: wrap(`  input.__proto__.constructor.constructor(${P})();\n${ANSWER}`), refused: /property `__proto__`/ },
    { name: "prototype walk through Object.getPrototypeOf", code: wrap(`  Object.getPrototypeOf(input).constructor.constructor(${P})();\n${ANSWER}`), refused: /`Object.getPrototypeOf` is not allowed/ },
    { name: "a getter in an object literal", code: wrap(`  const o = { get y() { ${payload(marker)} } };\n  return o;`), refused: /a getter is not allowed/ },
    { name: "__defineGetter__", code: wrap(`  input.__defineGetter__("y", () => 1);\n${ANSWER}`), refused: /property `__defineGetter__`/ },
    { name: "Object.defineProperty", code: wrap(`  Object.defineProperty(input, "y", { get: () => 1 });\n${ANSWER}`), refused: /`Object.defineProperty` is not allowed/ },
    { name: "prototype pollution", code: wrap(`  Array.prototype.includes = () => true;\n${ANSWER}`), refused: /reading `Array.prototype`|assignment to/ },
    { name: "a __proto__ key in a returned object", code: wrap("  return { __proto__: { y: 1 } };"), refused: /the key `__proto__`/ },
    { name: "a custom iterator (computed Symbol key)", code: wrap(`  const it = { [Symbol.iterator]: () => ({ next: () => ({ done: false }) }) };\n  for (const x of it) {}\n${ANSWER}`), refused: /computed key/ },
    { name: "Proxy", code: wrap(`  const p = new Proxy({}, { get: () => 1 });\n${ANSWER}`), refused: /`new Proxy` is not allowed/ },
    { name: "Reflect", code: wrap(`  Reflect.construct(Function, [${P}])();\n${ANSWER}`), refused: /`Reflect` is not allowed/ },
    // Globals and modules.
    { name: "globalThis", code: wrap(`  globalThis.${CANARY} = "pwned";\n${ANSWER}`), refused: /`globalThis` is not allowed/ },
    { name: "process", code: wrap(`  process.getBuiltinModule("node:fs");\n${ANSWER}`), refused: /`process` is not allowed/ },
    { name: "require", code: wrap(`  require("node:fs");\n${ANSWER}`), refused: /`require` is not allowed/ },
    { name: "dynamic import()", code: wrap(`  import("node:fs").then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, "pwned"));\n${ANSWER}`), refused: /dynamic `import\(\)` is not allowed/ },
    { name: "an import declaration", code: `import fs from "node:fs";\n${wrap(ANSWER)}`, refused: /an `import` at the top level is not allowed/ },
    { name: "import.meta", code: wrap(`  const u = import.meta.url;\n${ANSWER}`), refused: /`import.meta`\/`new.target` is not allowed/ },
    { name: "this", code: wrap(`  this.${CANARY} = "pwned";\n${ANSWER}`), refused: /`this` is not allowed/ },
    { name: "arguments.callee", code: wrap("  return f();", "function f() { return arguments.callee; }\n"), refused: /`arguments` is not allowed/ },
    { name: "setTimeout", code: wrap(`  setTimeout(() => { ${writeMarker}; }, 0);\n${ANSWER}`), refused: /`setTimeout` is not allowed/ },
    { name: "Math.random", code: wrap("  return { y: input.a * input.b + (Math.random() < 0.5 ? 1 : 0) };"), refused: /`Math.random` is not allowed/ },
    { name: "randomness through a computed method name", code: wrap('  const pick = ["ran", "dom"].join("");\n  return { y: input.a * input.b + (Math[pick]() < 0.5 ? 1 : 0) };'), refused: /computed method call/ },
    { name: "Date", code: wrap("  return { y: Date.now() };"), refused: /`Date` is not allowed/ },
    // Import-time side effects.
    { name: "a top-level IIFE in a const", code: wrap(ANSWER, `const X = (() => { ${payload(marker)} })();\n`), refused: /a call in the top-level const `X`/ },
    { name: "a top-level expression", code: wrap(ANSWER, `globalThis.${CANARY} = "pwned";\n`), refused: /an expression at the top level/ },
    { name: "a class with a static block", code: wrap(ANSWER, `class A { static { globalThis.${CANARY} = "pwned"; } }\n`), refused: /a class at the top level/ },
    { name: "a function in a table", code: wrap(ANSWER, `const T = { f: () => 1 };\n`), refused: /an arrow function in the top-level const `T`/ },
    { name: "a top-level let", code: wrap(ANSWER, `let counter = 0;\n`), refused: /a top-level `let`/ },
    // Loops that never end.
    { name: "while (true)", code: wrap(`  while (true) {}\n${ANSWER}`), refused: /a `while` loop/ },
    { name: "a label with continue", code: wrap(`  outer: for (;;) { continue outer; }\n${ANSWER}`), refused: /a label/ },
    { name: "for (;;)", code: wrap(`  for (;;) {}\n${ANSWER}`), refused: /a for loop needs a bound/ },
    { name: "a counter too small to ever grow (-1e300 + 1)", code: wrap(`  for (let i = -1e300; i < 10; i++) {}\n${ANSWER}`), refused: /a for loop needs a bound/ },
    { name: "a counter reset in the body", code: wrap(`  for (let i = 0; i < 10; i++) { i = 0; }\n${ANSWER}`), refused: /loop counter|assignment to `i`/ },
    { name: "a bound from the input ({length: 1e300})", code: wrap(`  for (let i = 0; i < input.items.length; i++) {}\n${ANSWER}`), refused: /a for loop needs a bound/ },
    { name: "a set that grows while looped over", code: wrap(`  const s = new Set([1]);\n  for (const x of s) { s.add(x + 1); }\n${ANSWER}`), refused: /inside a loop over `s`/ },
    { name: "an alias of an array that grows while looped over", code: wrap(`  const a = [1];\n  const b = a;\n  for (const x of b) { a.push(x); }\n${ANSWER}`), refused: /`a` as a value/ },
    { name: "recursion", code: wrap("  return { y: f(0) };", "function f(n) { return f(n + 1); }\n"), refused: /recursion \(f → f\)/ },
    { name: "an async function", code: `export default async function compiled(input) {\n${ANSWER}\n}\n`, refused: /the async function `compiled`/ },
    { name: "a generator", code: wrap(ANSWER, "function* g() { while (true) yield 1; }\n"), refused: /the generator function `g`/ },
    // Exceptions.
    { name: "an exception that hands over the host's constructors", code: wrap(`  try { null.x; } catch (e) { return e.constructor.constructor(${P})(); }\n${ANSWER}`), refused: /`try`\/`catch` is not allowed/ },
    { name: "throw", code: wrap(`  throw { toString() { ${payload(marker)} } };`), refused: /`throw`/ },
    // Comment and line-terminator breakouts, escapes in names.
    { name: "a name with U+2028 breaking out of a comment", code: `// acme:x\u2028globalThis.${CANARY} = "pwned";\n${wrap(ANSWER)}`, refused: /raw line terminator U\+2028/ },
    { name: "a name with U+2029 breaking out of a comment", code: `// acme:x\u2029globalThis.${CANARY} = "pwned";\n${wrap(ANSWER)}`, refused: /raw line terminator U\+2029/ },
    { name: "a name with a carriage return breaking out of a comment", code: `// acme:x\rglobalThis.${CANARY} = "pwned";\n${wrap(ANSWER)}`, refused: /raw line terminator U\+000D/ },
    { name: "a name with a newline breaking out of a comment", code: `// acme:x\nconst X = (() => { ${payload(marker)} })();\n${wrap(ANSWER)}`, refused: /a call in the top-level const `X`/ },
    { name: "terminal escape codes in a comment", code: `// \u001b[2J\u001b]0;pwned\u0007\n${wrap(ANSWER)}`, refused: /the control character U\+001B in a comment/ },
    { name: "Trojan Source bidirectional overrides", code: `/* \u202e } \u2066 if (input.admin) { */\n${wrap(ANSWER)}`, refused: /the bidirectional control character U\+202E/ },
    { name: "a Unicode escape in an identifier (eval)", code: wrap(`  \\u0065val("1");\n${ANSWER}`), refused: /the Unicode escape in the identifier `\\u0065val`/ },
    { name: "a Unicode escape in a property name", code: wrap(`  input.\\u0063onstructor;\n${ANSWER}`), refused: /the Unicode escape in the identifier/ },
    { name: "a homoglyph identifier (Cyrillic р)", code: wrap(`  const \u0440rocess = 1;\n${ANSWER}`), refused: /the non-ASCII identifier/ },
    // Template-literal tricks.
    { name: "a tagged template", code: wrap("  return { y: String.raw`${input.a}` };"), refused: /a tagged template/ },
    { name: "a call hidden in a template literal", code: wrap(`  return { y: \`\${input.constructor.constructor(${P})()}\` };`), refused: /property `constructor`/ },
    { name: "a tagged template calling Function", code: wrap(`  Function\`${payload(marker).replace(/`/g, "")}\`();\n${ANSWER}`), refused: /a tagged template/ },
    // Regular expression denial of service.
    { name: "nested quantifiers (a+)+", code: wrap("  return { y: /(a+)+$/.test(input.s) };"), refused: /regular expression .*group/ },
    { name: "quadratic backtracking \\s+$", code: wrap("  return { y: /\\s+$/.test(input.s) };"), refused: /regular expression .*without a leading `\^`/ },
    { name: "a pattern taken from the input", code: wrap("  return { y: input.s.match(input.pattern) };"), refused: /`.match\(\)` without a regular expression literal/ },
    // Huge literals and memory.
    { name: "a huge string literal", code: wrap(`  return { y: "${"x".repeat(70_000)}" };`), refused: /a string literal of 70000 characters/ },
    { name: "a huge module", code: wrap(ANSWER, `const T = [${`"${"y".repeat(60_000)}",`.repeat(20)}];\n`), refused: /more than 1048576 \(1 MiB\)/ },
    { name: "deep nesting", code: wrap(`  return { y: ${"[".repeat(1000)}${"]".repeat(1000)} };`), refused: /nesting|does not parse/ },
    { name: "a gigabyte string", code: wrap('  return { y: "x".repeat(2 ** 30) };'), refused: /calling `.repeat\(\)`/ },
    // Odds and ends of the language.
    { name: "with", code: wrap("  with (input) { return { y: a * b }; }"), refused: /does not parse: 'with'/ },
    { name: "delete", code: wrap(`  delete input.a;\n${ANSWER}`), refused: /`delete` is not allowed/ },
    { name: "var", code: wrap(`  var v = 1;\n${ANSWER}`), refused: /`var` is not allowed/ },
    { name: "debugger", code: wrap(`  debugger;\n${ANSWER}`), refused: /`debugger` is not allowed/ },
    { name: "shadowing a built-in", code: wrap(ANSWER, "function String(x) { return x; }\n"), refused: /declaring `String` is not allowed/ },
    { name: "a named export", code: `${wrap(ANSWER)}export const leak = 1;\n`, refused: /a named export at the top level/ },
  ];
}
