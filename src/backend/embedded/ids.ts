import { randomBytes } from "node:crypto";

/**
 * Document ids: 32 characters of Convex's base32 alphabet, like real Convex ids. The first four
 * characters carry the table number (assigned once per state file), so `get(id)` and `normalizeId`
 * find the table from the id alone; 11 carry the creation time; 15 are random (75 bits), so two
 * processes sharing the file never collide without coordinating; the last 2 are a checksum of the
 * rest, so an id with a mistyped or altered character is told apart (as Convex's own ids carry one).
 * Ids minted before the checksum (17 random characters) are still ids: see hasValidChecksum.
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
const CHECK_CHARS = 2;
const RANDOM_CHARS = ID_LENGTH - TABLE_CHARS - TIME_CHARS - CHECK_CHARS;
const CHECKED_CHARS = ID_LENGTH - CHECK_CHARS;
/**
 * A prime below 32² (two characters). With weights 1..30, all nonzero modulo a prime larger than any
 * difference of two character values, changing any one character (or swapping two neighbours)
 * always changes the checksum.
 */
const CHECK_MODULUS = 1021;
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
  for (let i = TABLE_CHARS + TIME_CHARS; i < CHECKED_CHARS; i++) out[i] = CODES[pool[poolPos++] & 31];
  const check = checksumOfCodes(out);
  out[CHECKED_CHARS] = CODES[check >> 5];
  out[CHECKED_CHARS + 1] = CODES[check & 31];
  return String.fromCharCode.apply(null, out);
}

/** The checksum of an id's first CHECKED_CHARS characters, given as character codes. */
function checksumOfCodes(codes: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < CHECKED_CHARS; i++) sum += (i + 1) * VALUE_OF_CODE[codes[i]];
  return sum % CHECK_MODULUS;
}

/** Character code -> its value in the alphabet (0..31). */
const VALUE_OF_CODE: number[] = [];
CODES.forEach((code, value) => (VALUE_OF_CODE[code] = value));

/**
 * Whether the id's last two characters are the checksum of the rest. False for an altered id, and
 * also for one minted before ids had a checksum: callers that must accept those look the id up.
 */
export function hasValidChecksum(id: string): boolean {
  if (!VALID.test(id)) return false;
  const codes = Array.from(id, (c) => c.charCodeAt(0));
  const check = checksumOfCodes(codes);
  return id[CHECKED_CHARS] === ALPHABET[check >> 5] && id[CHECKED_CHARS + 1] === ALPHABET[check & 31];
}

/** The table number an id encodes, or null when the string is not an id of this runtime. */
export function tableNumberOf(id: string): number | null {
  if (typeof id !== "string" || !VALID.test(id)) return null;
  let n = 0;
  for (let i = 0; i < TABLE_CHARS; i++) n = n * 32 + ALPHABET.indexOf(id[i]);
  return n;
}
