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
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const f64 = new DataView(new ArrayBuffer(8));
const utf8 = new TextEncoder();

function writeValue(w: Writer, v: Value | undefined): void {
  if (v === undefined) return w.byte(TAG.undefined);
  if (v === null) return w.byte(TAG.null);
  switch (typeof v) {
    case "bigint": {
      w.byte(TAG.bigint);
      f64.setBigUint64(0, BigInt.asUintN(64, v) ^ (1n << 63n));
      return w.bytes(new Uint8Array(f64.buffer.slice(0)));
    }
    case "number": {
      w.byte(TAG.number);
      f64.setFloat64(0, v);
      const b = new Uint8Array(f64.buffer.slice(0));
      // IEEE 754 to unsigned order: flip the sign bit of positives, every bit of negatives.
      if (b[0] & 0x80) for (let i = 0; i < 8; i++) b[i] ^= 0xff;
      else b[0] ^= 0x80;
      return w.bytes(b);
    }
    case "boolean":
      w.byte(TAG.boolean);
      return w.byte(v ? 1 : 0);
    case "string":
      w.byte(TAG.string);
      return w.escaped(utf8.encode(v));
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
    w.escaped(utf8.encode(k));
    writeValue(w, obj[k]);
  }
  w.byte(0);
}

export function encodeKey(values: ReadonlyArray<Value | undefined>): Uint8Array {
  const w = new Writer();
  for (const v of values) writeValue(w, v);
  return w.done();
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
