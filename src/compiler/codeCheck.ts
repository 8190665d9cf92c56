import { createHash } from "node:crypto";
import * as acorn from "acorn";

/**
 * The code check: a POSITIVE grammar of what compiled code may be, checked on the acorn AST before
 * generated or LLM-proposed code ever runs, and again before stored code is exported. Anything not
 * described here is refused, with a reason naming the construct.
 *
 * - Top level: function declarations, `const` literal tables (literals, arrays and objects of
 *   literals, nested) and exactly one `export default function compiled(input)`. Nothing runs when
 *   the module loads.
 * - Names: every identifier resolves to the module's own functions, tables and local variables, or
 *   to a short list of pure built-ins (String, Number, Boolean, parseInt, parseFloat, isNaN,
 *   isFinite, undefined, NaN, Infinity; Object.hasOwn/keys/values/entries, Math.min/max/…,
 *   Array.isArray, JSON.stringify, Number.isFinite/isInteger/isNaN; `new Set`). No globalThis,
 *   Function, eval, import, process, this, arguments. Identifiers are plain ASCII, without escapes,
 *   and never shadow a built-in.
 * - Member access: a plain or string-literal key that is not an inherited name of Object.prototype
 *   or Function.prototype (constructor, __proto__, prototype, call, …); a computed key only when it
 *   is a number (numeric literal, arithmetic, a variable only ever numeric), or a variable checked
 *   with `Object.hasOwn(obj, key)` first (obj a table or constant, key a constant).
 * - Calls: the module's own functions (never recursively), the built-ins above, and methods from
 *   METHODS. Callbacks are inline arrow functions, own functions or String/Number/Boolean.
 * - Loops: `for (const x of …)` and `for (let i = <int>; i < <array>.length | <int>; i++)` (the array
 *   a string or array the code made, never input data), at most 3 deep; a loop never adds to the
 *   collection it walks. No while, labels, try, throw. Together with no recursion: every call ends.
 * - Writes: to `let` variables of the function, and to elements of arrays the function created
 *   (`const a = [...]`), at a literal index or a loop counter. `.push()`/`.add()` only on those, and
 *   only as a statement of their own (their result is never an alias).
 * - Regular expressions: no groups, alternatives or back-references, and only the last atom may be
 *   repeated (so matching is linear); `$` after it only with a leading `^`.
 * - Sizes: the module at most 1 MiB, a string literal at most 64 KiB, nesting bounded.
 * - Text: no raw control, line-separator or bidirectional character anywhere (comments included;
 *   string literals write them as escapes), so the code reads as it runs; \n and \r\n end lines.
 */

export const CODE_LIMITS = {
  moduleBytes: 1024 * 1024,
  stringChars: 64 * 1024,
  /** AST depth (a label nested 64 deep is about 130). */
  depth: 400,
  tableDepth: 150,
  regexChars: 512,
  loopBound: 100_000,
  loopNesting: 3,
  reasons: 20,
} as const;

export type CodeCheckResult = { ok: true } | { ok: false; reasons: string[] };

/** sha256 (hex) of the code as stored: recorded when a vault entry is written, compared on export. */
export function codeHash(code: string): string {
  return createHash("sha256").update(code, "utf8").digest("hex");
}

/** Built-ins that may be read as values (String, Number and Boolean also as callbacks). */
const VALUE_GLOBALS = new Set(["undefined", "NaN", "Infinity", "String", "Number", "Boolean"]);
/** Built-ins that may be called by name. */
const CALLABLE_GLOBALS = new Set(["String", "Number", "Boolean", "parseInt", "parseFloat", "isNaN", "isFinite"]);
/** Namespaces and the static functions of theirs that may be called. */
const STATICS: Record<string, ReadonlySet<string>> = {
  Object: new Set(["hasOwn", "keys", "values", "entries"]),
  Math: new Set(["min", "max", "abs", "floor", "round", "ceil", "trunc", "sign", "sqrt", "pow", "exp", "log", "log2", "log10"]),
  Array: new Set(["isArray"]),
  JSON: new Set(["stringify"]),
  Number: new Set(["isFinite", "isInteger", "isNaN"]),
};
const ALL_GLOBALS = new Set([...VALUE_GLOBALS, ...CALLABLE_GLOBALS, ...Object.keys(STATICS), "Set"]);
/** Names generated code may not declare: they would shadow a built-in the grammar relies on. */
export const RESERVED_NAMES: ReadonlySet<string> = ALL_GLOBALS;

/** Methods that may be called on values (strings, arrays, sets, regular expressions, numbers). */
const METHODS = new Set([
  "trim", "trimStart", "trimEnd", "toLowerCase", "toUpperCase", "normalize", "slice", "substring", "split", "join", "includes",
  "replace", "replaceAll", "startsWith", "endsWith", "indexOf", "lastIndexOf", "charAt", "charCodeAt", "codePointAt", "at",
  "concat", "match", "test", "filter", "map", "some", "every", "find", "findIndex", "flatMap", "flat", "reduce", "has", "add",
  "push", "toFixed",
]);
/** Methods that change their receiver: only on collections the function created, only as statements. */
const MUTATING = new Set(["push", "add"]);
/** Argument positions that are called back. */
const CALLBACKS: Record<string, number> = { map: 0, filter: 0, some: 0, every: 0, find: 0, findIndex: 0, flatMap: 0, reduce: 0 };
/** Calls whose result is a string or a new array (finite, never an object from the input). */
const SEQUENCE_METHODS = new Set([
  "trim", "trimStart", "trimEnd", "toLowerCase", "toUpperCase", "normalize", "slice", "substring", "split", "join", "replace",
  "replaceAll", "charAt", "concat", "filter", "map", "flatMap", "flat", "toFixed",
]);
/** Calls whose result is always a number (or that throw). */
const NUMERIC_METHODS = new Set(["indexOf", "lastIndexOf", "findIndex", "charCodeAt", "codePointAt"]);

/**
 * Inherited names of Object.prototype and Function.prototype (and the function-only names of sloppy
 * code): reading one reaches the machinery of the realm, not data. Never a member key.
 */
const INHERITED = new Set([
  "constructor", "__proto__", "prototype", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
  "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toString", "toLocaleString", "valueOf",
  "call", "apply", "bind", "caller", "callee", "arguments",
]);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Never in a comment: controls (a terminal escape, a line break), bidirectional overrides, BOM. */
const COMMENT_FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/;
/**
 * Never raw in the code, not even in a string literal (an escape says the same and reads as it
 * runs): controls other than tab and newline, lone carriage returns, U+2028/U+2029, bidirectional
 * controls, BOM.
 */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/g;

/** Refused node types, with how a reason names them. */
const REFUSED: Record<string, string> = {
  WhileStatement: "a `while` loop",
  DoWhileStatement: "a `do … while` loop",
  ForInStatement: "a `for … in` loop",
  LabeledStatement: "a label",
  WithStatement: "`with`",
  TryStatement: "`try`/`catch`",
  ThrowStatement: "`throw` (return undefined to abstain)",
  ClassDeclaration: "a class",
  ClassExpression: "a class",
  DebuggerStatement: "`debugger`",
  FunctionDeclaration: "a function declared inside a function",
  FunctionExpression: "a function expression",
  ThisExpression: "`this`",
  Super: "`super`",
  MetaProperty: "`import.meta`/`new.target`",
  ImportExpression: "dynamic `import()`",
  AwaitExpression: "`await`",
  YieldExpression: "`yield`",
  SequenceExpression: "the comma operator",
  TaggedTemplateExpression: "a tagged template",
  ImportDeclaration: "an `import`",
  ExportNamedDeclaration: "a named export",
  ExportAllDeclaration: "`export *`",
  ExpressionStatement: "an expression",
  CallExpression: "a call",
  NewExpression: "`new`",
  ArrowFunctionExpression: "an arrow function",
  TemplateLiteral: "a template literal",
  Identifier: "a variable",
  MemberExpression: "a property read",
  ChainExpression: "a property read",
  ConditionalExpression: "a conditional expression",
  BinaryExpression: "an operator expression",
  LogicalExpression: "an operator expression",
  AssignmentExpression: "an assignment",
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = acorn.Node & { [key: string]: any };

type Kind = "global" | "function" | "table" | "param" | "let" | "const" | "of" | "counter";

interface Binding {
  name: string;
  kind: Kind;
  init: Node | null;
  /** The top-level function the local belongs to (arrow callbacks share their function's). */
  owner: Node | null;
  /** `=`, `+=`, … (right) and `++`/`--` (right null), from anywhere in the module. */
  assignments: Array<{ operator: string; right: Node | null }>;
  /** A `.push()`/`.add()` or an element write targets it. */
  mutated: boolean;
  numeric: boolean;
}

class Scope {
  readonly names = new Map<string, Binding>();
  constructor(readonly parent: Scope | null) {}
  lookup(name: string): Binding | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }
}

interface Guard {
  table: Binding;
  key: Binding;
}

interface Loop {
  counter?: Binding;
  /** The collection a `for … of` walks, or whose length bounds a `for`. */
  walks?: Binding;
}

interface Ctx {
  owner: Node;
  fnName: string;
  guards: readonly Guard[];
  loops: readonly Loop[];
  depth: number;
}

type Role = "value" | "return" | "spread" | "of" | "object" | "statement";

/** Checks code against the grammar above. */
export function checkCode(code: string): CodeCheckResult {
  return new Checker(code).run();
}

class Checker {
  private readonly reasons: string[] = [];
  private readonly refs = new Map<Node, Binding>();
  /** Declaration identifiers and their bindings. */
  private readonly declared = new Map<Node, Binding>();
  private readonly bindings: Binding[] = [];
  private readonly literalRanges: Array<[number, number]> = [];
  private readonly comments: Array<{ text: string; start: number; end: number }> = [];
  private readonly calls = new Map<string, Set<string>>();
  private readonly sequenceFns = new Map<string, boolean>();
  private readonly functions = new Map<string, Node>();
  private depthExceeded = false;

  constructor(private readonly code: string) {}

  run(): CodeCheckResult {
    const bytes = Buffer.byteLength(this.code, "utf8");
    if (bytes > CODE_LIMITS.moduleBytes) return { ok: false, reasons: [`the module is ${bytes} bytes, more than ${CODE_LIMITS.moduleBytes} (1 MiB)`] };
    let program: Node;
    try {
      program = acorn.parse(this.code, {
        ecmaVersion: 2022,
        sourceType: "module",
        locations: true,
        allowHashBang: false,
        onComment: (_block, text, start, end) => this.comments.push({ text, start, end }),
        onToken: (token) => {
          if (token.type === acorn.tokTypes.string || token.type === acorn.tokTypes.template) this.literalRanges.push([token.start, token.end]);
        },
      }) as unknown as Node;
    } catch (err) {
      return { ok: false, reasons: [`does not parse: ${printable(err instanceof Error ? err.message : String(err))}`] };
    }
    const depth = maxDepth(program);
    if (depth > CODE_LIMITS.depth) return { ok: false, reasons: [`nesting ${depth} deep, more than ${CODE_LIMITS.depth}`] };
    this.checkText();
    this.resolve(program);
    this.inferNumeric();
    this.topLevel(program);
    this.checkRecursion();
    if (this.reasons.length === 0) return { ok: true };
    const unique = [...new Set(this.reasons)];
    const shown = unique.slice(0, CODE_LIMITS.reasons);
    const more = unique.length - shown.length + this.uncounted;
    if (more > 0) shown.push(`… and ${more} more`);
    return { ok: false, reasons: shown };
  }

  // --- reasons ------------------------------------------------------------------------------------

  private lineStarts: number[] | null = null;
  /** Reasons past the first 200 are only counted (a hostile module can hold thousands). */
  private uncounted = 0;

  private lineOf(offset: number): number {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (const match of this.code.matchAll(/\r\n?|[\n\u2028\u2029]/g)) this.lineStarts.push(match.index + match[0].length);
    }
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private refuse(node: { start: number }, what: string): void {
    if (this.reasons.length >= 200) this.uncounted++;
    else this.reasons.push(`line ${this.lineOf(node.start)}: ${what}`);
  }

  private notAllowed(node: { start: number }, what: string, why?: string): void {
    this.refuse(node, `${what} is not allowed${why ? ` (${why})` : ""}`);
  }

  // --- text: comments and line terminators --------------------------------------------------------

  private checkText(): void {
    for (const comment of this.comments) {
      const bad = COMMENT_FORBIDDEN.exec(comment.text.replace(/\r\n/g, "\n"));
      if (bad) this.notAllowed({ start: comment.start }, `the ${bidi(bad[0]) ? "bidirectional control" : "control"} character ${codePoint(bad[0])} in a comment`);
    }
    const commentRanges = this.comments.map((comment): [number, number] => [comment.start, comment.end]);
    for (const match of this.code.matchAll(INVISIBLE)) {
      const at = match.index;
      const char = match[0];
      if (char === "\r" && this.code[at + 1] === "\n") continue;
      if (within(commentRanges, at)) continue; // said above
      if (within(this.literalRanges, at)) {
        this.notAllowed({ start: at }, `the raw ${bidi(char) ? "bidirectional control" : "invisible"} character ${codePoint(char)} inside a string literal`, "write it as an escape, so the code reads as it runs");
      } else if (/[\r\u2028\u2029]/.test(char)) {
        this.notAllowed({ start: at }, `a raw line terminator ${codePoint(char)} outside a string literal`, "a name or comment must not break its line");
      } else {
        this.notAllowed({ start: at }, `the character ${codePoint(char)} outside a string literal`);
      }
    }
  }

  // --- pass 1: scopes and bindings ----------------------------------------------------------------

  private bind(scope: Scope, id: Node, kind: Kind, init: Node | null, owner: Node | null): void {
    if (id?.type !== "Identifier") return;
    const binding: Binding = { name: id.name, kind, init, owner, assignments: [], mutated: false, numeric: false };
    scope.names.set(id.name, binding);
    this.bindings.push(binding);
    this.declared.set(id, binding);
  }

  /** let/const declared directly in a statement list, visible to the whole block. */
  private hoist(statements: readonly Node[], scope: Scope, owner: Node | null): void {
    for (const statement of statements) {
      if (statement.type !== "VariableDeclaration") continue;
      for (const declarator of statement.declarations as Node[]) this.bind(scope, declarator.id, statement.kind === "const" ? "const" : "let", declarator.init ?? null, owner);
    }
  }

  private resolve(program: Node): void {
    const globals = new Scope(null);
    for (const name of ALL_GLOBALS) globals.names.set(name, { name, kind: "global", init: null, owner: null, assignments: [], mutated: false, numeric: name === "NaN" || name === "Infinity" });
    const module = new Scope(globals);
    for (const statement of program.body as Node[]) {
      const declaration = statement.type === "ExportDefaultDeclaration" ? statement.declaration : statement;
      if (declaration.type === "FunctionDeclaration" && declaration.id) {
        this.bind(module, declaration.id, "function", null, null);
        this.functions.set(declaration.id.name, declaration);
      } else if (declaration.type === "VariableDeclaration") {
        for (const declarator of declaration.declarations as Node[]) this.bind(module, declarator.id, declaration.kind === "const" ? "table" : "let", declarator.init ?? null, null);
      }
    }
    for (const statement of program.body as Node[]) {
      const declaration = statement.type === "ExportDefaultDeclaration" ? statement.declaration : statement;
      if (declaration.type === "FunctionDeclaration") {
        this.walk(declaration, module, declaration);
      } else if (declaration.type === "VariableDeclaration") {
        for (const declarator of declaration.declarations as Node[]) if (declarator.init) this.walk(declarator.init, module, null);
      } else {
        this.walk(declaration, module, null);
      }
    }
  }

  private walk(node: Node, scope: Scope, owner: Node | null): void {
    switch (node.type) {
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression": {
        const inner = new Scope(scope);
        const fnOwner = owner ?? node;
        for (const param of node.params as Node[]) {
          if (param.type === "Identifier") this.bind(inner, param, "param", null, fnOwner);
          else if (param.type === "RestElement") this.bind(inner, param.argument, "param", null, fnOwner);
          else this.walk(param, inner, fnOwner);
        }
        if (node.body.type === "BlockStatement") {
          this.hoist(node.body.body, inner, fnOwner);
          for (const statement of node.body.body as Node[]) this.walk(statement, inner, fnOwner);
        } else this.walk(node.body, inner, fnOwner);
        return;
      }
      case "BlockStatement":
      case "StaticBlock": {
        const inner = new Scope(scope);
        this.hoist(node.body, inner, owner);
        for (const statement of node.body as Node[]) this.walk(statement, inner, owner);
        return;
      }
      case "SwitchStatement": {
        this.walk(node.discriminant, scope, owner);
        const inner = new Scope(scope);
        for (const switchCase of node.cases as Node[]) this.hoist(switchCase.consequent, inner, owner);
        for (const switchCase of node.cases as Node[]) {
          if (switchCase.test) this.walk(switchCase.test, inner, owner);
          for (const statement of switchCase.consequent as Node[]) this.walk(statement, inner, owner);
        }
        return;
      }
      case "ForStatement": {
        const inner = new Scope(scope);
        const init = node.init as Node | null;
        if (init?.type === "VariableDeclaration") {
          const counter = init.kind === "let" && init.declarations.length === 1;
          for (const declarator of init.declarations as Node[]) this.bind(inner, declarator.id, counter ? "counter" : init.kind === "const" ? "const" : "let", declarator.init ?? null, owner);
          for (const declarator of init.declarations as Node[]) if (declarator.init) this.walk(declarator.init, inner, owner);
        } else if (init) this.walk(init, inner, owner);
        for (const part of [node.test, node.update, node.body] as Array<Node | null>) if (part) this.walk(part, inner, owner);
        return;
      }
      case "ForOfStatement":
      case "ForInStatement": {
        this.walk(node.right, scope, owner);
        const inner = new Scope(scope);
        const left = node.left as Node;
        if (left.type === "VariableDeclaration") for (const declarator of left.declarations as Node[]) this.bind(inner, declarator.id, left.kind === "const" ? "of" : "let", null, owner);
        else this.walk(left, inner, owner);
        this.walk(node.body, inner, owner);
        return;
      }
      case "CatchClause": {
        const inner = new Scope(scope);
        if (node.param) this.bind(inner, node.param, "const", null, owner);
        this.walk(node.body, inner, owner);
        return;
      }
      case "VariableDeclaration":
        for (const declarator of node.declarations as Node[]) {
          // Declarations not hoisted above (a `var`, a declaration in an odd place) still get a binding.
          if (declarator.id.type === "Identifier" && !scope.names.has(declarator.id.name)) this.bind(scope, declarator.id, "let", declarator.init ?? null, owner);
          else if (declarator.id.type !== "Identifier") this.walk(declarator.id, scope, owner);
          if (declarator.init) this.walk(declarator.init, scope, owner);
        }
        return;
      case "Identifier": {
        const binding = scope.lookup(node.name);
        if (binding) this.refs.set(node, binding);
        return;
      }
      case "MemberExpression":
        this.walk(node.object, scope, owner);
        if (node.computed) this.walk(node.property, scope, owner);
        return;
      case "Property":
      case "PropertyDefinition":
      case "MethodDefinition":
        if (node.computed) this.walk(node.key, scope, owner);
        if (node.value) this.walk(node.value, scope, owner);
        return;
      case "AssignmentExpression":
      case "UpdateExpression": {
        const target = (node.type === "AssignmentExpression" ? node.left : node.argument) as Node;
        this.walk(target, scope, owner);
        if (node.type === "AssignmentExpression") this.walk(node.right, scope, owner);
        if (target.type === "Identifier") this.refs.get(target)?.assignments.push({ operator: node.operator, right: node.type === "AssignmentExpression" ? node.right : null });
        else if (target.type === "MemberExpression" && target.object.type === "Identifier") {
          const binding = this.refs.get(target.object);
          if (binding) binding.mutated = true;
        }
        return;
      }
      case "CallExpression": {
        this.walk(node.callee, scope, owner);
        for (const arg of node.arguments as Node[]) this.walk(arg, scope, owner);
        const callee = node.callee as Node;
        if (callee.type === "MemberExpression" && !callee.computed && MUTATING.has(callee.property.name) && callee.object.type === "Identifier") {
          const binding = this.refs.get(callee.object);
          if (binding) binding.mutated = true;
        }
        return;
      }
      case "LabeledStatement":
        this.walk(node.body, scope, owner);
        return;
      case "BreakStatement":
      case "ContinueStatement":
      case "MetaProperty":
        return;
      default:
        for (const child of childNodes(node)) this.walk(child, scope, owner);
    }
  }

  // --- numbers: which variables only ever hold numbers -------------------------------------------

  private inferNumeric(): void {
    const candidates = this.bindings.filter((binding) => ["let", "const", "counter"].includes(binding.kind));
    for (const binding of candidates) binding.numeric = binding.init !== null;
    const ALWAYS_NUMERIC = new Set(["-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=", "|=", "&=", "^=", "++", "--"]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const binding of candidates) {
        if (!binding.numeric) continue;
        const stays =
          this.isNumeric(binding.init as Node) &&
          binding.assignments.every((assignment) => assignment.right === null || ALWAYS_NUMERIC.has(assignment.operator) || this.isNumeric(assignment.right));
        if (!stays) {
          binding.numeric = false;
          changed = true;
        }
      }
    }
  }

  /** An expression that always evaluates to a number (or throws): a safe computed key. */
  private isNumeric(node: Node): boolean {
    switch (node.type) {
      case "Literal":
        return typeof node.value === "number";
      case "Identifier":
        return this.refs.get(node)?.numeric === true;
      case "UnaryExpression":
        return ["-", "+", "~"].includes(node.operator);
      case "UpdateExpression":
        return true;
      case "BinaryExpression":
        return node.operator === "+" ? this.isNumeric(node.left) && this.isNumeric(node.right) : ["-", "*", "/", "%", "**", "|", "&", "^", "<<", ">>", ">>>"].includes(node.operator);
      case "ConditionalExpression":
        return this.isNumeric(node.consequent) && this.isNumeric(node.alternate);
      case "CallExpression": {
        const callee = node.callee as Node;
        if (callee.type === "Identifier") return ["Number", "parseInt", "parseFloat"].includes(callee.name) && this.refs.get(callee)?.kind === "global";
        if (callee.type !== "MemberExpression" || callee.computed) return false;
        if (callee.object.type === "Identifier" && this.refs.get(callee.object)?.kind === "global") return callee.object.name === "Math";
        return NUMERIC_METHODS.has(callee.property.name);
      }
      default:
        return false;
    }
  }

  /** An expression whose value is a string or an array: its `.length` is a real, finite length. */
  private isSequence(node: Node, seen = new Set<string>()): boolean {
    switch (node.type) {
      case "Literal":
        return typeof node.value === "string";
      case "TemplateLiteral":
      case "ArrayExpression":
        return true;
      case "Identifier": {
        const binding = this.refs.get(node);
        if (!binding || binding.init === null) return false;
        if (binding.kind === "table") return binding.init.type === "ArrayExpression" || (binding.init.type === "Literal" && typeof binding.init.value === "string");
        return binding.kind === "const" && this.isSequence(binding.init, seen);
      }
      case "ConditionalExpression":
        return this.isSequence(node.consequent, seen) && this.isSequence(node.alternate, seen);
      case "CallExpression": {
        const callee = node.callee as Node;
        if (callee.type === "MemberExpression" && !callee.computed) {
          if (callee.object.type === "Identifier" && this.refs.get(callee.object)?.kind === "global") return callee.object.name === "Object" && ["keys", "values", "entries"].includes(callee.property.name);
          return SEQUENCE_METHODS.has(callee.property.name);
        }
        if (callee.type !== "Identifier") return false;
        const binding = this.refs.get(callee);
        if (binding?.kind === "global") return callee.name === "String";
        if (binding?.kind !== "function" || seen.has(callee.name)) return false;
        return this.returnsSequence(callee.name, seen);
      }
      default:
        return false;
    }
  }

  /** Every `return` of an own function gives a string or an array. */
  private returnsSequence(name: string, seen: Set<string>): boolean {
    const known = this.sequenceFns.get(name);
    if (known !== undefined) return known;
    const fn = this.functions.get(name);
    if (!fn) return false;
    const returns: Node[] = [];
    const collect = (node: Node): void => {
      if (node.type === "ReturnStatement") returns.push(node);
      if (node !== fn && /Function/.test(node.type)) return; // returns of callbacks are theirs
      for (const child of childNodes(node)) collect(child);
    };
    collect(fn);
    const inner = new Set(seen).add(name);
    const result = returns.length > 0 && returns.every((statement) => statement.argument !== null && this.isSequence(statement.argument, inner));
    this.sequenceFns.set(name, result);
    return result;
  }

  // --- pass 2: the grammar ------------------------------------------------------------------------

  private topLevel(program: Node): void {
    let entries = 0;
    for (const statement of program.body as Node[]) {
      switch (statement.type) {
        case "ExportDefaultDeclaration": {
          const declaration = statement.declaration as Node;
          if (declaration.type !== "FunctionDeclaration" || declaration.id?.name !== "compiled") {
            this.refuse(statement, "the default export must be `function compiled(input)`");
            break;
          }
          entries++;
          if (declaration.params.length !== 1 || declaration.params[0].type !== "Identifier") this.refuse(declaration, "`compiled` must take exactly one parameter, `input`");
          this.functionDeclaration(declaration);
          break;
        }
        case "FunctionDeclaration":
          this.functionDeclaration(statement);
          break;
        case "VariableDeclaration":
          if (statement.kind !== "const") {
            this.notAllowed(statement, `a top-level \`${statement.kind}\``, "only const literal tables");
            break;
          }
          for (const declarator of statement.declarations as Node[]) {
            if (declarator.id.type !== "Identifier") {
              this.notAllowed(declarator, "destructuring");
              continue;
            }
            this.declaredName(declarator.id);
            this.table(declarator.init, declarator.id.name, 0);
          }
          break;
        default:
          this.notAllowed(statement, `${describe(statement)} at the top level`, "only function declarations and const literal tables: nothing may run when the module loads");
      }
    }
    if (entries !== 1) this.refuse(program, `the module must have exactly one \`export default function compiled(input)\` (found ${entries})`);
  }

  private functionDeclaration(fn: Node): void {
    const name = fn.id.name as string;
    this.declaredName(fn.id);
    if (fn.async) this.notAllowed(fn, `the async function \`${name}\``);
    if (fn.generator) this.notAllowed(fn, `the generator function \`${name}\``);
    this.params(fn);
    this.calls.set(name, this.calls.get(name) ?? new Set());
    this.block(fn.body.body, { owner: fn, fnName: name, guards: [], loops: [], depth: 0 });
  }

  private params(fn: Node): void {
    (fn.params as Node[]).forEach((param, i) => {
      if (param.type === "Identifier") this.declaredName(param);
      else if (param.type === "RestElement" && param.argument.type === "Identifier" && i === fn.params.length - 1) this.declaredName(param.argument);
      else this.notAllowed(param, "a default value or destructuring in the parameters");
    });
  }

  /** A declared name: plain ASCII, no escapes, not a built-in the code relies on. */
  private declaredName(id: Node): void {
    if (this.name(id) && RESERVED_NAMES.has(id.name)) this.notAllowed(id, `declaring \`${id.name}\``, "it would shadow the built-in");
  }

  /** An identifier as written: plain ASCII, no Unicode escapes. */
  private name(id: Node): boolean {
    const raw = this.code.slice(id.start, id.end);
    if (raw !== id.name) {
      this.notAllowed(id, `the Unicode escape in the identifier \`${printable(raw)}\``);
      return false;
    }
    if (!IDENTIFIER.test(id.name)) {
      this.notAllowed(id, `the non-ASCII identifier \`${printable(id.name)}\``);
      return false;
    }
    return true;
  }

  /** A top-level const's value: literals, arrays and objects of literals. */
  private table(node: Node | null, name: string, depth: number): void {
    if (!node) return;
    if (depth > CODE_LIMITS.tableDepth) {
      this.notAllowed(node, `the table \`${name}\` nested more than ${CODE_LIMITS.tableDepth} deep`);
      return;
    }
    switch (node.type) {
      case "Literal":
        if (node.regex) this.notAllowed(node, `a regular expression in the top-level const \`${name}\``, "top-level consts hold literal tables only");
        else this.literal(node);
        return;
      case "UnaryExpression":
        if (["-", "+"].includes(node.operator) && node.argument.type === "Literal" && typeof node.argument.value === "number") return;
        break;
      case "ArrayExpression":
        for (const element of node.elements as Array<Node | null>) {
          if (!element) this.notAllowed(node, "an array hole");
          else if (element.type === "SpreadElement") this.notAllowed(element, `a spread in the top-level const \`${name}\``);
          else this.table(element, name, depth + 1);
        }
        return;
      case "ObjectExpression":
        for (const property of node.properties as Node[]) {
          if (!this.objectKey(property)) continue;
          if (property.shorthand) this.notAllowed(property, `a shorthand property in the top-level const \`${name}\``);
          else this.table(property.value, name, depth + 1);
        }
        return;
    }
    this.notAllowed(node, `${describe(node)} in the top-level const \`${name}\``, "top-level consts hold literal tables only: nothing may run when the module loads");
  }

  /** A plain `key: value` property with an identifier or literal key, never `__proto__`. */
  private objectKey(property: Node): boolean {
    if (property.type === "SpreadElement") {
      this.notAllowed(property, "an object spread `{ ...x }`");
      return false;
    }
    if (property.kind !== "init") {
      this.notAllowed(property, `a ${property.kind === "get" ? "getter" : "setter"}`);
      return false;
    }
    if (property.method) {
      this.notAllowed(property, "a method in an object literal");
      return false;
    }
    if (property.computed) {
      this.notAllowed(property, "a computed key `[…]:` in an object literal");
      return false;
    }
    const key = property.key as Node;
    if (key.type === "Identifier" && !this.name(key)) return false;
    if (key.type === "Literal") this.literal(key);
    const name = key.type === "Identifier" ? key.name : String(key.value);
    if (name === "__proto__") {
      this.notAllowed(key, "the key `__proto__` in an object literal", "it sets the prototype");
      return false;
    }
    return true;
  }

  private literal(node: Node): void {
    if (typeof node.bigint === "string") this.notAllowed(node, "a BigInt literal");
    else if (typeof node.value === "string" && node.value.length > CODE_LIMITS.stringChars) {
      this.notAllowed(node, `a string literal of ${node.value.length} characters`, `at most ${CODE_LIMITS.stringChars}`);
    } else if (node.regex) {
      const problem = regexProblem(node.regex.pattern, node.regex.flags);
      if (problem) this.notAllowed(node, `the regular expression /${printable(node.regex.pattern.slice(0, 60))}/${node.regex.flags}: ${problem}`);
    }
  }

  // --- statements ---------------------------------------------------------------------------------

  private block(statements: readonly Node[], ctx: Ctx): void {
    let guards = ctx.guards;
    for (const statement of statements) {
      this.statement(statement, { ...ctx, guards });
      // `if (!Object.hasOwn(T, key)) return/continue;` guards the rest of the block.
      if (statement.type === "IfStatement" && !statement.alternate && alwaysExits(statement.consequent)) {
        const guard = this.negatedGuard(statement.test);
        if (guard) guards = [...guards, guard];
      }
    }
  }

  private statement(node: Node, ctx: Ctx): void {
    switch (node.type) {
      case "VariableDeclaration":
        if (node.kind === "var") this.notAllowed(node, "`var`", "use const or let");
        for (const declarator of node.declarations as Node[]) {
          if (declarator.id.type !== "Identifier") this.notAllowed(declarator.id, "destructuring");
          else this.declaredName(declarator.id);
          if (declarator.init) this.expression(declarator.init, ctx, "value");
        }
        return;
      case "ExpressionStatement":
        this.expression(node.expression, ctx, "statement");
        return;
      case "ReturnStatement":
        if (node.argument) this.expression(node.argument, ctx, "return");
        return;
      case "IfStatement": {
        this.expression(node.test, ctx, "value");
        this.statement(node.consequent, { ...ctx, guards: [...ctx.guards, ...this.guardsOf(node.test)] });
        if (node.alternate) {
          const negated = this.negatedGuard(node.test);
          this.statement(node.alternate, { ...ctx, guards: negated ? [...ctx.guards, negated] : ctx.guards });
        }
        return;
      }
      case "BlockStatement":
        this.block(node.body, ctx);
        return;
      case "ForStatement":
        this.forLoop(node, ctx);
        return;
      case "ForOfStatement":
        this.forOf(node, ctx);
        return;
      case "BreakStatement":
      case "ContinueStatement":
        if (node.label) this.notAllowed(node, "a label");
        return;
      case "SwitchStatement":
        this.expression(node.discriminant, ctx, "value");
        for (const switchCase of node.cases as Node[]) {
          if (switchCase.test) this.expression(switchCase.test, ctx, "value");
          this.block(switchCase.consequent, ctx);
        }
        return;
      case "EmptyStatement":
        return;
      default:
        this.notAllowed(node, describe(node));
    }
  }

  private loopDepth(node: Node, ctx: Ctx): boolean {
    if (ctx.loops.length < CODE_LIMITS.loopNesting) return true;
    this.notAllowed(node, `loops nested more than ${CODE_LIMITS.loopNesting} deep`);
    return false;
  }

  /** `for (let i = <int>; i < <array>.length | i < <int>; i++ | i += <int>)`, i never written in the body. */
  private forLoop(node: Node, ctx: Ctx): void {
    const shape = "`for (let i = 0; i < <array>.length or a number up to 100000; i++)`";
    const init = node.init as Node | null;
    const test = node.test as Node | null;
    const update = node.update as Node | null;
    const declarator = init?.type === "VariableDeclaration" && init.kind === "let" && init.declarations.length === 1 ? (init.declarations[0] as Node) : null;
    const counter = declarator?.id.type === "Identifier" ? (declarator.id as Node) : null;
    const binding = counter ? this.declared.get(counter) : undefined;
    const isCounter = (n: Node | null | undefined) => n?.type === "Identifier" && n.name === counter?.name && this.refs.get(n) === binding;
    const smallInt = (n: Node | null | undefined) => n?.type === "Literal" && Number.isInteger(n.value) && n.value >= 0 && n.value <= CODE_LIMITS.loopBound;
    let walks: Binding | undefined;
    let boundOk = false;
    if (test?.type === "BinaryExpression" && ["<", "<="].includes(test.operator) && isCounter(test.left)) {
      const bound = test.right as Node;
      if (smallInt(bound)) boundOk = true;
      else if (bound.type === "MemberExpression" && !bound.computed && bound.property.name === "length" && bound.object.type === "Identifier" && this.isSequence(bound.object)) {
        boundOk = true;
        walks = this.refs.get(bound.object);
      }
    }
    const grows =
      (update?.type === "UpdateExpression" && update.operator === "++" && isCounter(update.argument)) ||
      (update?.type === "AssignmentExpression" && update.operator === "+=" && isCounter(update.left) && smallInt(update.right) && update.right.value > 0);
    if (!counter || binding?.kind !== "counter" || !smallInt(declarator?.init) || !boundOk || !grows) {
      this.notAllowed(node, `this \`for\` loop`, `a for loop needs a bound: ${shape}`);
      return;
    }
    if (binding.assignments.length !== 1) this.notAllowed(node, `writing the loop counter \`${counter.name}\` in the loop body`);
    this.declaredName(counter);
    if (!this.loopDepth(node, ctx)) return;
    this.expression(test?.right, ctx, "value");
    this.statement(node.body, { ...ctx, loops: [...ctx.loops, { counter: binding, walks }] });
  }

  /** `for (const x of <expression>) …`. */
  private forOf(node: Node, ctx: Ctx): void {
    const left = node.left as Node;
    const declarator = left.type === "VariableDeclaration" && left.kind === "const" && left.declarations.length === 1 ? (left.declarations[0] as Node) : null;
    if (node.await) this.notAllowed(node, "`for await`");
    if (!declarator || declarator.id.type !== "Identifier") {
      this.notAllowed(node, "this `for … of` loop", "only `for (const x of …)`");
      return;
    }
    this.declaredName(declarator.id);
    if (!this.loopDepth(node, ctx)) return;
    this.expression(node.right, ctx, "of");
    const walks = node.right.type === "Identifier" ? this.refs.get(node.right) : undefined;
    this.statement(node.body, { ...ctx, loops: [...ctx.loops, { walks }] });
  }

  // --- guards: Object.hasOwn(table, key) ----------------------------------------------------------

  private hasOwnGuard(node: Node): Guard | null {
    if (node.type !== "CallExpression" || node.optional) return null;
    const callee = node.callee as Node;
    if (callee.type !== "MemberExpression" || callee.computed || callee.object.type !== "Identifier" || callee.object.name !== "Object" || callee.property.name !== "hasOwn") return null;
    if (this.refs.get(callee.object)?.kind !== "global" || node.arguments.length !== 2) return null;
    const [table, key] = node.arguments as Node[];
    if (table.type !== "Identifier" || key.type !== "Identifier") return null;
    const tableBinding = this.refs.get(table);
    const keyBinding = this.refs.get(key);
    // Neither can change between the check and the read: tables, constants and parameters only.
    if (!tableBinding || !["table", "const", "param", "of"].includes(tableBinding.kind)) return null;
    if (!keyBinding || !["const", "param", "of"].includes(keyBinding.kind)) return null;
    return { table: tableBinding, key: keyBinding };
  }

  /** Guards a test establishes when true (`hasOwn(...)`, `a && hasOwn(...)`). */
  private guardsOf(test: Node): Guard[] {
    const guard = this.hasOwnGuard(test);
    if (guard) return [guard];
    if (test.type === "LogicalExpression" && test.operator === "&&") return [...this.guardsOf(test.left), ...this.guardsOf(test.right)];
    return [];
  }

  /** The guard a test establishes when false (`!hasOwn(...)`). */
  private negatedGuard(test: Node): Guard | null {
    return test.type === "UnaryExpression" && test.operator === "!" ? this.hasOwnGuard(test.argument) : null;
  }

  private guarded(ctx: Ctx, table: Node, key: Node): boolean {
    const tableBinding = table.type === "Identifier" ? this.refs.get(table) : undefined;
    const keyBinding = key.type === "Identifier" ? this.refs.get(key) : undefined;
    return !!tableBinding && !!keyBinding && ctx.guards.some((guard) => guard.table === tableBinding && guard.key === keyBinding);
  }

  // --- expressions --------------------------------------------------------------------------------

  private expression(node: Node | null | undefined, ctx: Ctx, role: Role): void {
    if (!node) return;
    if (ctx.depth > CODE_LIMITS.depth) {
      if (!this.depthExceeded) this.notAllowed(node, `nesting more than ${CODE_LIMITS.depth} deep`);
      this.depthExceeded = true;
      return;
    }
    const inner = { ...ctx, depth: ctx.depth + 1 };
    switch (node.type) {
      case "Literal":
        this.literal(node);
        return;
      case "Identifier":
        this.identifier(node, role);
        return;
      case "TemplateLiteral":
        for (const quasi of node.quasis as Node[]) {
          const text = (quasi.value.cooked ?? quasi.value.raw) as string;
          if (text.length > CODE_LIMITS.stringChars) this.notAllowed(quasi, `a template part of ${text.length} characters`, `at most ${CODE_LIMITS.stringChars}`);
        }
        for (const part of node.expressions as Node[]) this.expression(part, inner, "value");
        return;
      case "ArrayExpression":
        for (const element of node.elements as Array<Node | null>) {
          if (!element) this.notAllowed(node, "an array hole");
          else if (element.type === "SpreadElement") this.expression(element.argument, inner, "spread");
          else this.expression(element, inner, "value");
        }
        return;
      case "ObjectExpression":
        for (const property of node.properties as Node[]) if (this.objectKey(property)) this.expression(property.value, inner, "value");
        return;
      case "UnaryExpression":
        if (node.operator === "delete") this.notAllowed(node, "`delete`");
        else this.expression(node.argument, inner, "value");
        return;
      case "BinaryExpression":
        if (node.operator === "in") this.notAllowed(node, "the `in` operator", "it sees inherited properties; use Object.hasOwn");
        else if (node.operator === "instanceof") this.notAllowed(node, "`instanceof`");
        this.expression(node.left, inner, "value");
        this.expression(node.right, inner, "value");
        return;
      case "LogicalExpression": {
        this.expression(node.left, inner, "value");
        const guards = node.operator === "&&" ? this.guardsOf(node.left) : [];
        const negated = node.operator === "||" ? this.negatedGuard(node.left) : null;
        this.expression(node.right, { ...inner, guards: [...inner.guards, ...guards, ...(negated ? [negated] : [])] }, "value");
        return;
      }
      case "ConditionalExpression": {
        this.expression(node.test, inner, "value");
        this.expression(node.consequent, { ...inner, guards: [...inner.guards, ...this.guardsOf(node.test)] }, role === "return" ? "return" : "value");
        const negated = this.negatedGuard(node.test);
        this.expression(node.alternate, { ...inner, guards: negated ? [...inner.guards, negated] : inner.guards }, role === "return" ? "return" : "value");
        return;
      }
      case "AssignmentExpression":
        this.assignment(node, inner, node.left, node.right);
        return;
      case "UpdateExpression":
        this.assignment(node, inner, node.argument, null);
        return;
      case "CallExpression":
        this.call(node, inner, role);
        return;
      case "NewExpression": {
        const callee = node.callee as Node;
        if (callee.type !== "Identifier" || callee.name !== "Set" || this.refs.get(callee)?.kind !== "global") {
          this.notAllowed(node, `\`new ${callee.type === "Identifier" ? printable(callee.name) : "…"}\``, "only `new Set(…)`");
          return;
        }
        if (node.arguments.length > 1) this.notAllowed(node, "`new Set` with more than one argument");
        for (const arg of node.arguments as Node[]) this.expression(arg.type === "SpreadElement" ? arg.argument : arg, inner, arg.type === "SpreadElement" ? "spread" : "value");
        return;
      }
      case "MemberExpression":
        this.member(node, inner);
        return;
      case "ChainExpression":
        this.expression(node.expression, inner, role);
        return;
      case "ArrowFunctionExpression":
        this.notAllowed(node, "an arrow function here", "only as a callback argument, e.g. `.map((x) => …)`");
        return;
      default:
        this.notAllowed(node, describe(node));
    }
  }

  private identifier(node: Node, role: Role): void {
    if (!this.name(node)) return;
    const binding = this.refs.get(node);
    if (!binding) {
      this.notAllowed(node, `\`${node.name}\``, "not declared in the module and not an allowed built-in");
      return;
    }
    if (binding.kind === "global" && !VALUE_GLOBALS.has(node.name)) {
      this.notAllowed(node, `\`${node.name}\` as a value`, `only ${node.name === "Set" ? "`new Set(…)`" : `calls of ${node.name}.${[...(STATICS[node.name] ?? [])].join("/")}`}`);
      return;
    }
    if (binding.kind === "function") {
      this.notAllowed(node, `the function \`${node.name}\` as a value`, "call it, or pass it as a callback");
      return;
    }
    if (binding.mutated && !["return", "spread", "of", "object"].includes(role)) {
      this.notAllowed(node, `\`${node.name}\` as a value`, "a collection the function changes is read only through its properties, spread, looped over or returned, never aliased");
    }
  }

  private member(node: Node, ctx: Ctx): void {
    const object = node.object as Node;
    if (object.type === "Identifier" && this.refs.get(object)?.kind === "global") {
      this.notAllowed(node, `reading \`${object.name}.${node.computed ? "[…]" : node.property.name}\``);
      return;
    }
    if (object.type === "Super") {
      this.notAllowed(object, "`super`");
      return;
    }
    this.expression(object, ctx, "object");
    const property = node.property as Node;
    if (!node.computed) {
      if (this.name(property)) this.memberKey(property, property.name);
      return;
    }
    if (property.type === "Literal" && typeof property.value === "string") {
      this.literal(property);
      this.memberKey(property, property.value);
    } else if (this.isNumeric(property) || this.guarded(ctx, object, property)) {
      this.expression(property, ctx, "value");
    } else {
      this.notAllowed(node, "computed member access `x[…]`", "only with a number, a string literal, or a key checked with `Object.hasOwn(x, key)` first");
    }
  }

  private memberKey(node: Node, key: string): void {
    if (INHERITED.has(key)) this.notAllowed(node, `property \`${key}\``, "an inherited name, not data");
  }

  /** `x = …`, `x += …`, `x++` on a `let` of this function; `a[i] = …` on an array this function made. */
  private assignment(node: Node, ctx: Ctx, target: Node, right: Node | null): void {
    if (right) this.expression(right, ctx, "value");
    if (target.type === "Identifier") {
      if (!this.name(target)) return;
      const binding = this.refs.get(target);
      if (!binding) this.notAllowed(target, `assignment to undeclared \`${target.name}\``);
      else if (binding.kind !== "let" || binding.owner !== ctx.owner) this.notAllowed(target, `assignment to \`${target.name}\``, "only to `let` variables of the function");
      return;
    }
    if (target.type === "MemberExpression" && target.computed && target.object.type === "Identifier" && this.writableArray(target.object, ctx)) {
      const index = target.property as Node;
      const counter = index.type === "Identifier" ? this.refs.get(index) : undefined;
      const literalIndex = index.type === "Literal" && Number.isInteger(index.value) && index.value >= 0 && index.value <= CODE_LIMITS.loopBound;
      if (literalIndex || (counter && ctx.loops.some((loop) => loop.counter === counter))) {
        this.expression(target.object, ctx, "object");
        return;
      }
    }
    this.notAllowed(node, `assignment to \`${printable(this.code.slice(target.start, Math.min(target.end, target.start + 40)))}\``, "only to `let` variables and to elements of arrays the function created, at a literal index or a loop counter");
    // What the target reaches is named too (`globalThis`, `this`, a prototype).
    if (target.type === "MemberExpression") this.member(target, ctx);
    else this.expression(target, ctx, "value");
  }

  /** A `const` of this function that holds a collection it created (`[…]`, `new Set`, `.slice()`, …). */
  private writableArray(id: Node, ctx: Ctx): boolean {
    const binding = this.refs.get(id);
    return !!binding && binding.kind === "const" && binding.owner === ctx.owner && binding.init !== null && isFresh(binding.init);
  }

  private call(node: Node, ctx: Ctx, role: Role): void {
    const callee = node.callee as Node;
    const args = node.arguments as Node[];
    const values = (list: readonly Node[]) => {
      for (const arg of list) this.expression(arg.type === "SpreadElement" ? arg.argument : arg, ctx, arg.type === "SpreadElement" ? "spread" : "value");
    };
    if (callee.type === "Identifier") {
      if (this.name(callee)) {
        const binding = this.refs.get(callee);
        if (binding?.kind === "function") this.calls.get(ctx.fnName)?.add(callee.name);
        else if (!binding) this.notAllowed(callee, `\`${callee.name}\``, "not declared in the module and not an allowed built-in");
        else if (binding.kind !== "global" || !CALLABLE_GLOBALS.has(callee.name)) {
          this.notAllowed(callee, `calling \`${callee.name}\``, `only the module's own functions and ${[...CALLABLE_GLOBALS].join(", ")} may be called`);
        }
      }
      values(args);
      return;
    }
    if (callee.type !== "MemberExpression") {
      this.notAllowed(node, `calling ${callee.type === "CallExpression" ? "the result of a call" : describe(callee)}`, "only the module's own functions, allowed built-ins and methods may be called");
      if (callee.type !== "ArrowFunctionExpression") this.expression(callee, ctx, "value");
      else this.callback(callee, ctx);
      values(args);
      return;
    }
    const object = callee.object as Node;
    if (callee.computed) {
      this.notAllowed(node, "a computed method call `x[…]()`");
      this.expression(object, ctx, "object");
      this.expression(callee.property, ctx, "value");
      values(args);
      return;
    }
    if (!this.name(callee.property)) return;
    const method = callee.property.name as string;
    const namespace = object.type === "Identifier" && this.refs.get(object)?.kind === "global" ? (object.name as string) : null;
    if (namespace !== null) {
      const statics = STATICS[namespace];
      if (!statics?.has(method)) {
        this.notAllowed(callee, `\`${namespace}.${method}\``, statics ? `${namespace} allows ${[...statics].join(", ")}` : `${namespace} has no functions to call`);
      } else if (namespace === "JSON" && args.length > 1) this.notAllowed(node, "`JSON.stringify` with a replacer");
      values(args);
      return;
    }
    let refused = false;
    const refuse = (at: Node, what: string, why?: string) => {
      this.notAllowed(at, what, why);
      refused = true;
    };
    if (INHERITED.has(method)) refuse(callee.property, `property \`${method}\``, "an inherited name, not data");
    else if (!METHODS.has(method)) refuse(callee.property, `calling \`.${method}()\``, "not a method on the allowed list");
    else if (MUTATING.has(method)) {
      if (role !== "statement") refuse(node, `\`.${method}()\` inside an expression`, "only as a statement of its own");
      else if (object.type !== "Identifier" || !this.writableArray(object, ctx)) {
        refuse(node, `\`.${method}()\` on \`${printable(this.code.slice(object.start, Math.min(object.end, object.start + 40)))}\``, "only on a const array or set the function created");
      } else if (ctx.loops.some((loop) => loop.walks === this.refs.get(object))) {
        refuse(node, `\`${object.name}.${method}()\` inside a loop over \`${object.name}\``, "the loop might never end");
      }
    } else if (method === "test" && !(object.type === "Literal" && object.regex)) refuse(node, "`.test()` on anything but a regular expression literal");
    else if (method === "match" && !(args[0]?.type === "Literal" && args[0].regex)) refuse(node, "`.match()` without a regular expression literal", "a string would be compiled as a pattern");
    this.expression(object, ctx, "object");
    args.forEach((arg, i) => {
      if (refused && arg.type === "ArrowFunctionExpression") this.callback(arg, ctx);
      else if (refused) values([arg]);
      else if (CALLBACKS[method] === i) this.callback(arg, ctx);
      else if ((method === "replace" || method === "replaceAll") && i === 1) this.replacement(arg, ctx);
      else values([arg]);
    });
  }

  /** A callback: an inline arrow function, an own function, or String/Number/Boolean. */
  private callback(arg: Node, ctx: Ctx): void {
    if (arg.type === "ArrowFunctionExpression") {
      if (arg.async) this.notAllowed(arg, "an async arrow function");
      this.params(arg);
      if (arg.body.type === "BlockStatement") this.block(arg.body.body, ctx);
      else this.expression(arg.body, ctx, "value");
      return;
    }
    if (arg.type === "Identifier" && this.name(arg)) {
      const binding = this.refs.get(arg);
      if (binding?.kind === "function") {
        this.calls.get(ctx.fnName)?.add(arg.name);
        return;
      }
      if (binding?.kind === "global" && ["String", "Number", "Boolean"].includes(arg.name)) return;
    }
    this.notAllowed(arg, `${describe(arg)} as a callback`, "only an inline arrow function, one of the module's own functions, or String/Number/Boolean");
  }

  /** The replacement of `.replace()`: a string, or a callback. */
  private replacement(arg: Node, ctx: Ctx): void {
    if (arg.type === "ArrowFunctionExpression" || (arg.type === "Identifier" && this.refs.get(arg)?.kind === "function")) this.callback(arg, ctx);
    else if ((arg.type === "Literal" && typeof arg.value === "string") || arg.type === "TemplateLiteral" || (arg.type === "BinaryExpression" && arg.operator === "+")) this.expression(arg, ctx, "value");
    else this.notAllowed(arg, `${describe(arg)} as the replacement of \`.replace()\``, "a string literal, a template or a `+` expression, or a callback");
  }

  private checkRecursion(): void {
    const state = new Map<string, "open" | "done">();
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === "done") return;
      if (state.get(name) === "open") {
        const cycle = [...path.slice(path.indexOf(name)), name];
        const fn = this.functions.get(name);
        this.notAllowed(fn ?? { start: 0 }, `recursion (${cycle.join(" → ")})`, "a call chain that might never end");
        return;
      }
      state.set(name, "open");
      for (const next of this.calls.get(name) ?? []) visit(next, [...path, name]);
      state.set(name, "done");
    };
    for (const name of this.calls.keys()) visit(name, []);
  }
}

// --- regular expressions --------------------------------------------------------------------------

/**
 * Why a regular expression could backtrack badly, or null. Allowed: characters, escapes (no
 * back-references) and classes, at most the LAST of them repeated, an optional leading `^`, and a
 * trailing `$` after a repeat only with the leading `^` (and no `m` flag). Such patterns match in
 * linear time: nothing after the repeat can fail and send it back.
 */
export function regexProblem(pattern: string, flags: string): string | null {
  if (pattern.length > CODE_LIMITS.regexChars) return `longer than ${CODE_LIMITS.regexChars} characters`;
  if (/[^gimsuy]/.test(flags)) return `the flags ${flags} (allowed: g, i, m, s, u, y)`;
  let i = 0;
  const atoms: boolean[] = []; // quantified?
  const anchoredStart = pattern.startsWith("^");
  let anchoredEnd = false;
  if (anchoredStart) i = 1;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "$" && i === pattern.length - 1) {
      anchoredEnd = true;
      break;
    }
    if (c === "(") return "a group `(…)` (nested repeats backtrack exponentially)";
    if (c === "|") return "an alternative `|`";
    if (c === "^" || c === "$") return "an anchor inside the pattern";
    if (c === "*" || c === "+" || c === "?" || c === "{") {
      if (atoms.length === 0 || atoms[atoms.length - 1]) return "a repeat of a repeat";
      if (c === "{") {
        const quantifier = /^\{\d{1,4}(,\d{0,4})?\}/.exec(pattern.slice(i));
        if (!quantifier) return "an unescaped `{`";
        i += quantifier[0].length;
      } else i++;
      if (pattern[i] === "?") i++; // lazy
      atoms[atoms.length - 1] = true;
      continue;
    }
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (/[1-9]/.test(next)) return "a back-reference";
      if (next === "k") return "a named back-reference";
      if ((next === "p" || next === "P") && pattern[i + 2] === "{") {
        const close = pattern.indexOf("}", i);
        if (close < 0) return "an unterminated `\\p{`";
        i = close + 1;
      } else if (next === "u" && pattern[i + 2] === "{") {
        const close = pattern.indexOf("}", i);
        if (close < 0) return "an unterminated `\\u{`";
        i = close + 1;
      } else if (next === "u") i += 6;
      else if (next === "x") i += 4;
      else if (next === "c") i += 3;
      else i += 2;
      atoms.push(false);
      continue;
    }
    if (c === "[") {
      let j = i + 1;
      if (pattern[j] === "^") j++;
      if (pattern[j] === "]") j++;
      while (j < pattern.length && pattern[j] !== "]") j += pattern[j] === "\\" ? 2 : 1;
      if (j >= pattern.length) return "an unterminated class `[`";
      i = j + 1;
      atoms.push(false);
      continue;
    }
    atoms.push(false);
    i++;
  }
  const repeated = atoms.indexOf(true);
  if (repeated >= 0 && repeated !== atoms.length - 1) return "a repeat before the end of the pattern (it could backtrack)";
  if (repeated >= 0 && anchoredEnd && (!anchoredStart || flags.includes("m"))) return "a repeat followed by `$` without a leading `^` (it could backtrack)";
  return null;
}

// --- helpers --------------------------------------------------------------------------------------

/** Whether an offset lies strictly inside one of the sorted, disjoint ranges (binary search). */
function within(ranges: ReadonlyArray<readonly [number, number]>, at: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = ranges[mid];
    if (at <= start) hi = mid - 1;
    else if (at >= end) lo = mid + 1;
    else return true;
  }
  return false;
}

function childNodes(node: Node): Node[] {
  const out: Node[] = [];
  for (const key in node) {
    if (key === "loc" || key === "type" || key === "start" || key === "end") continue;
    const value = node[key];
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (const child of value) if (isNode(child)) out.push(child);
    } else if (isNode(value)) out.push(value);
  }
  return out;
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" && "start" in value;
}

/** The AST's depth, without recursion (a hostile module may nest thousands deep). */
function maxDepth(root: Node): number {
  let deepest = 0;
  const nodes: Node[] = [root];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as Node;
    const depth = depths.pop() as number;
    if (depth > deepest) deepest = depth;
    if (depth > CODE_LIMITS.depth) break;
    for (const child of childNodes(node)) {
      nodes.push(child);
      depths.push(depth + 1);
    }
  }
  return deepest;
}

function alwaysExits(node: Node): boolean {
  if (["ReturnStatement", "ContinueStatement", "BreakStatement"].includes(node.type)) return true;
  return node.type === "BlockStatement" && node.body.length > 0 && alwaysExits(node.body[node.body.length - 1]);
}

/** Initialisers that make a new array or set, which the function may then change. */
function isFresh(init: Node): boolean {
  if (init.type === "ArrayExpression") return true;
  if (init.type === "NewExpression") return init.callee.type === "Identifier" && init.callee.name === "Set";
  if (init.type !== "CallExpression" || init.callee.type !== "MemberExpression" || init.callee.computed) return false;
  return ["slice", "map", "filter", "concat", "split", "flatMap", "flat"].includes(init.callee.property.name);
}

function describe(node: Node): string {
  if (REFUSED[node.type]) return REFUSED[node.type];
  if (node.type === "VariableDeclaration") return `\`${node.kind}\``;
  return node.type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

function bidi(char: string): boolean {
  return /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(char);
}

/** Text for a one-line reason: everything outside printable ASCII as \uXXXX. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`);
}
