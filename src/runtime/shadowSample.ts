/**
 * Which served calls are also sent to the model (shadow checks). The choice is a hash of the bucket
 * and the input, not a coin flip: the same call is always in or always out, so a replayed or retried
 * call does not add a second check, tests are reproducible, and raising the rate keeps every call
 * that was already shadowed (the hash is compared against the rate, so the sets are nested).
 *
 * This runs on every served call, whose whole budget is ~5 µs: the hash is FNV-1a over UTF-16 code
 * units (no string encoding, no crypto), finished with murmur3's fmix32 so the high bits we compare
 * against the rate are well mixed even for inputs that differ in one trailing character.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO_TO_32 = 4294967296;

/**
 * The input as JSON with object keys sorted, so { a, b } and { b, a } are the same call. Follows
 * JSON.stringify otherwise (toJSON, undefined / functions dropped from objects and null in arrays);
 * throws a TypeError on a cycle or a BigInt, as JSON.stringify does. undefined gives "undefined".
 */
export function canonicalKey(input: unknown): string {
  return canonical(input, []) ?? "undefined";
}

function canonical(value: unknown, ancestors: object[]): string | undefined {
  value = jsonValue(value);
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") throw new TypeError("canonicalKey: a BigInt has no JSON form");
    // Strings, finite numbers, booleans: JSON.stringify's own escaping. undefined, functions, symbols: undefined.
    return JSON.stringify(value);
  }
  if (ancestors.includes(value)) throw new TypeError("canonicalKey: the input is cyclic");
  ancestors.push(value);
  let out: string;
  if (Array.isArray(value)) {
    out = "[";
    for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + (canonical(value[i], ancestors) ?? "null");
    out += "]";
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out = "{";
    let first = true;
    for (const key of keys) {
      const item = canonical(record[key], ancestors);
      if (item === undefined) continue;
      out += (first ? "" : ",") + JSON.stringify(key) + ":" + item;
      first = false;
    }
    out += "}";
  }
  ancestors.pop();
  return out;
}

function fnv1a(text: string, hash: number): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash;
}

function fmix32(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The hash of the bucket and the separator, before the input's key. */
function bucketHash(bucket: string): number {
  // The separator cannot occur unescaped in JSON, so ("a", "bc") and ("ab", "c") hash apart.
  return fnv1a("\u0000", fnv1a(bucket, FNV_OFFSET));
}

/** A uniform-looking number in [0, 1) fixed by the bucket and an input's canonical key. */
export function shadowHash(bucket: string, key: string): number {
  return fmix32(fnv1a(key, bucketHash(bucket))) / TWO_TO_32;
}

const QUOTE = 34;
const BACKSLASH = 92;

/** FNV-1a of JSON.stringify(text) without building it: only the rare string needing escapes is stringified. */
function hashJsonString(text: string, hash: number): number {
  let h = Math.imul(hash ^ QUOTE, FNV_PRIME);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Control characters, quote, backslash and surrogates (lone ones are escaped) take JSON's own path.
    if (c < 0x20 || c === QUOTE || c === BACKSLASH || (c >= 0xd800 && c <= 0xdfff)) return fnv1a(JSON.stringify(text), hash);
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return Math.imul(h ^ QUOTE, FNV_PRIME);
}

/** What JSON drops from an object and writes as null in an array. */
function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

function jsonValue(value: unknown): unknown {
  return value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function" ? (value as { toJSON: () => unknown }).toJSON() : value;
}

/**
 * FNV-1a over canonicalKey(value)'s characters, streamed, for a value already through jsonValue:
 * the hot path allocates only each object's key list, and sorts it only when it is out of order.
 */
function hashCanonical(value: unknown, hash: number, ancestors: object[]): number {
  switch (typeof value) {
    case "string":
      return hashJsonString(value, hash);
    case "number":
      return fnv1a(Number.isFinite(value) ? String(value) : "null", hash);
    case "boolean":
      return fnv1a(value ? "true" : "false", hash);
    case "bigint":
      throw new TypeError("canonicalKey: a BigInt has no JSON form");
    case "object":
      break;
    default:
      // undefined, a function or a symbol: only at the top (containers skip or null them first).
      return fnv1a("undefined", hash);
  }
  if (value === null) return fnv1a("null", hash);
  if (ancestors.includes(value)) throw new TypeError("canonicalKey: the input is cyclic");
  ancestors.push(value);
  let h = hash;
  if (Array.isArray(value)) {
    h = Math.imul(h ^ 0x5b, FNV_PRIME); // [
    for (let i = 0; i < value.length; i++) {
      if (i > 0) h = Math.imul(h ^ 0x2c, FNV_PRIME); // ,
      const item = jsonValue(value[i]);
      h = isOmitted(item) ? fnv1a("null", h) : hashCanonical(item, h, ancestors);
    }
    h = Math.imul(h ^ 0x5d, FNV_PRIME); // ]
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (!isSorted(keys)) keys.sort();
    h = Math.imul(h ^ 0x7b, FNV_PRIME); // {
    let first = true;
    for (const key of keys) {
      const item = jsonValue(record[key]);
      if (isOmitted(item)) continue;
      if (!first) h = Math.imul(h ^ 0x2c, FNV_PRIME); // ,
      h = Math.imul(hashJsonString(key, h) ^ 0x3a, FNV_PRIME); // :
      h = hashCanonical(item, h, ancestors);
      first = false;
    }
    h = Math.imul(h ^ 0x7d, FNV_PRIME); // }
  }
  ancestors.pop();
  return h;
}

function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}

/**
 * Whether this served call is also sent to the model. rate <= 0 never, rate >= 1 always, otherwise
 * a deterministic ~rate share of distinct inputs. An input with no JSON form (cyclic, BigInt) is
 * never shadowed: it could not be recorded as a check anyway, and the served call must not fail.
 */
export function isShadowed(bucket: string, input: unknown, rate: number): boolean {
  if (!(rate > 0)) return false;
  if (rate >= 1) return true;
  let hash: number;
  try {
    hash = hashCanonical(jsonValue(input), bucketHash(bucket), []);
  } catch {
    return false;
  }
  // Same number as shadowHash(bucket, canonicalKey(input)), without building the key.
  return fmix32(hash) / TWO_TO_32 < rate;
}
