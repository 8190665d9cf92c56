import { jsonToConvex, type JSONValue, type Value } from "convex/values";

/** A validator in the JSON form convex/values exports (`v.object(...).json`, `exportArgs()`, schema `documentType`). */
export type ValidatorJson =
  | { type: "any" | "null" | "number" | "bigint" | "boolean" | "string" | "bytes" }
  | { type: "literal"; value: JSONValue }
  | { type: "id"; tableName: string }
  | { type: "array"; value: ValidatorJson }
  | { type: "union"; value: ValidatorJson[] }
  | { type: "object"; value: Record<string, { fieldType: ValidatorJson; optional: boolean }> }
  | { type: "record"; keys: ValidatorJson; values: { fieldType: ValidatorJson; optional: boolean } };

export class ValidationError extends Error {
  override name = "ValidationError";
}

export type TableOfId = (id: string) => string | null;

/** A value as Convex's validator messages show it: strings bare, objects and arrays as JSON. */
function show(value: Value | undefined): string {
  if (value === undefined) return "undefined";
  if (value === null || typeof value !== "object") return String(value);
  if (value instanceof ArrayBuffer) return "ArrayBuffer";
  try {
    return JSON.stringify(value, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x));
  } catch {
    return String(value);
  }
}

function isPlainObject(v: unknown): v is Record<string, Value | undefined> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof ArrayBuffer) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Convex's wording (as convex-test gives it), `what` already formatted; the path inside the value,
 * which that wording lacks, follows in parentheses so the message still starts the same.
 */
function expected(path: string, what: string, value: Value | undefined): string {
  return `Validator error: Expected ${what}, got \`${show(value)}\`${path ? ` (at ${path})` : ""}`;
}

/** A type name as the messages quote it. */
const quoted = (name: string): string => `\`${name}\``;

function literalEquals(a: Value, b: Value | undefined): boolean {
  if (typeof a === "bigint" || typeof b === "bigint") return typeof a === typeof b && a === b;
  return a === b;
}

export function validateValue(v: ValidatorJson, value: Value | undefined, tableOfId: TableOfId, path = ""): void {
  // The compiled predicate answers the common case (valid) without building messages; only a value
  // that fails is walked again to say where.
  if (compiled(v)(value, tableOfId)) return;
  const problem = check(v, value, tableOfId, path);
  if (problem !== null) throw new ValidationError(problem);
}

type Predicate = (value: Value | undefined, tableOfId: TableOfId) => boolean;

/** Validators are compiled once per validator object (function args, schema document types). */
const compiledCache = new WeakMap<object, Predicate>();

function compiled(v: ValidatorJson): Predicate {
  let p = compiledCache.get(v);
  if (p === undefined) {
    p = compile(v);
    compiledCache.set(v, p);
  }
  return p;
}

function compile(v: ValidatorJson): Predicate {
  switch (v.type) {
    case "any":
      return (x) => x !== undefined;
    case "null":
      return (x) => x === null;
    case "number":
      return (x) => typeof x === "number";
    case "bigint":
      return (x) => typeof x === "bigint";
    case "boolean":
      return (x) => typeof x === "boolean";
    case "string":
      return (x) => typeof x === "string";
    case "bytes":
      return (x) => x instanceof ArrayBuffer;
    case "literal": {
      const lit = jsonToConvex(v.value);
      return (x) => literalEquals(lit, x);
    }
    case "id": {
      const table = v.tableName;
      return (x, tableOfId) => typeof x === "string" && tableOfId(x) === table;
    }
    case "array": {
      const item = compile(v.value);
      return (x, t) => {
        if (!Array.isArray(x)) return false;
        for (let i = 0; i < x.length; i++) if (!item(x[i], t)) return false;
        return true;
      };
    }
    case "union": {
      const members = v.value.map(compile);
      return (x, t) => {
        for (const m of members) if (m(x, t)) return true;
        return false;
      };
    }
    case "object": {
      const fields = Object.entries(v.value).map(([k, f]) => ({ k, optional: f.optional, check: compile(f.fieldType) }));
      const known = new Set(Object.keys(v.value));
      return (x, t) => {
        if (!isPlainObject(x)) return false;
        for (const f of fields) {
          const fx = x[f.k];
          if (fx === undefined) {
            if (!f.optional) return false;
          } else if (!f.check(fx, t)) return false;
        }
        for (const k in x) if (!known.has(k) && x[k] !== undefined) return false;
        return true;
      };
    }
    case "record": {
      const key = compile(v.keys);
      const val = compile(v.values.fieldType);
      return (x, t) => {
        if (!isPlainObject(x)) return false;
        for (const k in x) {
          const fx = x[k];
          if (fx === undefined) continue;
          if (!key(k, t) || !val(fx, t)) return false;
        }
        return true;
      };
    }
  }
}

/** The first problem found, or null. Returns instead of throwing: unions try members on the hot path. */
function check(v: ValidatorJson, value: Value | undefined, tableOfId: TableOfId, path: string): string | null {
  switch (v.type) {
    case "any":
      return value === undefined ? expected(path, "a value", value) : null;
    case "null":
      return value !== null ? expected(path, quoted("null"), value) : null;
    case "number":
      return typeof value !== "number" ? expected(path, quoted("number"), value) : null;
    case "bigint":
      return typeof value !== "bigint" ? expected(path, quoted("bigint"), value) : null;
    case "boolean":
      return typeof value !== "boolean" ? expected(path, quoted("boolean"), value) : null;
    case "string":
      return typeof value !== "string" ? expected(path, quoted("string"), value) : null;
    case "bytes":
      return !(value instanceof ArrayBuffer) ? expected(path, quoted("ArrayBuffer"), value) : null;
    case "literal": {
      const lit = jsonToConvex(v.value);
      return literalEquals(lit, value) ? null : expected(path, quoted(show(lit)), value);
    }
    case "id":
      return typeof value !== "string" || tableOfId(value) !== v.tableName ? expected(path, `ID for table "${v.tableName}"`, value) : null;
    case "array": {
      if (!Array.isArray(value)) return expected(path, quoted("Array"), value);
      for (let i = 0; i < value.length; i++) {
        const p = check(v.value, value[i], tableOfId, `${path}[${i}]`);
        if (p !== null) return p;
      }
      return null;
    }
    case "union": {
      for (const member of v.value) if (check(member, value, tableOfId, path) === null) return null;
      return expected(path, `one of ${v.value.map((m) => (m.type === "literal" ? JSON.stringify(m.value) : m.type)).join(" | ")}`, value);
    }
    case "object": {
      if (!isPlainObject(value)) return expected(path, quoted("object"), value);
      for (const k in v.value) {
        const field = v.value[k];
        const x = value[k];
        if (x === undefined) {
          if (!field.optional) return `Validator error: missing required field \`${k}\`${path ? ` in ${path}` : ""}`;
        } else {
          const p = check(field.fieldType, x, tableOfId, path ? `${path}.${k}` : k);
          if (p !== null) return p;
        }
      }
      for (const k in value) {
        if (!(k in v.value) && value[k] !== undefined) return `Validator error: unexpected field \`${k}\`${path ? ` in ${path}` : ""}`;
      }
      return null;
    }
    case "record": {
      if (!isPlainObject(value)) return expected(path, quoted("record"), value);
      for (const k in value) {
        const x = value[k];
        if (x === undefined) continue;
        const p = check(v.keys, k, tableOfId, `${path}{key}`) ?? check(v.values.fieldType, x, tableOfId, path ? `${path}.${k}` : k);
        if (p !== null) return p;
      }
      return null;
    }
  }
}
