import type { JSONValue, Value } from "convex/values";
import { afterPrefix, concat, encodeKey } from "./keys.js";
import { queryValue } from "./filter.js";

export interface RangeExpr {
  type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte";
  fieldPath: string;
  value: JSONValue;
}

/**
 * Turns a `withIndex` range (eq* then optional lower and upper bound on the next field) into the
 * half-open byte range [lo, hi) over the index's key column. Throws on ranges Convex rejects.
 */
export function indexBounds(fields: string[], range: RangeExpr[]): { lo: Uint8Array; hi: Uint8Array } {
  const all = [...fields, "_creationTime", "_id"];
  const eqs: (Value | undefined)[] = [];
  let i = 0;
  for (; i < range.length && range[i].type === "Eq"; i++) {
    if (range[i].fieldPath !== all[eqs.length])
      throw new Error(`Incorrect field used in \`withIndex\`, expected "${all[eqs.length]}", got "${range[i].fieldPath}"`);
    eqs.push(queryValue(range[i].value));
  }
  const prefix = encodeKey(eqs);
  let lo = prefix;
  let hi = afterPrefix(prefix);
  const boundField = all[eqs.length];
  let sawLower = false;
  let sawUpper = false;
  for (; i < range.length; i++) {
    const r = range[i];
    if (r.type === "Eq") throw new Error(`Incorrect operator used in \`withIndex\`, cannot chain \`.eq()\` after a range bound`);
    if (r.fieldPath !== boundField)
      throw new Error(`Incorrect field used in \`withIndex\`, expected "${boundField}", got "${r.fieldPath}"`);
    const at = concat(prefix, encodeKey([queryValue(r.value)]));
    if (r.type === "Gt" || r.type === "Gte") {
      if (sawLower) throw new Error("Incorrect operator used in `withIndex`: two lower bounds");
      sawLower = true;
      lo = r.type === "Gte" ? at : afterPrefix(at);
    } else {
      if (sawUpper) throw new Error("Incorrect operator used in `withIndex`: two upper bounds");
      sawUpper = true;
      hi = r.type === "Lt" ? at : afterPrefix(at);
    }
  }
  return { lo, hi };
}
