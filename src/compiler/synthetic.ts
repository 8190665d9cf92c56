import { canonicalJson } from "./canonical.js";
import { compactKey, leafPaths, readPath, type Path } from "./features.js";
import { validatorFor } from "./schema.js";
import { createRng, pick } from "./random.js";

type Schema = Record<string, unknown>;
type Random = () => number;

/** Share of fields a synthetic input changes relative to the observed input it starts from. */
const MUTATION_RATE = 0.5;
const UNSEEN_WORDS = ["zephyr", "quux", "Lorem", "ÅngstrÖm", "n/a", "???", "x", "ACME-42", "none", "test test"];

/** Tries per wanted input before giving up on finding another new one (tiny input spaces run out). */
const ATTEMPTS_PER_INPUT = 5;

/**
 * Stage-2 inputs: up to `count` seeded inputs within the input schema that no trace ever showed,
 * each an observed input with some fields mutated (case, spacing, punctuation, another observed
 * value, an unseen value; numbers across and beyond the observed range). A mutation that leaves
 * the schema, or lands on an input already observed or already drawn, is drawn again.
 */
export function syntheticInputs(observed: readonly unknown[], inputSchema: object, count: number, seed: number): unknown[] {
  if (observed.length === 0) return [];
  const random = createRng(seed ^ 0x2545f491);
  const validate = validatorFor(inputSchema);
  const pool = collectObserved(observed);
  const seen = new Set(observed.map(canonicalJson));
  const out: unknown[] = [];
  for (let attempt = 0; attempt < count * ATTEMPTS_PER_INPUT && out.length < count; attempt++) {
    const candidate = mutate(pick(observed, random), inputSchema as Schema, [], pool, random);
    const key = canonicalJson(candidate);
    if (seen.has(key) || !validate(candidate)) continue;
    seen.add(key);
    out.push(candidate);
  }
  return out;
}

/** An observed input and the same input with one change that keeps its meaning. */
export interface Perturbation {
  original: unknown;
  perturbed: unknown;
  change: string;
}

const MAX_PERTURBED = 300;

/**
 * Meaning-keeping changes of observed inputs: the case of a text field, spaces around it, a
 * trailing full stop, the order of the keys. Fields whose text the recorded answers reproduce
 * (`copied`: a slug of the title) are left alone: changing their case does change the answer.
 */
export function perturbations(observed: readonly unknown[], copied: ReadonlySet<string>, seed: number): Perturbation[] {
  const random = createRng(seed ^ 0x1b873593);
  const distinct = [...new Map(observed.map((input) => [canonicalJson(input), input])).values()];
  const sample = distinct.length <= MAX_PERTURBED ? distinct : Array.from({ length: MAX_PERTURBED }, () => pick(distinct, random));
  const out: Perturbation[] = [];
  for (const original of sample) {
    const texts = leafPaths([original]).filter((path) => typeof readPath(original, path) === "string" && !copied.has(JSON.stringify(path)));
    const isObject = original !== null && typeof original === "object" && !Array.isArray(original) && Object.keys(original).length > 1;
    const options: Array<() => Perturbation | null> = [];
    for (const path of texts) {
      const value = readPath(original, path) as string;
      const change = (change: string, next: string) => (next === value ? null : { original, perturbed: withValue(original, path, next), change });
      options.push(
        () => change("upper case", value.toUpperCase()),
        () => change("lower case", value.toLowerCase()),
        () => change("outer spaces", ` ${value}  `),
        () => (/[.!?]$/.test(value.trim()) ? null : change("trailing full stop", `${value}.`)),
      );
    }
    if (isObject) options.push(() => ({ original, perturbed: Object.fromEntries(Object.entries(original as object).reverse()), change: "key order" }));
    // Draw until a change applies (some leave the value as it was).
    for (let tries = 0; tries < 4 && options.length > 0; tries++) {
      const made = pick(options, random)();
      if (made) {
        out.push(made);
        break;
      }
    }
  }
  return out;
}

function withValue(input: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const object = input as Record<string, unknown>;
  return { ...object, [head]: withValue(object[head], rest, value) };
}

/**
 * String fields whose text the recorded answers reproduce in at least half the traces (compared
 * as compact keys, three characters or more): their exact text is part of the answer.
 */
export function copiedFields(traces: ReadonlyArray<{ input: unknown; output: unknown }>): Set<string> {
  const out = new Set<string>();
  for (const path of leafPaths(traces.map((trace) => trace.input))) {
    let copied = 0;
    let texts = 0;
    for (const trace of traces) {
      const value = readPath(trace.input, path);
      if (typeof value !== "string") continue;
      const key = compactKey(value);
      if (key.length < 3) continue;
      texts++;
      if (compactKey(canonicalJson(trace.output)).includes(key)) copied++;
    }
    if (texts > 0 && copied * 2 >= texts) out.add(JSON.stringify(path));
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
