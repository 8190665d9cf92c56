/**
 * Convex's size and shape of a value, read straight from its Convex-JSON text (documents are stored
 * as that text, and parsing each scanned document only to measure it would cost more than the scan).
 * The size is convex/values' getConvexSize (Convex's own: 9 per number, 2 + UTF-8 length per string,
 * 2 + the fields' name length + 1 + size per object...); the shape is what Convex's document limits
 * look at: nesting depth, the longest array, the most fields in one object.
 */
export interface ValueShape {
  size: number;
  /** 0 for a scalar, 1 + the deepest child for an object or array (Convex's nesting). */
  nesting: number;
  longestArray: number;
  mostFields: number;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const DOLLAR = 36;

/** One pass over one value's text, noting the longest array and the largest object on the way. */
class Scanner {
  pos = 0;
  longestArray = 0;
  mostFields = 0;

  constructor(private readonly text: string) {}

  /** Size and nesting of the value at `pos`; leaves `pos` after it. */
  value(): { size: number; nesting: number } {
    this.skipSpace();
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) return { size: 2 + this.stringBytes(), nesting: 0 };
    if (c === OPEN_BRACKET) return this.array();
    if (c === OPEN_BRACE) return this.object();
    this.skipScalar();
    // null and booleans are 1 byte, numbers (float64) 9.
    return { size: c === 110 /* n */ || c === 116 /* t */ || c === 102 /* f */ ? 1 : 9, nesting: 0 };
  }

  private array(): { size: number; nesting: number } {
    this.pos++; // [
    let size = 2;
    let deepest = 0;
    let length = 0;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return { size, nesting: 1 };
    }
    for (;;) {
      const item = this.value();
      size += item.size;
      if (item.nesting > deepest) deepest = item.nesting;
      length++;
      this.skipSpace();
      if (this.text.charCodeAt(this.pos++) !== COMMA) break; // ]
    }
    if (length > this.longestArray) this.longestArray = length;
    return { size, nesting: 1 + deepest };
  }

  private object(): { size: number; nesting: number } {
    this.pos++; // {
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return { size: 2, nesting: 1 };
    }
    // Convex JSON encodes int64, special floats and bytes as { "$integer" | "$float" | "$bytes": base64 }
    // (user field names cannot start with "$").
    if (this.text.charCodeAt(this.pos + 1) === DOLLAR) return this.encodedScalar();
    let size = 2;
    let deepest = 0;
    let fields = 0;
    for (;;) {
      this.skipSpace();
      size += this.stringBytes() + 1;
      this.skipSpace();
      this.pos++; // :
      const field = this.value();
      size += field.size;
      if (field.nesting > deepest) deepest = field.nesting;
      fields++;
      this.skipSpace();
      if (this.text.charCodeAt(this.pos++) !== COMMA) break; // }
    }
    if (fields > this.mostFields) this.mostFields = fields;
    return { size, nesting: 1 + deepest };
  }

  /** `{"$integer": "..."}` and `{"$float": "..."}` are 9 bytes; `{"$bytes": b64}` is 2 + the bytes. */
  private encodedScalar(): { size: number; nesting: number } {
    const keyStart = this.pos + 1;
    this.stringBytes();
    const isBytes = this.text.startsWith("$bytes", keyStart);
    this.skipSpace();
    this.pos++; // :
    this.skipSpace();
    const start = this.pos + 1;
    this.stringBytes();
    const base64 = this.text.slice(start, this.pos - 1);
    this.skipSpace();
    this.pos++; // }
    return { size: isBytes ? 2 + Buffer.byteLength(base64, "base64") : 9, nesting: 0 };
  }

  /** UTF-8 length of the JSON string at `pos` once unescaped; leaves `pos` after its closing quote. */
  private stringBytes(): number {
    const text = this.text;
    let i = this.pos + 1;
    let bytes = 0;
    for (;;) {
      let code = text.charCodeAt(i++);
      if (code === QUOTE) break;
      if (code === BACKSLASH) {
        const escape = text.charCodeAt(i++);
        if (escape !== 117 /* u */) {
          bytes += 1;
          continue;
        }
        code = parseInt(text.slice(i, i + 4), 16);
        i += 4;
      }
      if (code < 0x80) bytes += 1;
      else if (code < 0x800) bytes += 2;
      else if (code >= 0xd800 && code <= 0xdbff) {
        // A surrogate pair is one 4-byte character; skip its low half (raw or escaped).
        bytes += 4;
        i += text.charCodeAt(i) === BACKSLASH ? 6 : 1;
      } else bytes += 3;
    }
    this.pos = i;
    return bytes;
  }

  private skipScalar(): void {
    const text = this.text;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 32 || Number.isNaN(c)) break;
      i++;
    }
    this.pos = i;
  }

  private skipSpace(): void {
    while (this.text.charCodeAt(this.pos) <= 32) this.pos++;
  }
}

export function measureConvexJson(text: string): ValueShape {
  const scanner = new Scanner(text);
  const { size, nesting } = scanner.value();
  return { size, nesting, longestArray: scanner.longestArray, mostFields: scanner.mostFields };
}

/** Convex's size of the value in `text` (convex/values' getConvexSize). */
export function convexJsonSize(text: string): number {
  return new Scanner(text).value().size;
}

const MAX_DOCUMENT_SIZE = 1 << 20;
const MAX_DOCUMENT_NESTING = 16;
const MAX_ARRAY_LENGTH = 8192;
const MAX_OBJECT_FIELDS = 1024;

/**
 * Refuses a document (as Convex-JSON text, system fields included) that breaks Convex's document
 * limits, with Convex's messages; returns its size otherwise.
 */
export function checkDocumentLimits(text: string): number {
  const shape = measureConvexJson(text);
  if (shape.longestArray > MAX_ARRAY_LENGTH) {
    throw new Error(`Array length is too long (${shape.longestArray} > maximum length ${MAX_ARRAY_LENGTH})`);
  }
  if (shape.mostFields > MAX_OBJECT_FIELDS) {
    throw new Error(`Object has too many fields (${shape.mostFields} > maximum number ${MAX_OBJECT_FIELDS})`);
  }
  if (shape.nesting > MAX_DOCUMENT_NESTING) {
    throw new Error(`Document is too nested (nested ${shape.nesting} levels deep > maximum nesting ${MAX_DOCUMENT_NESTING})`);
  }
  if (shape.size > MAX_DOCUMENT_SIZE) {
    throw new Error(`Value is too large (${binarySize(shape.size)} > maximum size ${binarySize(MAX_DOCUMENT_SIZE)})`);
  }
  return shape.size;
}

/** A byte count as Convex prints it (Rust's humansize, binary units: "1 MiB", "1.05 MiB"). */
function binarySize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? String(value) : value.toFixed(2).replace(/\.?0+$/, "");
  return `${digits} ${units[unit]}`;
}
