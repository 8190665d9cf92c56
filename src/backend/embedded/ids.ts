import { randomBytes } from "node:crypto";

/**
 * Document ids: 32 characters of Convex's base32 alphabet, like real Convex ids. The first four
 * characters carry the table number (assigned once per state file), so `get(id)` and `normalizeId`
 * find the table from the id alone; 11 carry the creation time; the last 17 are random (85 bits), so
 * two processes sharing the file never collide without coordinating.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const TABLE_CHARS = 4;
export const ID_LENGTH = 32;
const VALID = /^[0-9a-hjkmnp-tv-z]{32}$/;

let pool = randomBytes(0);
let poolPos = 0;

function tablePrefix(tableNumber: number): string {
  let s = "";
  let n = tableNumber;
  for (let i = 0; i < TABLE_CHARS; i++) {
    s = ALPHABET[n & 31] + s;
    n >>>= 5;
  }
  return s;
}

const TIME_CHARS = 11;
const RANDOM_CHARS = ID_LENGTH - TABLE_CHARS - TIME_CHARS;
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
const prefixes = new Map<number, number[]>();
/** One id's character codes, reused: ids are built synchronously. */
const out: number[] = new Array<number>(ID_LENGTH).fill(0);

/** Table, then the creation time in µs (so a table's primary-key B-tree grows at its end), then random. */
export function newId(tableNumber: number, creationTime: number): string {
  let prefix = prefixes.get(tableNumber);
  if (prefix === undefined) {
    prefix = Array.from(tablePrefix(tableNumber), (c) => c.charCodeAt(0));
    prefixes.set(tableNumber, prefix);
  }
  for (let i = 0; i < TABLE_CHARS; i++) out[i] = prefix[i];
  let t = Math.max(0, Math.floor(creationTime * 1000));
  for (let i = TABLE_CHARS + TIME_CHARS - 1; i >= TABLE_CHARS; i--) {
    out[i] = CODES[t % 32];
    t = Math.floor(t / 32);
  }
  if (poolPos + RANDOM_CHARS > pool.length) {
    pool = randomBytes(4096);
    poolPos = 0;
  }
  for (let i = TABLE_CHARS + TIME_CHARS; i < ID_LENGTH; i++) out[i] = CODES[pool[poolPos++] & 31];
  return String.fromCharCode.apply(null, out);
}

/** The table number an id encodes, or null when the string is not an id of this runtime. */
export function tableNumberOf(id: string): number | null {
  if (typeof id !== "string" || !VALID.test(id)) return null;
  let n = 0;
  for (let i = 0; i < TABLE_CHARS; i++) n = n * 32 + ALPHABET.indexOf(id[i]);
  return n;
}
