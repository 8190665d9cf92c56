import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { checkTraceLine, checkTraceValue, nestingOf, problemText, safeText, TRACE_LIMITS, type CheckedTrace, type TraceProblem } from "../../convex/lib/traceRules.js";
import { convertRecord, detectRecord, documentRecords, TRACE_FORMATS, type TraceFormat } from "./traceFormats.js";

/**
 * The traces file format (JSON Lines, one trace a line, blank lines skipped), read the same way by
 * `compile --traces` and `seed --file`: every line is checked with the rules the Convex functions
 * check traces with (convex/lib/traceRules.ts, the one validator), and a file with any bad line is
 * refused whole, its problems named `file:line: field: reason`.
 */

/** At most this many problems are listed; the rest are counted ("… and N more"). */
export const MAX_LISTED_PROBLEMS = 20;

/** One problem of one line (0 for a whole-file document), and of one record in it (a span of an OTLP line, an element of a document). */
export interface TraceLineProblem extends TraceProblem {
  line: number;
  record?: number;
}

/** A file whose format is neither named nor recognised: refused with a one-line reason. */
export class UnknownTraceFormatError extends Error {
  override name = "UnknownTraceFormatError";
}

/** Whole-file JSON documents (a pretty-printed OTLP export, a JSON array) are read at once: at most this many bytes. */
export const DOCUMENT_BYTES = 64 * 1_048_576;

/** A file with bad lines: the first problems, in file order, and how many there were in all. */
export class TraceFormatError extends Error {
  override name = "TraceFormatError";
  constructor(
    /** The file as named to the user ("" for text without a file). */
    readonly file: string,
    /** The first MAX_LISTED_PROBLEMS problems. */
    readonly problems: TraceLineProblem[],
    /** Problems in all. */
    readonly total: number,
    /** Lines with at least one problem. */
    readonly badLines: number,
  ) {
    super(problems.length === 0 ? `${file}: no problems` : total === 1 ? problemLine(file, problems[0]) : `${where(file)}${badLines === 1 ? "1 bad line" : `${badLines} bad lines`} (${total} problems)`);
  }

  /** The first line's number (kept for callers of the one-error version). */
  get line(): number {
    return this.problems[0]?.line ?? 0;
  }

  /** The listing: one `file:line: field: reason` per problem, then "… and N more" when cut. */
  listing(): string[] {
    const lines = this.problems.map((p) => problemLine(this.file, p));
    if (this.total > this.problems.length) lines.push(`… and ${this.total - this.problems.length} more`);
    return lines;
  }
}

function where(file: string): string {
  return file === "" ? "" : `${file}: `;
}

/** `file:line: field: reason` (`line N: …` for text without a file). */
export function problemLine(file: string, p: TraceLineProblem): string {
  const at = p.line === 0 ? `${file === "" ? "" : `${file}: `}record ${p.record ?? 0}` : `${file === "" ? "line " : `${file}:`}${p.line}${p.record === undefined ? "" : `: span ${p.record}`}`;
  return `${at}: ${problemText(p)}`;
}

/** Collects problems as lines are checked: keeps the first MAX_LISTED_PROBLEMS, counts the rest. */
export class ProblemList {
  readonly problems: TraceLineProblem[] = [];
  total = 0;
  badLines = 0;

  add(line: number, problems: readonly TraceProblem[], record?: number): void {
    if (problems.length === 0) return;
    this.badLines++;
    for (const p of problems) {
      this.total++;
      if (this.problems.length < MAX_LISTED_PROBLEMS) this.problems.push(record === undefined ? { line, ...p } : { line, record, ...p });
    }
  }

  /** Throws the file's TraceFormatError when any line had a problem. */
  throwIfAny(file: string): void {
    if (this.total > 0) throw new TraceFormatError(file, this.problems, this.total, this.badLines);
  }
}

/** One non-blank line of a traces file, checked. */
export interface TraceFileEntry {
  /** The line (0 for a record of a whole-file JSON document). */
  line: number;
  /** Which record of the line (a span of an OTLP line) or of the document, counting from 1; absent in our JSON Lines. */
  record?: number;
  /** The trace (ts in ms since the epoch), or null when the line has problems. */
  trace: CheckedTrace | null;
  problems: TraceProblem[];
  /** The line's `ts` as written when it was a string (the compiler keeps it), else undefined. */
  tsText?: string;
  /** Bytes of the trace as stored (JSON). */
  bytes: number;
}

/** How to read a traces file: its format, or undefined to detect it from its first record. */
export interface ReadOptions {
  format?: TraceFormat;
}

/**
 * The one trace reader (`seed --file`, `compile --traces`): reads a traces file record by record and
 * checks each trace with the one validator. The format is `options.format`, or detected from the
 * first non-blank line (./traceFormats.ts): our JSON Lines, or an export of OpenTelemetry GenAI
 * spans (OTLP/JSON), Vercel AI SDK spans, Langfuse, Helicone or OpenPipe, one record a line; a
 * pretty-printed JSON document (an OTLP export, an array of records) is read whole (at most
 * DOCUMENT_BYTES). Memory stays bounded by the longest line kept (TRACE_LIMITS.lineBytes): a longer
 * line is counted, not held, and reported as too long. Throws a plain Error with the system's reason
 * when the file cannot be read, UnknownTraceFormatError when no format fits.
 */
export async function* readTraceFile(file: string, options: ReadOptions = {}): AsyncGenerator<TraceFileEntry> {
  const it = fileLines(file)[Symbol.asyncIterator]();
  const head: RawLine[] = [];
  for (;;) {
    const next = await it.next();
    if (next.done) break;
    head.push(next.value);
    if (next.value.problem !== undefined || next.value.text === null || next.value.text.trim() !== "") break;
  }
  const first = head[head.length - 1];
  const firstText = first?.text?.trim() ?? "";
  let firstValue: unknown;
  let parsed = false;
  if (first && first.problem === undefined && firstText !== "" && nestingOf(firstText) <= FOREIGN_NESTING) {
    try {
      firstValue = JSON.parse(firstText);
      parsed = true;
    } catch {
      // not one record a line: perhaps a whole-file document
    }
  }
  let format = options.format;
  // A pretty-printed document: its first line is `{` or `[` and does not parse alone.
  if (!parsed && format !== "jsonl" && /^[[{]/.test(firstText)) {
    const doc = await wholeDocument(file);
    const detected = doc.ok ? detectRecord(doc.value) : null;
    if (doc.ok && (format !== undefined || (detected !== null && detected !== "jsonl"))) {
      await it.return?.(undefined);
      yield* documentEntries(format ?? (detected as TraceFormat), doc.value);
      return;
    }
  }
  if (format === undefined) {
    const detected = parsed ? detectRecord(firstValue) : null;
    if (parsed && detected === null) {
      await it.return?.(undefined);
      throw new UnknownTraceFormatError(`${safeText(file, 200)}: unknown trace format (the first record ${describeRecord(firstValue)}); name it with --format ${TRACE_FORMATS.join("|")}`);
    }
    format = detected ?? "jsonl"; // not JSON at all: read as our JSON Lines, which names each bad line
  }
  const lines = async function* (): AsyncGenerator<RawLine> {
    yield* head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  };
  for await (const raw of lines()) {
    if (format === "jsonl") {
      const entry = checkedEntry(raw);
      if (entry) yield entry;
    } else yield* foreignEntries(format, raw);
  }
}

/** Nesting allowed in a record of a foreign format before it is parsed (its traces are held to TRACE_LIMITS.nesting). */
const FOREIGN_NESTING = 4 * TRACE_LIMITS.nesting;

function describeRecord(value: unknown): string {
  if (typeof value !== "object" || value === null) return `is ${value === null ? "null" : typeof value}`;
  if (Array.isArray(value)) return "is an empty array";
  const keys = Object.keys(value).slice(0, 6);
  return keys.length === 0 ? "is an empty object" : `has fields ${keys.map((k) => safeText(k, 40)).join(", ")}`;
}

async function wholeDocument(file: string): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const size = (await stat(file)).size;
  if (size > DOCUMENT_BYTES) return { ok: false };
  const text = (await readFile(file, "utf8")).replace(/^\uFEFF/, "");
  if (nestingOf(text) > FOREIGN_NESTING + 2) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The entries of a whole-file document: its records numbered from 1 (line 0). */
function* documentEntries(format: TraceFormat, doc: unknown): Generator<TraceFileEntry> {
  const records = format === "otel" || format === "vercel-ai" ? [doc] : documentRecords(doc);
  let n = 0;
  for (const value of records) {
    if (format === "jsonl") {
      n++;
      yield checkedValue(0, n, value);
      continue;
    }
    const converted = convertRecord(format, value);
    if (converted.problem !== undefined) yield { line: 0, record: ++n, trace: null, problems: [{ field: "", message: converted.problem }], bytes: 0 };
    for (const t of converted.traces) yield checkedValue(0, format === "otel" || format === "vercel-ai" ? (t.record ?? ++n) : ++n, t.trace);
  }
}

/** The traces of one line of a foreign format (an OTLP line holds many spans, numbered as `record`). */
function* foreignEntries(format: Exclude<TraceFormat, "jsonl">, { line, text, bytes, problem }: RawLine): Generator<TraceFileEntry> {
  if (problem !== undefined) return yield { line, trace: null, problems: [{ field: "", message: problem }], bytes: 0 };
  if (text !== null && text.trim() === "") return;
  if (text === null || bytes > TRACE_LIMITS.lineBytes) {
    return yield { line, trace: null, problems: [{ field: "", message: `the line is ${bytes.toLocaleString("en-US")} bytes; a record is at most ${TRACE_LIMITS.lineBytes.toLocaleString("en-US")} bytes (4 MiB)` }], bytes: 0 };
  }
  if (nestingOf(text) > FOREIGN_NESTING) return yield { line, trace: null, problems: [{ field: "", message: `arrays and objects are nested deeper than ${FOREIGN_NESTING} levels` }], bytes: 0 };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return yield { line, trace: null, problems: [{ field: "", message: `not valid JSON (${safeText(err instanceof Error ? err.message : String(err), 120)})` }], bytes: 0 };
  }
  const converted = convertRecord(format, value);
  if (converted.problem !== undefined) yield { line, trace: null, problems: [{ field: "", message: converted.problem }], bytes: 0 };
  for (const t of converted.traces) yield checkedValue(line, t.record, t.trace);
}

function checkedValue(line: number, record: number | undefined, value: unknown): TraceFileEntry {
  const check = checkTraceValue(value, "file");
  return { line, ...(record === undefined ? {} : { record }), trace: check.trace, problems: check.problems, bytes: check.bytes, tsText: check.tsText };
}

/** Parses JSON Lines text (blank lines skipped). Throws TraceFormatError listing the bad lines. */
export function parseTraces(text: string, file = ""): CheckedTrace[] {
  const traces: CheckedTrace[] = [];
  const problems = new ProblemList();
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const entry = checkedEntry({ line: i + 1, text: line, bytes: Buffer.byteLength(line, "utf8") });
    if (!entry) continue;
    problems.add(entry.line, entry.problems);
    if (entry.trace) traces.push(entry.trace);
  }
  problems.throwIfAny(file);
  return traces;
}

/** Every trace of a file for the compiler; throws TraceFormatError (every record checked first) if any record is bad. */
export async function loadTraceFile(file: string, options: ReadOptions = {}): Promise<CheckedTrace[]> {
  const traces: CheckedTrace[] = [];
  const problems = new ProblemList();
  for await (const entry of readTraceFile(file, options)) {
    problems.add(entry.line, entry.problems, entry.record);
    if (entry.trace && problems.total === 0) traces.push(entry.trace);
  }
  problems.throwIfAny(file);
  return traces;
}


function checkedEntry({ line, text, bytes, problem }: RawLine): TraceFileEntry | null {
  if (problem !== undefined) return { line, trace: null, problems: [{ field: "", message: problem }], bytes: 0 };
  if (text !== null && text.trim() === "") return null;
  const check = checkTraceLine(text, bytes);
  return { line, trace: check.trace, problems: check.problems, bytes: check.bytes, tsText: check.tsText };
}

interface RawLine {
  line: number;
  /** The line's text (without its line break), or null when it was too long to keep. */
  text: string | null;
  bytes: number;
  /** Why the line could not be read as text (not UTF-8). */
  problem?: string;
}

/**
 * The lines of a file as they stream in, split on "\n" ("\r\n" too), decoded as UTF-8 (a leading
 * byte-order mark is dropped). A line longer than TRACE_LIMITS.lineBytes is not kept: its bytes are
 * counted and it is yielded with text null. A line that is not valid UTF-8 comes with a problem.
 */
async function* fileLines(file: string): AsyncGenerator<RawLine> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let parts: Buffer[] = [];
  let kept = 0;
  let bytes = 0;
  let line = 0;
  const finish = (): RawLine => {
    line++;
    let text: string | null = null;
    if (bytes <= TRACE_LIMITS.lineBytes) {
      let buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, kept);
      if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
      if (line === 1 && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      try {
        text = decoder.decode(buf);
      } catch {
        const raw: RawLine = { line, text: null, bytes, problem: "not valid UTF-8 text" };
        parts = [];
        kept = bytes = 0;
        return raw;
      }
    }
    const raw: RawLine = { line, text, bytes };
    parts = [];
    kept = bytes = 0;
    return raw;
  };
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (end > start) {
        bytes += end - start;
        if (bytes <= TRACE_LIMITS.lineBytes) {
          parts.push(chunk.subarray(start, end));
          kept += end - start;
        } else if (parts.length > 0) {
          parts = []; // too long: stop holding it
          kept = 0;
        }
      }
      if (nl === -1) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (bytes > 0) yield finish();
}

/** Buckets in order of first appearance, so output follows the file. */
export function groupByBucket<T extends { bucket: string }>(traces: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const trace of traces) {
    const group = groups.get(trace.bucket);
    if (group) group.push(trace);
    else groups.set(trace.bucket, [trace]);
  }
  return groups;
}
