import * as acorn from "acorn";

/**
 * Static gate on generated code, before it ever runs: one top-level `export default function
 * compiled(input)`, plain functions and const tables beside it, and nothing that reaches outside
 * the function (globals of the host, time, randomness, code generation, modules) or can spin forever.
 */
const ALLOWED_NODES = new Set([
  "Program", "ExportDefaultDeclaration", "FunctionDeclaration", "ArrowFunctionExpression", "FunctionExpression",
  "VariableDeclaration", "VariableDeclarator", "Identifier", "Literal", "TemplateLiteral", "TemplateElement",
  "ReturnStatement", "IfStatement", "BlockStatement", "ExpressionStatement", "EmptyStatement", "SwitchStatement", "SwitchCase",
  "BreakStatement", "ContinueStatement", "ThrowStatement", "TryStatement", "CatchClause",
  "ConditionalExpression", "LogicalExpression", "BinaryExpression", "UnaryExpression", "UpdateExpression", "AssignmentExpression",
  "MemberExpression", "ChainExpression", "CallExpression", "ObjectExpression", "Property", "ArrayExpression", "SpreadElement",
  "RestElement", "ObjectPattern", "ArrayPattern", "AssignmentPattern", "SequenceExpression", "ParenthesizedExpression",
  "ForOfStatement", "ForStatement", "NewExpression",
]);

const FORBIDDEN_IDENTIFIERS = new Set([
  "Date", "eval", "Function", "globalThis", "global", "window", "self", "process", "require", "module", "exports",
  "import", "Reflect", "Proxy", "WebAssembly", "Atomics", "SharedArrayBuffer", "setTimeout", "setInterval", "setImmediate",
  "queueMicrotask", "fetch", "XMLHttpRequest", "performance", "crypto", "arguments", "Buffer", "AsyncFunction", "Promise",
]);

const FORBIDDEN_PROPERTIES = new Set(["constructor", "__proto__", "prototype", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "caller", "callee"]);

/** Constructors code may legitimately build values with. */
const ALLOWED_NEW = new Set(["Set", "Map", "RegExp", "Error"]);

export type AllowlistResult = { ok: true } | { ok: false; reasons: string[] };

type AnyNode = acorn.Node & Record<string, unknown>;

export function checkAllowlist(code: string): AllowlistResult {
  let program: acorn.Program;
  try {
    program = acorn.parse(code, { ecmaVersion: 2022, sourceType: "module", locations: true });
  } catch (err) {
    return { ok: false, reasons: [`does not parse: ${err instanceof Error ? err.message : String(err)}`] };
  }
  const reasons: string[] = [];
  const at = (node: acorn.Node) => `line ${node.loc?.start.line ?? "?"}`;
  const exports = program.body.filter((node) => node.type === "ExportDefaultDeclaration");
  const entry = exports[0] as acorn.ExportDefaultDeclaration | undefined;
  if (exports.length !== 1 || entry?.declaration.type !== "FunctionDeclaration" || entry.declaration.id?.name !== "compiled") {
    reasons.push("must have exactly one `export default function compiled(input)`");
  } else if (entry.declaration.async || entry.declaration.generator) {
    reasons.push("compiled must be a plain (not async, not generator) function");
  }
  for (const statement of program.body) {
    if (!["ExportDefaultDeclaration", "FunctionDeclaration", "VariableDeclaration"].includes(statement.type)) {
      reasons.push(`${at(statement)}: only functions and const declarations may appear at the top level (found ${statement.type})`);
    }
  }

  const visit = (node: AnyNode, parent: AnyNode | null): void => {
    if (!ALLOWED_NODES.has(node.type)) {
      reasons.push(`${at(node)}: ${node.type} is not allowed`);
      return;
    }
    switch (node.type) {
      case "Identifier": {
        const name = node.name as string;
        const isPropertyName = parent && ((parent.type === "MemberExpression" && parent.property === node && !parent.computed) || (parent.type === "Property" && parent.key === node && !parent.computed));
        if (!isPropertyName && FORBIDDEN_IDENTIFIERS.has(name)) reasons.push(`${at(node)}: \`${name}\` is not allowed`);
        if (isPropertyName && FORBIDDEN_PROPERTIES.has(name)) reasons.push(`${at(node)}: property \`${name}\` is not allowed`);
        break;
      }
      case "Literal":
        if (typeof node.value === "string" && FORBIDDEN_PROPERTIES.has(node.value) && parent && (parent.type === "MemberExpression" || parent.type === "Property")) {
          reasons.push(`${at(node)}: property \`${node.value}\` is not allowed`);
        }
        break;
      case "MemberExpression": {
        const object = node.object as AnyNode;
        const property = node.property as AnyNode;
        const propertyName = node.computed ? (property.type === "Literal" ? property.value : null) : property.name;
        if (object.type === "Identifier" && object.name === "Math" && propertyName === "random") reasons.push(`${at(node)}: \`Math.random\` is not allowed`);
        break;
      }
      case "NewExpression": {
        const callee = node.callee as AnyNode;
        if (callee.type !== "Identifier" || !ALLOWED_NEW.has(callee.name as string)) reasons.push(`${at(node)}: \`new\` is only allowed for ${[...ALLOWED_NEW].join(", ")}`);
        break;
      }
      case "ForStatement":
        if (!isBoundedFor(node)) reasons.push(`${at(node)}: a for loop needs a bound (\`for (let i = …; i < n; i++)\`)`);
        break;
      case "VariableDeclaration":
        if (node.kind === "var") reasons.push(`${at(node)}: use const or let, not var`);
        break;
      case "AssignmentExpression": {
        // Writing to a global (or an undeclared name) could leak state between calls and break det.
        const target = node.left as AnyNode;
        if (target.type === "Identifier" && !declaredLocally(target.name as string, program)) reasons.push(`${at(node)}: assignment to undeclared \`${target.name}\``);
        break;
      }
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) visit(child as AnyNode, node);
      } else if (isNode(value)) {
        visit(value as AnyNode, node);
      }
    }
  };
  visit(program as unknown as AnyNode, null);
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons: [...new Set(reasons)] };
}

function isNode(value: unknown): value is acorn.Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" && "start" in value;
}

/** `for (let i = <expr>; i < <expr> | i <= <expr>; i++ | i += <literal>)`: a counter that only grows toward a bound. */
function isBoundedFor(node: AnyNode): boolean {
  const init = node.init as AnyNode | null;
  const test = node.test as AnyNode | null;
  const update = node.update as AnyNode | null;
  if (!init || init.type !== "VariableDeclaration" || !test || !update) return false;
  const declarations = init.declarations as AnyNode[];
  const counter = (declarations[0]?.id as AnyNode | undefined)?.name;
  if (typeof counter !== "string") return false;
  const bounded = test.type === "BinaryExpression" && ["<", "<="].includes(test.operator as string) && (test.left as AnyNode).type === "Identifier" && (test.left as AnyNode).name === counter;
  const grows =
    (update.type === "UpdateExpression" && update.operator === "++" && (update.argument as AnyNode).name === counter) ||
    (update.type === "AssignmentExpression" && update.operator === "+=" && (update.left as AnyNode).name === counter && (update.right as AnyNode).type === "Literal" && Number((update.right as AnyNode).value) > 0);
  return bounded && grows;
}

/** Whether `name` is declared anywhere in the program (a variable, a parameter or a function). */
function declaredLocally(name: string, program: acorn.Program): boolean {
  let found = false;
  const visit = (node: AnyNode): void => {
    if (found) return;
    if ((node.type === "VariableDeclarator" || node.type === "FunctionDeclaration") && (node.id as AnyNode | null)?.name === name) found = true;
    if (["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"].includes(node.type)) {
      for (const param of node.params as AnyNode[]) if (param.type === "Identifier" && param.name === name) found = true;
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach((child) => isNode(child) && visit(child as AnyNode));
      else if (isNode(value)) visit(value as AnyNode);
    }
  };
  visit(program as unknown as AnyNode);
  return found;
}
