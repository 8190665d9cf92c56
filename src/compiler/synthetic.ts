import { validatorFor } from "./schema.js";
import { createRng, pick } from "./random.js";

type Schema = Record<string, unknown>;
type Random = () => number;

/** Share of fields a synthetic input changes relative to the observed input it starts from. */
const MUTATION_RATE = 0.5;
const UNSEEN_WORDS = ["zephyr", "quux", "Lorem", "ÅngstrÖm", "n/a", "???", "x", "ACME-42", "none", "test test"];

/**
 * Stage-2 inputs: `count` seeded inputs within the input schema, each an observed input with some
 * fields mutated (case, spacing, punctuation, another observed value, an unseen value; numbers
 * across and beyond the observed range). A mutation that leaves the schema is dropped.
 */
export function syntheticInputs(observed: readonly unknown[], inputSchema: object, count: number, seed: number): unknown[] {
  if (observed.length === 0) return [];
  const random = createRng(seed ^ 0x2545f491);
  const validate = validatorFor(inputSchema);
  const pool = collectObserved(observed);
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const base = pick(observed, random);
    const candidate = mutate(base, inputSchema as Schema, [], pool, random);
    out.push(validate(candidate) ? candidate : structuredClone(base));
  }
  return out;
}

/** Observed values per field path, to draw "another observed value" and the numeric range from. */
function collectObserved(observed: readonly unknown[]): Map<string, unknown[]> {
  const pool = new Map<string, unknown[]>();
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, `${path}/${key}`);
      return;
    }
    const list = pool.get(path);
    if (list) list.push(value);
    else pool.set(path, [value]);
  };
  observed.forEach((value) => walk(value, ""));
  return pool;
}

function mutate(value: unknown, schema: Schema, path: string[], pool: Map<string, unknown[]>, random: Random): unknown {
  const key = path.length ? `/${path.join("/")}` : "";
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const out: Record<string, unknown> = {};
    for (const [field, child] of Object.entries(value)) {
      out[field] = random() < MUTATION_RATE ? mutate(child, properties[field] ?? {}, [...path, field], pool, random) : child;
    }
    return out;
  }
  const observed = pool.get(key) ?? [value];
  if (Array.isArray(schema.enum)) return pick(schema.enum as unknown[], random);
  if (typeof value === "string") return clampString(mutateString(value, observed, random), schema, value);
  if (typeof value === "number") return mutateNumber(observed.filter((v): v is number => typeof v === "number"), schema, random);
  if (typeof value === "boolean") return random() < 0.5 ? !value : value;
  return value;
}

function mutateString(value: string, observed: readonly unknown[], random: Random): string {
  const roll = random();
  if (roll < 0.15) return value.toUpperCase();
  if (roll < 0.3) return value.toLowerCase();
  if (roll < 0.42) return `  ${value.replace(/ /g, "  ")} `;
  if (roll < 0.54) return random() < 0.5 ? `${value}.` : value.replace(/[.,!?;:'"-]/g, "");
  if (roll < 0.8) return String(pick(observed, random) ?? value);
  if (roll < 0.9) return pick(UNSEEN_WORDS, random);
  // Unseen combination: words of two observed values.
  return `${String(pick(observed, random) ?? "")} ${value}`.trim();
}

function clampString(text: string, schema: Schema, fallback: string): string {
  const max = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
  const min = typeof schema.minLength === "number" ? schema.minLength : 0;
  const clamped = text.slice(0, max);
  return clamped.length >= min ? clamped : fallback;
}

function mutateNumber(observed: readonly number[], schema: Schema, random: Random): number {
  const lo = observed.length ? Math.min(...observed) : 0;
  const hi = observed.length ? Math.max(...observed) : 100;
  const span = Math.max(1, hi - lo);
  const roll = random();
  let value: number;
  if (roll < 0.6) value = lo + random() * span; // across the observed range
  else if (roll < 0.8) value = hi + random() * span; // beyond it, above
  else if (roll < 0.9) value = lo - random() * span; // and below
  else value = pick([0, 1, lo, hi], random); // the edges
  if (typeof schema.minimum === "number") value = Math.max(schema.minimum, value);
  if (typeof schema.maximum === "number") value = Math.min(schema.maximum, value);
  if (schema.type === "integer" || observed.every(Number.isInteger)) value = Math.round(value);
  return value;
}
