/**
 * What a trace is, checked in one place: the `seed --file` and `compile --traces` readers check
 * every line of a file with these rules before anything is written or compiled, and the Convex
 * functions that write traces (ingestInline, ingestBatch, loadSeed, the replay and inject copies)
 * check every argument with the same rules, so the file readers and the backend can never disagree
 * about a trace.
 *
 * Pure (a type import only): convex/ functions and the CLI's readers (through src/contract) load it.
 *
 * The limits keep one trace small enough for every reader (Convex's own document limit is 1 MiB;
 * a compile holds thousands of traces and runs 1000 mutations of their inputs): a trace at most
 * 1 MiB as JSON, arrays and objects nested at most 64 deep, a string at most 64 KiB, and Convex's
 * value rules (field names of printable ASCII not starting with `$`, at most 1024 fields per
 * object and 8192 items per array). `__proto__` is refused as a field name: JavaScript objects
 * built from the trace would drop it silently (or change their prototype), so a stored trace would
 * not be the recorded one.
 */

import { traceOf, type CheckedTrace } from "./traceShape.js";

export type { CheckedTrace };

export const TRACE_LIMITS = {
  /** A trace's JSON ({bucket, input, output, model, latencyMs, tokensIn, tokensOut, ts}), UTF-8 bytes. */
  traceBytes: 1_048_576,
  /** A line of a traces file (the trace plus any fields the reader ignores): longer lines are not parsed. */
  lineBytes: 4 * 1_048_576,
  /** Arrays and objects nested in one trace, the trace itself counting as the first level. */
  nesting: 64,
  /** One string value, UTF-8 bytes. */
  stringBytes: 65_536,
  /** Convex: items of one array. */
  arrayItems: 8192,
  /** Convex: fields of one object. */
  objectFields: 1024,
  /** Convex: characters of one field name. */
  fieldName: 1024,
  bucket: 200,
  model: 200,
  /** The largest time a JavaScript Date holds (ms since the epoch). */
  ts: 8.64e15,
} as const;

/** `<org>:<call_site>:v<N>`, e.g. `acme:classify_lead_tier:v1`. */
export const BUCKET_KEY_RE = /^[a-z0-9][a-z0-9_-]*:[a-z0-9_]+:v\d+$/;

/**
 * How the `traces` query's refusal of a stored trace that breaks these rules begins: the worker
 * recognises it and fails the job for good (another attempt would read the same row).
 */
export const STORED_TRACE_REFUSED = "a stored trace breaks the trace limits";

/** Problems listed per trace at most: one line of a file cannot flood the report. */
const MAX_PROBLEMS = 8;

/** One reason a value is not a trace. `field` is a path into the trace (`input.items[3]`), "" for the whole trace. */
export interface TraceProblem {
  field: string;
  message: string;
}


export interface TraceCheck {
  /** The trace with only its own fields (others are ignored), when there is no problem. */
  trace: CheckedTrace | null;
  problems: TraceProblem[];
  /** Bytes of the trace's JSON (as stored); counting stops once over the limit. */
  bytes: number;
  /** A file's `ts` as written, when it was an ISO time (the compiler keeps it). */
  tsText?: string;
}

/**
 * "file": a line of a traces file (`ts` required: an ISO 8601 time or epoch milliseconds).
 * "stored": a function argument or a stored row (`ts` a number, or absent where the caller fills it in).
 */
export type TraceSource = "file" | "stored";

const NUMERIC_FIELDS = ["latencyMs", "tokensIn", "tokensOut"] as const;

/** Checks a parsed value against every rule; collects up to a few problems instead of stopping at the first. */
export function checkTraceValue(value: unknown, source: TraceSource): TraceCheck {
  const walk = new Walk();
  if (!isPlainObject(value)) {
    walk.add("", `a trace must be a JSON object, got ${describe(value)}`);
    return { trace: null, problems: walk.problems, bytes: 0 };
  }
  const record = value as Record<string, unknown>;

  const bucket = record.bucket;
  if (bucket === undefined) walk.add("bucket", 'missing: a bucket key like "acme:classify_lead_tier:v1"');
  else if (typeof bucket !== "string" || bucket.length > TRACE_LIMITS.bucket || !BUCKET_KEY_RE.test(bucket)) {
    walk.add("bucket", `bad bucket key ${describe(bucket)}: expected "<org>:<call_site>:v<N>" like "acme:classify_lead_tier:v1" (at most ${TRACE_LIMITS.bucket} characters)`);
  }

  const model = record.model;
  if (model === undefined) walk.add("model", "missing: the model's name, a string");
  else if (typeof model !== "string" || model.length === 0 || model.length > TRACE_LIMITS.model) {
    walk.add("model", `must be a non-empty string of at most ${TRACE_LIMITS.model} characters, got ${describe(model)}`);
  }

  for (const field of NUMERIC_FIELDS) {
    const n = record[field];
    if (n === undefined) walk.add(field, "missing: a finite number >= 0");
    else if (typeof n !== "number" || !Number.isFinite(n) || n < 0) walk.add(field, `must be a finite number >= 0, got ${describe(n)}`);
  }

  const ts = checkTs(record.ts, source, walk);

  for (const field of ["input", "output"] as const) {
    if (record[field] === undefined) walk.add(field, "missing: any JSON value (null included)");
  }

  // Size of the trace as stored: {"bucket":..,"input":..,"output":..,"model":..,"latencyMs":..,"tokensIn":..,"tokensOut":..,"ts":..}
  walk.bytes = STORED_KEYS_BYTES + (ts === undefined ? 13 : String(ts).length);
  for (const field of ["bucket", "model"] as const) if (typeof record[field] === "string") walk.bytes += stringBytes(record[field] as string).json;
  for (const field of NUMERIC_FIELDS) if (typeof record[field] === "number") walk.bytes += String(record[field]).length;
  for (const field of ["input", "output"] as const) if (record[field] !== undefined) walk.value(record[field], field, 2);
  if (walk.bytes > TRACE_LIMITS.traceBytes) {
    walk.problems.unshift({ field: "", message: `the trace is ${walk.over ? "at least " : ""}${walk.bytes.toLocaleString("en-US")} bytes as JSON; a trace is at most ${TRACE_LIMITS.traceBytes.toLocaleString("en-US")} bytes (1 MiB)` });
  }

  if (walk.problems.length > 0) return { trace: null, problems: walk.problems.slice(0, MAX_PROBLEMS), bytes: walk.bytes };
  // Only the trace's own fields, checked above; `ts` as parsed (an ISO text becomes ms).
  const { ts: _asWritten, ...fields } = traceOf(record as CheckedTrace & Record<string, unknown>);
  const trace: CheckedTrace = ts === undefined ? fields : { ...fields, ts };
  return { trace, problems: [], bytes: walk.bytes, ...(typeof record.ts === "string" ? { tsText: record.ts } : {}) };
}

/**
 * Checks one line of a traces file: its length and nesting before it is parsed (so a 50 MB line or a
 * 10,000-deep array costs a scan, not a parse), then the parsed value. `bytes` is the line's length in
 * UTF-8 bytes as read (a reader that stopped keeping an over-long line passes `text` null).
 */
export function checkTraceLine(text: string | null, bytes: number): TraceCheck {
  if (text === null || bytes > TRACE_LIMITS.lineBytes) {
    return refused(`the line is ${bytes.toLocaleString("en-US")} bytes; a trace is at most ${TRACE_LIMITS.traceBytes.toLocaleString("en-US")} bytes (1 MiB) as JSON`);
  }
  const depth = nestingOf(text);
  if (depth > TRACE_LIMITS.nesting) {
    return refused(`arrays and objects are nested deeper than ${TRACE_LIMITS.nesting} levels (the trace itself is the first)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return refused(`not valid JSON (${safeText(err instanceof Error ? err.message : String(err), 120)})`);
  }
  return checkTraceValue(value, "file");
}

function refused(message: string): TraceCheck {
  return { trace: null, problems: [{ field: "", message }], bytes: 0 };
}

/** `field: message`, or the message alone for the whole trace. */
export function problemText(p: TraceProblem): string {
  return p.field === "" ? p.message : `${p.field}: ${p.message}`;
}

/**
 * The deepest nesting of arrays and objects in JSON text, counted without parsing (stops counting
 * once past the limit). Brackets inside strings do not count.
 */
export function nestingOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > TRACE_LIMITS.nesting) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

// ---------------------------------------------------------------------------------------------
// ts

// YYYY-MM-DD, optionally THH:MM[:SS[.fraction]] and a zone (Z or ±HH:MM); without a zone it is UTC.
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/;
const TS_HINT = 'an ISO 8601 time like "2026-11-30T09:00:17.192Z", or epoch milliseconds';

function checkTs(ts: unknown, source: TraceSource, walk: Walk): number | undefined {
  if (ts === undefined) {
    if (source === "file") walk.add("ts", `missing: ${TS_HINT}`);
    return undefined;
  }
  if (typeof ts === "number") {
    if (Number.isFinite(ts) && ts >= 0 && ts <= TRACE_LIMITS.ts) return ts;
    walk.add("ts", `epoch milliseconds must be a finite number from 0 to ${TRACE_LIMITS.ts}, got ${describe(ts)}`);
    return undefined;
  }
  if (typeof ts === "string" && source === "file") {
    const ms = parseIsoTime(ts);
    if (ms !== null && ms >= 0 && ms <= TRACE_LIMITS.ts) return ms;
    walk.add("ts", `must be ${TS_HINT} (from 1970 on), got ${describe(ts)}`);
    return undefined;
  }
  walk.add("ts", `must be ${source === "file" ? TS_HINT : "epoch milliseconds (a number)"}, got ${describe(ts)}`);
  return undefined;
}

/** Milliseconds since the epoch of an ISO 8601 time (calendar-checked: no February 30), or null. */
export function parseIsoTime(text: string): number | null {
  const m = ISO_TIME.exec(text);
  if (m === null) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offset = 0;
  if (m[9] !== undefined) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return null;
    offset = (m[9] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// ---------------------------------------------------------------------------------------------
// values

// {"bucket":,"input":,"output":,"model":,"latencyMs":,"tokensIn":,"tokensOut":,"ts":} without the values
const STORED_KEYS_BYTES = 2 + 7 + ["bucket", "input", "output", "model", "latencyMs", "tokensIn", "tokensOut", "ts"].reduce((n, k) => n + k.length + 3, 0);

class Walk {
  problems: TraceProblem[] = [];
  bytes = 0;
  /** The size passed the limit: the rest is not walked (a 50 MB value costs no more than a 1 MiB one). */
  over = false;

  add(field: string, message: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ field, message });
  }

  private grow(n: number): void {
    this.bytes += n;
    if (this.bytes > TRACE_LIMITS.traceBytes) this.over = true;
  }

  /** Checks one value of input/output at `path`, `depth` levels deep (the trace is level 1). */
  value(v: unknown, path: string, depth: number): void {
    if (this.over || this.problems.length >= MAX_PROBLEMS) return;
    switch (typeof v) {
      case "string": {
        const size = stringBytes(v);
        this.grow(size.json);
        if (size.utf8 > TRACE_LIMITS.stringBytes) {
          this.add(path, `a string of ${size.utf8.toLocaleString("en-US")} bytes; a string is at most ${TRACE_LIMITS.stringBytes.toLocaleString("en-US")} bytes (64 KiB)`);
        } else if (size.loneSurrogate) this.add(path, "a string with a lone UTF-16 surrogate (not valid Unicode)");
        return;
      }
      case "number":
        if (!Number.isFinite(v)) {
          this.add(path, `must be a finite number, got ${describe(v)} (a JSON number beyond ±1.8e308 overflows)`);
          this.grow(4);
        } else this.grow(String(v).length);
        return;
      case "boolean":
        this.grow(v ? 4 : 5);
        return;
      case "object": {
        if (v === null) {
          this.grow(4);
          return;
        }
        if (depth > TRACE_LIMITS.nesting) {
          this.add(path, `nested deeper than ${TRACE_LIMITS.nesting} levels (the trace itself is the first)`);
          return;
        }
        if (Array.isArray(v)) {
          if (v.length > TRACE_LIMITS.arrayItems) {
            this.add(path, `an array of ${v.length} items; an array holds at most ${TRACE_LIMITS.arrayItems}`);
            return;
          }
          this.grow(2 + Math.max(0, v.length - 1));
          for (let i = 0; i < v.length && !this.over; i++) {
            const item: unknown = v[i];
            if (item === undefined) this.add(`${path}[${i}]`, "is not a JSON value");
            else this.value(item, `${path}[${i}]`, depth + 1);
          }
          return;
        }
        if (!isPlainObject(v)) {
          this.add(path, "is not a JSON value (a plain object, array, string, number, boolean or null)");
          return;
        }
        const keys = Object.keys(v);
        if (keys.length > TRACE_LIMITS.objectFields) {
          this.add(path, `an object of ${keys.length} fields; an object holds at most ${TRACE_LIMITS.objectFields}`);
          return;
        }
        this.grow(2 + Math.max(0, keys.length - 1));
        for (const key of keys) {
          if (this.over) return;
          const at = fieldPath(path, key);
          const bad = badFieldName(key);
          if (bad !== null) this.add(at, bad);
          this.grow(stringBytes(key).json + 1);
          const item: unknown = (v as Record<string, unknown>)[key];
          if (item === undefined) this.add(at, "is not a JSON value");
          else this.value(item, at, depth + 1);
        }
        return;
      }
      default:
        this.add(path, `is not a JSON value, got ${describe(v)}`);
    }
  }
}

/** Convex's field-name rules, plus `__proto__` (see the file comment). Null when `key` is fine. */
function badFieldName(key: string): string | null {
  if (key === "__proto__") return 'the field name "__proto__" is refused: JavaScript objects drop it silently, so the stored trace would differ from the recorded one';
  if (key.length === 0) return "an empty field name (Convex field names are non-empty)";
  if (key.length > TRACE_LIMITS.fieldName) return `a field name of ${key.length} characters; at most ${TRACE_LIMITS.fieldName}`;
  if (key.charCodeAt(0) === 0x24) return "a field name starting with $ (reserved by Convex)";
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return "a field name with a character other than printable ASCII (a Convex rule)";
  }
  return null;
}

/**
 * UTF-8 bytes of a string as JSON.stringify writes it (quotes and escapes included) and of the string
 * itself; whether it holds a lone surrogate.
 */
export function stringBytes(s: string): { json: number; utf8: number; loneSurrogate: boolean } {
  let json = 2;
  let utf8 = 0;
  let loneSurrogate = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      utf8 += 1;
      json += c === 0x22 || c === 0x5c ? 2 : c >= 0x20 ? 1 : c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    } else if (c < 0x800) {
      utf8 += 2;
      json += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      utf8 += 4;
      json += 4;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      loneSurrogate = true;
      utf8 += 3;
      json += 6; // JSON.stringify writes a lone surrogate as \udXXX
    } else {
      utf8 += 3;
      json += 3;
    }
  }
  return { json, utf8, loneSurrogate };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fieldPath(path: string, key: string): string {
  return IDENTIFIER.test(key) && key.length <= 64 ? `${path}.${key}` : `${path}[${quote(key, 40)}]`;
}

/** A short, terminal-safe rendering of a value for a message. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  switch (typeof v) {
    case "string":
      return quote(v, 60);
    case "number":
    case "boolean":
      return String(v);
    case "undefined":
      return "nothing";
    case "object":
      return "an object";
    default:
      return `a ${typeof v}`;
  }
}

/** JSON-quoted, cut to `max` characters, with the characters a terminal would act on escaped. */
function quote(s: string, max: number): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return safeText(JSON.stringify(cut), Infinity);
}

// Controls JSON.stringify leaves as they are (DEL, C1, line separators, bidi controls) and lone surrogates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text with every control character escaped, cut to `max` characters. */
export function safeText(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
