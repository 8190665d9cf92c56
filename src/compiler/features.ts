/**
 * How compiled code looks at an input: field accessors, the word tokenizer and key normalisers.
 * Each helper exists twice, as a TypeScript function (used while learning) and as the JS source
 * the emitted program carries; the two must behave identically, and a test holds them to it.
 */

export type Path = readonly string[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `input.company`, `input.address?.city`, `input["first name"]`. */
export function accessorSource(path: Path): string {
  let out = "input";
  path.forEach((key, depth) => {
    const optional = depth > 0 ? "?." : "";
    out += IDENTIFIER.test(key) ? `${optional || "."}${key}` : `${optional}[${JSON.stringify(key)}]`;
  });
  return out;
}

export function readPath(input: unknown, path: Path): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Paths to the primitive leaves of the inputs (objects nested up to 3 deep), in first-seen order. */
export function leafPaths(inputs: readonly unknown[]): Path[] {
  const seen = new Map<string, Path>();
  const walk = (value: unknown, path: string[]) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && path.length < 3) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    } else if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
      const id = JSON.stringify(path);
      if (!seen.has(id)) seen.set(id, path);
    }
  };
  for (const input of inputs) walk(input, []);
  return [...seen.values()];
}

/**
 * `fn` remembered per input object: selection fits each learner a dozen times on overlapping
 * traces, and tokenising the same input each time would dominate. Results are shared: read only.
 */
export function memoByInput<T>(fn: (input: unknown) => T): (input: unknown) => T {
  const cache = new WeakMap<object, T>();
  return (input) => {
    if (input === null || typeof input !== "object") return fn(input);
    let value = cache.get(input);
    if (value === undefined) cache.set(input, (value = fn(input)));
    return value;
  };
}

// --- words: the tokenizer of keyword rules and token features -------------------------------------

export function wordsOf(...parts: unknown[]): string[] {
  return parts
    .map((part) => String(part ?? ""))
    .join(" ")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/**
 * Features of a text classifier: the words (without function words) and every pair of adjacent
 * words ("not working"), each once, in first-seen order (the order the emitted code sums in).
 */
export function textFeatures(...parts: unknown[]): string[] {
  const words = wordsOf(...parts);
  const out = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    if (!STOPWORDS.has(words[i])) out.add(words[i]);
    if (i > 0) out.add(`${words[i - 1]} ${words[i]}`);
  }
  return [...out];
}

/** "Hello, World!" -> "hello-world": lower-case, accents dropped, runs of other characters joined by `separator`. */
export function slugify(value: unknown, separator: string): string {
  const runs = String(value ?? "")
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return runs.join(separator);
}

/**
 * Function words never become keyword rules: they carry no meaning of their own, so a rule on
 * "a" or "for" only memorises the phrasing of the train split (and reads like nonsense).
 */
const STOPWORDS_LIST = (
  "a an the and or but if of to in on at by for from with without as is are was were be been am do does did can could will would should may might must i me my we us our you your he she it its they them their this that these those there here what which who whom when where why how not no so too very just also please hi hello hey thanks thank regards best cheers dear"
).split(" ");
export const STOPWORDS = new Set(STOPWORDS_LIST);

// --- key normalisers of lookup tables --------------------------------------------------------------

export type KeyNormaliser = "exact" | "trimLower" | "compact";

export const NORMALISERS: Record<KeyNormaliser, { fn: (value: unknown) => string; helper: Helper | null; describe: string }> = {
  exact: { fn: (value) => String(value), helper: null, describe: "as is" },
  trimLower: { fn: (value) => String(value ?? "").trim().toLowerCase(), helper: "trimLower", describe: "trimmed and lower-cased" },
  compact: { fn: (value) => compactKey(value), helper: "compactKey", describe: "lower-cased, spaces and punctuation removed" },
};

export function compactKey(value: unknown): string {
  return String(value ?? "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "");
}

export type Helper = "wordsOf" | "textFeatures" | "trimLower" | "compactKey" | "slugify";

/** JS source of each helper, exactly mirroring the TypeScript above. */
export const HELPER_SOURCE: Record<Helper, string> = {
  wordsOf: [
    "// Lower-cased words of the given text fields (letters and digits; everything else separates).",
    "function wordsOf(...parts) {",
    '  return parts.map((part) => String(part ?? "")).join(" ").toLowerCase().split(/[^\\p{L}\\p{N}]+/u).filter(Boolean);',
    "}",
  ].join("\n"),
  textFeatures: [
    "// Words (without function words) and adjacent word pairs, each once, in first-seen order.",
    "function textFeatures(...parts) {",
    "  const words = wordsOf(...parts);",
    "  const out = new Set();",
    "  for (let i = 0; i < words.length; i++) {",
    "    if (!Object.hasOwn(STOPWORDS, words[i])) out.add(words[i]);",
    '    if (i > 0) out.add(words[i - 1] + " " + words[i]);',
    "  }",
    "  return [...out];",
    "}",
    `const STOPWORDS = {${[...STOPWORDS_LIST].map((word) => `${JSON.stringify(word)}: 1`).join(", ")}};`,
  ].join("\n"),
  slugify: [
    '// "Hello, World!" -> "hello-world": lower-case, accents dropped, other characters joined by the separator.',
    "function slugify(value, separator) {",
    '  return String(value ?? "").toLowerCase().normalize("NFKD").replace(/[\\u0300-\\u036f]/g, "").split(/[^a-z0-9]+/).filter(Boolean).join(separator);',
    "}",
  ].join("\n"),
  trimLower: ["function trimLower(value) {", '  return String(value ?? "").trim().toLowerCase();', "}"].join("\n"),
  compactKey: [
    '// "U.S.A. " and "usa" are the same key: lower-case, drop spaces and punctuation.',
    "function compactKey(value) {",
    '  return String(value ?? "").toLowerCase().replace(/[^\\p{L}\\p{N}]+/gu, "");',
    "}",
  ].join("\n"),
};
