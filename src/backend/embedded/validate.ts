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

function show(value: Value | undefined): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof ArrayBuffer) return "ArrayBuffer";
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function isPlainObject(v: unknown): v is Record<string, Value | undefined> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof ArrayBuffer) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function fail(path: string, expected: string, value: Value | undefined): never {
  throw new ValidationError(`Validator error${path ? ` at ${path}` : ""}: expected ${expected}, got ${show(value)}`);
}

function literalEquals(a: Value, b: Value | undefined): boolean {
  if (typeof a === "bigint" || typeof b === "bigint") return typeof a === typeof b && a === b;
  return a === b;
}

export function validateValue(v: ValidatorJson, value: Value | undefined, tableOfId: TableOfId, path = ""): void {
  switch (v.type) {
    case "any":
      if (value === undefined) fail(path, "a value", value);
      return;
    case "null":
      if (value !== null) fail(path, "null", value);
      return;
    case "number":
      if (typeof value !== "number") fail(path, "number", value);
      return;
    case "bigint":
      if (typeof value !== "bigint") fail(path, "bigint", value);
      return;
    case "boolean":
      if (typeof value !== "boolean") fail(path, "boolean", value);
      return;
    case "string":
      if (typeof value !== "string") fail(path, "string", value);
      return;
    case "bytes":
      if (!(value instanceof ArrayBuffer)) fail(path, "bytes", value);
      return;
    case "literal": {
      const lit = jsonToConvex(v.value);
      if (!literalEquals(lit, value)) fail(path, show(lit), value);
      return;
    }
    case "id":
      if (typeof value !== "string" || tableOfId(value) !== v.tableName) fail(path, `Id<"${v.tableName}">`, value);
      return;
    case "array":
      if (!Array.isArray(value)) fail(path, "array", value);
      value.forEach((x, i) => validateValue(v.value, x, tableOfId, `${path}[${i}]`));
      return;
    case "union": {
      for (const member of v.value) {
        try {
          validateValue(member, value, tableOfId, path);
          return;
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
        }
      }
      return fail(path, `one of ${v.value.map((m) => m.type).join(" | ")}`, value);
    }
    case "object": {
      if (!isPlainObject(value)) fail(path, "object", value);
      for (const [k, field] of Object.entries(v.value)) {
        const x = value[k];
        if (x === undefined) {
          if (!field.optional) throw new ValidationError(`Validator error: missing required field \`${k}\`${path ? ` in ${path}` : ""}`);
        } else validateValue(field.fieldType, x, tableOfId, path ? `${path}.${k}` : k);
      }
      for (const k of Object.keys(value)) {
        if (!(k in v.value) && value[k] !== undefined)
          throw new ValidationError(`Validator error: unexpected field \`${k}\`${path ? ` in ${path}` : ""}`);
      }
      return;
    }
    case "record": {
      if (!isPlainObject(value)) fail(path, "record", value);
      for (const [k, x] of Object.entries(value)) {
        if (x === undefined) continue;
        validateValue(v.keys, k, tableOfId, `${path}{key}`);
        validateValue(v.values.fieldType, x, tableOfId, path ? `${path}.${k}` : k);
      }
      return;
    }
  }
}
