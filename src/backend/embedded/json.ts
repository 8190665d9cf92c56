import { convexToJson, type Value } from "convex/values";

/**
 * The Convex-JSON text of a value, as `JSON.stringify(convexToJson(value))` gives it (up to object key
 * order, which nothing reads). When the value holds only strings, booleans, null, finite numbers other
 * than -0, arrays without holes or undefined, and plain objects with valid field names, its Convex
 * JSON is its plain JSON, so the native JSON.stringify writes it without convexToJson's sorted copy;
 * anything else (bigint, bytes, special numbers, `$` fields, class instances) goes through convexToJson,
 * which encodes it or throws its usual error.
 */
export function convexJsonText(value: unknown): string {
  return isPlainJson(value, 0) ? JSON.stringify(value) : JSON.stringify(convexToJson(value as Value));
}

const MAX_DEPTH = 64;
const MAX_FIELD_NAME = 1024;

function isPlainJson(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    case "object": {
      if (v === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) return false;
          const x: unknown = v[i];
          if (x === undefined || !isPlainJson(x, depth + 1)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const obj = v as Record<string, unknown>;
      for (const k in obj) {
        if (!validFieldName(k)) return false;
        const x = obj[k];
        if (x !== undefined && !isPlainJson(x, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** convex/values' rule: at most 1024 printable ASCII characters, not starting with `$`. */
function validFieldName(k: string): boolean {
  if (k.length > MAX_FIELD_NAME || k.charCodeAt(0) === 36) return false;
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c < 32 || c >= 127) return false;
  }
  return true;
}
