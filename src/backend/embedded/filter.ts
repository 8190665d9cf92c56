import { compareValues, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { fieldValue } from "./store.js";

/** A serialized `.filter()` expression, as convex/server's filter builder emits it. */
export type FilterExpr = { [op: string]: FilterExpr[] | FilterExpr | string | JSONValue };

/** A JSON value from a query; `{$undefined: null}` stands for undefined. */
export function queryValue(json: JSONValue): Value | undefined {
  if (typeof json === "object" && json !== null && !Array.isArray(json) && "$undefined" in json) return undefined;
  return jsonToConvex(json);
}

type Out = Value | undefined;

function pair(e: FilterExpr, op: string, doc: Record<string, Value>): [Out, Out] {
  const args = e[op] as FilterExpr[];
  return [evaluate(args[0], doc), evaluate(args[1], doc)];
}

function num(v: Out): number {
  return v as number; // arithmetic on non-numbers follows JS semantics, as in convex-test
}

function cmp(a: Out, b: Out): number {
  return compareValues(a, b);
}

export function evaluate(e: FilterExpr, doc: Record<string, Value>): Out {
  const op = Object.keys(e)[0];
  switch (op) {
    case "$field":
      return fieldValue(doc, e.$field as string);
    case "$literal":
      return queryValue(e.$literal as JSONValue);
    case "$eq": {
      const [a, b] = pair(e, op, doc);
      return cmp(a, b) === 0;
    }
    case "$neq": {
      const [a, b] = pair(e, op, doc);
      return cmp(a, b) !== 0;
    }
    case "$lt": {
      const [a, b] = pair(e, op, doc);
      return cmp(a, b) < 0;
    }
    case "$lte": {
      const [a, b] = pair(e, op, doc);
      return cmp(a, b) <= 0;
    }
    case "$gt": {
      const [a, b] = pair(e, op, doc);
      return cmp(a, b) > 0;
    }
    case "$gte": {
      const [a, b] = pair(e, op, doc);
      return cmp(a, b) >= 0;
    }
    case "$and":
      return (e.$and as FilterExpr[]).every((c) => evaluate(c, doc) === true);
    case "$or":
      return (e.$or as FilterExpr[]).some((c) => evaluate(c, doc) === true);
    case "$not":
      return evaluate(e.$not as FilterExpr, doc) !== true;
    case "$neg":
      return -num(evaluate(e.$neg as FilterExpr, doc));
    case "$add": {
      const [a, b] = pair(e, op, doc);
      return num(a) + num(b);
    }
    case "$sub": {
      const [a, b] = pair(e, op, doc);
      return num(a) - num(b);
    }
    case "$mul": {
      const [a, b] = pair(e, op, doc);
      return num(a) * num(b);
    }
    case "$div": {
      const [a, b] = pair(e, op, doc);
      return num(a) / num(b);
    }
    case "$mod": {
      const [a, b] = pair(e, op, doc);
      return num(a) % num(b);
    }
    default:
      throw new Error(`Unsupported filter expression: ${JSON.stringify(e)}`);
  }
}
