import ts from "typescript";

/** A value the agent wrote as a literal; evaluation gives up (returns NOT_STATIC) on anything computed. */
export const NOT_STATIC = Symbol("not static");

/**
 * Evaluates an expression made only of literals (objects, arrays, strings, numbers, booleans, null,
 * string concatenation, `as const` / `satisfies`) without running the agent's code. Identifiers
 * resolve through `consts`, the file's top-level `const` declarations.
 */
export function staticValue(node: ts.Expression, consts: ReadonlyMap<string, ts.Expression>, depth = 0): unknown {
  if (depth > 50) return NOT_STATIC;
  const recurse = (child: ts.Expression) => staticValue(child, consts, depth + 1);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) return recurse(node.expression);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
    const inner = recurse(node.operand);
    return typeof inner === "number" ? -inner : NOT_STATIC;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = recurse(node.left);
    const right = recurse(node.right);
    if (typeof left === "string" && typeof right === "string") return left + right;
    if (typeof left === "number" && typeof right === "number") return left + right;
    return NOT_STATIC;
  }
  if (ts.isIdentifier(node)) {
    const target = consts.get(node.text);
    return target ? recurse(target) : NOT_STATIC;
  }
  if (ts.isArrayLiteralExpression(node)) {
    const items: unknown[] = [];
    for (const element of node.elements) {
      const value = recurse(element);
      if (value === NOT_STATIC) return NOT_STATIC;
      items.push(value);
    }
    return items;
  }
  if (ts.isObjectLiteralExpression(node)) {
    const record: Record<string, unknown> = {};
    for (const property of node.properties) {
      if (ts.isPropertyAssignment(property)) {
        const key = propertyKey(property.name);
        if (key === null) return NOT_STATIC;
        const value = recurse(property.initializer);
        if (value === NOT_STATIC) return NOT_STATIC;
        record[key] = value;
      } else if (ts.isShorthandPropertyAssignment(property)) {
        const value = recurse(property.name);
        if (value === NOT_STATIC) return NOT_STATIC;
        record[property.name.text] = value;
      } else {
        return NOT_STATIC;
      }
    }
    return record;
  }
  return NOT_STATIC;
}

export function propertyKey(name: ts.PropertyName): string | null {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return null;
}

/** The file's top-level `const NAME = <expr>` declarations (exported or not). */
export function topLevelConsts(source: ts.SourceFile): Map<string, ts.Expression> {
  const consts = new Map<string, ts.Expression>();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    if (!(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.initializer) consts.set(declaration.name.text, declaration.initializer);
    }
  }
  return consts;
}
