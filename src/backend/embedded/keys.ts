import type { Value } from "convex/values";

/**
 * Order-preserving binary encoding of Convex values, so SQLite's memcmp on a BLOB column gives
 * Convex's total order: undefined < null < int64 < float64 < boolean < string < bytes < array < object.
 * Every encoding is prefix-free (self-delimiting), so a composite key is the concatenation of its parts
 * and the byte after a part is always a tag byte (<= 0x0a): appending 0xff makes an exclusive upper bound.
 */
const TAG = { undefined: 1, null: 2, bigint: 3, number: 4, boolean: 5, string: 6, bytes: 7, array: 8, object: 10 } as const;
const TOP = 0xff;

class Writer {
  private buf = new Uint8Array(64);
  private len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** Bytes with 0x00 escaped as 0x00 0xff, terminated by 0x00 0x00: order-preserving and prefix-free. */
  escaped(b: Uint8Array): void {
    this.ensure(b.length * 2 + 2);
    for (const x of b) {
      this.buf[this.len++] = x;
      if (x === 0) this.buf[this.len++] = TOP;
    }
    this.buf[this.len++] = 0;
    this.buf[this.len++] = 0;
  }
  /** Eight bytes of `f64` (big-endian), optionally transformed to unsigned order for a float64. */
  f64(flipFloat: boolean): void {
    this.ensure(8);
    const b = this.buf;
    const at = this.len;
    for (let i = 0; i < 8; i++) b[at + i] = f64Bytes[i];
    if (flipFloat) {
      // IEEE 754 to unsigned order: flip the sign bit of positives, every bit of negatives.
      if (b[at] & 0x80) for (let i = 0; i < 8; i++) b[at + i] ^= 0xff;
      else b[at] ^= 0x80;
    }
    this.len += 8;
  }
  /** A string's UTF-8 bytes, escaped and terminated like `escaped`; ASCII without an encoder call. */
  string(s: string): void {
    const n = s.length;
    this.ensure(n * 2 + 2);
    const b = this.buf;
    let at = this.len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return this.escaped(utf8.encode(s));
      b[at++] = c;
      if (c === 0) b[at++] = TOP;
    }
    b[at++] = 0;
    b[at++] = 0;
    this.len = at;
  }
  reset(): void {
    this.len = 0;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const f64Bytes = new Uint8Array(8);
const f64 = new DataView(f64Bytes.buffer);
const utf8 = new TextEncoder();

function writeValue(w: Writer, v: Value | undefined): void {
  if (v === undefined) return w.byte(TAG.undefined);
  if (v === null) return w.byte(TAG.null);
  switch (typeof v) {
    case "bigint": {
      w.byte(TAG.bigint);
      f64.setBigUint64(0, BigInt.asUintN(64, v) ^ (1n << 63n));
      return w.f64(false);
    }
    case "number": {
      w.byte(TAG.number);
      f64.setFloat64(0, v);
      return w.f64(true);
    }
    case "boolean":
      w.byte(TAG.boolean);
      return w.byte(v ? 1 : 0);
    case "string":
      w.byte(TAG.string);
      return w.string(v);
    default:
      break;
  }
  if (v instanceof ArrayBuffer) {
    w.byte(TAG.bytes);
    return w.escaped(new Uint8Array(v));
  }
  if (Array.isArray(v)) {
    w.byte(TAG.array);
    for (const x of v) writeValue(w, x);
    return w.byte(0);
  }
  w.byte(TAG.object);
  const obj = v as Record<string, Value | undefined>;
  for (const k of Object.keys(obj).sort()) {
    if (obj[k] === undefined) continue;
    w.byte(TAG.string);
    w.string(k);
    writeValue(w, obj[k]);
  }
  w.byte(0);
}

/** One writer for every key: encoding is synchronous, and `done()` copies the bytes out. */
const shared = new Writer();

export function encodeKey(values: ReadonlyArray<Value | undefined>): Uint8Array {
  const w = shared;
  w.reset();
  for (const v of values) writeValue(w, v);
  return w.done();
}

/** encodeKey([...fields, creationTime, id]) without building the array. */
export function encodeIndexKey(fields: ReadonlyArray<Value | undefined>, creationTime: number, id: string): Uint8Array {
  const w = shared;
  w.reset();
  for (const v of fields) writeValue(w, v);
  writeValue(w, creationTime);
  writeValue(w, id);
  return w.done();
}

/** The keys of one document in several indexes: (_creationTime, _id) is encoded once and appended. */
export function encodeIndexKeys(fieldLists: ReadonlyArray<ReadonlyArray<Value | undefined>>, creationTime: number, id: string): Uint8Array[] {
  const w = shared;
  w.reset();
  writeValue(w, creationTime);
  writeValue(w, id);
  const suffix = w.done();
  return fieldLists.map((fields) => {
    if (fields.length === 0) return suffix.slice();
    w.reset();
    for (const v of fields) writeValue(w, v);
    w.bytes(suffix);
    return w.done();
  });
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The smallest byte string greater than every key that starts with `prefix`. */
export function afterPrefix(prefix: Uint8Array): Uint8Array {
  return concat(prefix, Uint8Array.of(TOP));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "hex"));
}
