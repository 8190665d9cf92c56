import type { JSONValue, Value } from "convex/values";
import { afterPrefix, concat, encodeKey } from "./keys.js";
import { queryValue } from "./filter.js";

export interface RangeExpr {
  type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte";
  fieldPath: string;
  value: JSONValue;
}

/** Where a `withIndex` chain is: in its `.eq()` prefix, after one bound, or after both. */
type ChainState = "eq" | "lower" | "upper" | "both";

function boundKind(r: RangeExpr): "eq" | "lower" | "upper" {
  return r.type === "Eq" ? "eq" : r.type === "Gt" || r.type === "Gte" ? "lower" : "upper";
}

const operator = (r: RangeExpr): string => r.type.toLowerCase();

/**
 * Refuses the chains Convex refuses, with its wording: `.eq()`s on the index's fields in order, then
 * at most one lower and one upper bound (either order), both on the field after the last `.eq()`.
 * Fields run on past the declared ones into _creationTime and _id, as every Convex index does.
 */
function checkChain(fields: string[], range: RangeExpr[]): void {
  let state: ChainState = "eq";
  let next = 0; // index into `fields` of the field the next `.eq()` or first bound must name
  range.forEach((r, i) => {
    const kind = boundKind(r);
    if (state === "both") {
      throw new Error(
        "Incorrect operator used in `withIndex`, cannot chain more operators after both `.gt` and `.lt` were already used, " +
          `got \`.${operator(r)}(${r.fieldPath}, ${JSON.stringify(r.value)})\`.`,
      );
    }
    if (state === "eq") {
      if (r.fieldPath !== fields[next]) throw new Error(`Incorrect field used in \`withIndex\`, expected "${fields[next]}", got "${r.fieldPath}"`);
      next++;
      state = kind;
      return;
    }
    const closesRange = (state === "lower" && kind === "upper") || (state === "upper" && kind === "lower");
    if (!closesRange) throw new Error(`Incorrect operator used in \`withIndex\`, cannot chain \`.${operator(r)}()\` after \`.${operator(range[i - 1])}()\``);
    const bounded = fields[next - 1];
    if (r.fieldPath !== bounded) {
      throw new Error(
        `Incorrect field used in \`withIndex\`, \`.gt\` and \`.lt\` must operate on the same field, expected "${bounded}", got "${r.fieldPath}"`,
      );
    }
    state = "both";
  });
}

/**
 * Turns a `withIndex` range (eq* then optional lower and upper bound on the next field) into the
 * half-open byte range [lo, hi) over the index's key column. Throws on ranges Convex rejects.
 */
export function indexBounds(fields: string[], range: RangeExpr[]): { lo: Uint8Array; hi: Uint8Array } {
  checkChain([...fields, "_creationTime", "_id"], range);
  const eqs: (Value | undefined)[] = [];
  let i = 0;
  for (; i < range.length && range[i].type === "Eq"; i++) eqs.push(queryValue(range[i].value));
  const prefix = encodeKey(eqs);
  let lo = prefix;
  let hi = afterPrefix(prefix);
  for (const r of range.slice(i)) {
    const at = concat(prefix, encodeKey([queryValue(r.value)]));
    if (r.type === "Gte") lo = at;
    else if (r.type === "Gt") lo = afterPrefix(at);
    else if (r.type === "Lt") hi = at;
    else hi = afterPrefix(at);
  }
  return { lo, hi };
}
