import { Ajv, type ValidateFunction } from "ajv";

// One Ajv for the process: compiling a schema is the expensive part, so validators are cached by schema.
const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
const cache = new WeakMap<object, ValidateFunction>();

export function validatorFor(schema: object): ValidateFunction {
  let validate = cache.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    cache.set(schema, validate);
  }
  return validate;
}

/** Below this many distinct values (and when values repeat), a string field is treated as an enum. */
const ENUM_MAX_DISTINCT = 12;

/**
 * Infers a JSON Schema from example values: types, required keys, and (when `enums`) an enum for
 * low-cardinality strings. Used when no agent source tells us the call site's schemas.
 */
export function inferSchema(values: readonly unknown[], options: { enums: boolean }): object {
  const present = values.filter((value) => value !== undefined);
  if (present.length === 0) return {};
  const types = new Set(present.map(jsonType));
  if (types.size > 1) {
    // Mixed integer/number is just number; anything else mixed stays unconstrained.
    if (types.size === 2 && types.has("integer") && types.has("number")) return { type: "number" };
    return {};
  }
  const [type] = types;
  if (type === "object") {
    const records = present as Record<string, unknown>[];
    const keys = [...new Set(records.flatMap((record) => Object.keys(record)))];
    const properties: Record<string, object> = {};
    for (const key of keys) properties[key] = inferSchema(records.map((record) => record[key]), options);
    const required = keys.filter((key) => records.every((record) => key in record));
    return { type: "object", properties, required };
  }
  if (type === "array") {
    return { type: "array", items: inferSchema((present as unknown[][]).flat(), options) };
  }
  if (type === "string" && options.enums) {
    const distinct = [...new Set(present as string[])];
    if (distinct.length <= ENUM_MAX_DISTINCT && distinct.length < present.length / 2) return { type: "string", enum: distinct.sort() };
  }
  return { type };
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
