import { createHash } from "node:crypto";
import { api } from "../contract/api.js";
import type { CheckedTrace } from "../contract/documents.js";
import { checkTraceValue } from "../contract/rules.js";
import { MAX_BATCH_BYTES } from "../contract/rules.js";
import type { BackendClient } from "../backend/client.js";
import type { TraceFormat } from "../contract/traceFormats.js";
import { ProblemList, readTraceFile, TraceFormatError, type TraceFileEntry } from "../contract/traceReader.js";

/** A replay-source row: a checked trace with its content key; a file's trace always has a `ts`. */
export type SeedTrace = Omit<CheckedTrace, "ts"> & {
  /** Identifies the trace by content, so the replay source never holds it twice. */
  key: string;
  ts: number;
};

/** Traces per loadSeed call (the mutation's own limit), and bytes per call (MAX_BATCH_BYTES). */
const BATCH = 500;

export { TraceFormatError };

/** A traces file that cannot be read, or that changed between its check and its load. */
export class SeedFileError extends Error {
  override name = "SeedFileError";
}

/** The replay-source row of a checked trace; `ts` is always set for a file's trace. */
export function seedTrace(t: CheckedTrace): SeedTrace {
  const ts = t.ts ?? 0;
  return { key: contentKey(t.bucket, t.input, t.output, t.model, ts), ...t, ts };
}

function contentKey(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

/** The lines of a file, checked; a file that cannot be read becomes a SeedFileError. */
async function* entries(file: string, format?: TraceFormat): AsyncGenerator<TraceFileEntry> {
  try {
    yield* readTraceFile(file, { format });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err?.code !== "string") throw e;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.code === "EACCES" ? "permission denied" : err.message;
    throw new SeedFileError(`cannot read ${file}: ${why}`);
  }
}

/**
 * Every trace of a (small) file, in file order. Every line is checked first: a file with any bad line
 * throws TraceFormatError listing its problems, and nothing is returned.
 */
export async function readSeedFile(file: string, format?: TraceFormat): Promise<SeedTrace[]> {
  const traces: SeedTrace[] = [];
  const problems = new ProblemList();
  for await (const e of entries(file, format)) {
    problems.add(e.line, e.problems, e.record);
    if (e.trace && problems.total === 0) traces.push(seedTrace(e.trace));
  }
  problems.throwIfAny(file);
  return traces;
}

/** What the first pass over a file found: how it splits into loadSeed calls, and a digest of each call. */
export interface SeedPlan {
  file: string;
  /** The format the file was read in (named, or detected by the first pass), so the second pass reads it the same way. */
  format?: TraceFormat;
  traces: number;
  batches: string[];
}

/** Groups a file's traces into loadSeed calls: at most BATCH traces and MAX_BATCH_BYTES bytes each. */
class Batcher {
  private batch: SeedTrace[] = [];
  private bytes = 0;
  private digest = createHash("sha256");

  /** Adds a trace; returns the batch it completed first, if adding it would overflow the current one. */
  add(t: SeedTrace, bytes: number): { traces: SeedTrace[]; digest: string } | null {
    const full = this.batch.length >= BATCH || (this.batch.length > 0 && this.bytes + bytes > MAX_BATCH_BYTES);
    const done = full ? this.flush() : null;
    this.batch.push(t);
    this.bytes += bytes;
    this.digest.update(`${t.key}|${t.latencyMs}|${t.tokensIn}|${t.tokensOut}\n`);
    return done;
  }

  flush(): { traces: SeedTrace[]; digest: string } | null {
    if (this.batch.length === 0) return null;
    const out = { traces: this.batch, digest: this.digest.digest("hex") };
    this.batch = [];
    this.bytes = 0;
    this.digest = createHash("sha256");
    return out;
  }
}

/**
 * First pass of `seed --file`: streams the file and checks every line with the rules the backend
 * checks traces with, holding one line at a time. Throws TraceFormatError (the first problems, each
 * `file:line: field: reason`) when any line is bad, SeedFileError when the file cannot be read;
 * nothing is written either way.
 */
export async function checkSeedFile(file: string, format?: TraceFormat): Promise<SeedPlan> {
  const problems = new ProblemList();
  const batcher = new Batcher();
  const plan: SeedPlan = { file, traces: 0, batches: [], ...(format ? { format } : {}) };
  for await (const e of entries(file, format)) {
    problems.add(e.line, e.problems, e.record);
    if (!e.trace || problems.total > 0) continue; // a refused file: keep checking, stop planning
    plan.traces++;
    const done = batcher.add(seedTrace(e.trace), e.bytes);
    if (done) plan.batches.push(done.digest);
  }
  problems.throwIfAny(file);
  const last = batcher.flush();
  if (last) plan.batches.push(last.digest);
  return plan;
}

export interface SeedResult {
  inserted: number;
  skipped: number;
  total: number;
}

/**
 * Second pass of `seed --file`, after checkSeedFile accepted the whole file: streams it again and
 * loads it batch by batch. Each batch is compared with what the first pass checked; a file changed
 * in between stops the load before the first changed batch (SeedFileError saying how much was
 * loaded: loading is idempotent, so running seed again completes it).
 */
export async function loadSeedFile(client: BackendClient, plan: SeedPlan): Promise<SeedResult> {
  const result: SeedResult = { inserted: 0, skipped: 0, total: 0 };
  const batcher = new Batcher();
  let index = 0;
  const send = async (batch: { traces: SeedTrace[]; digest: string }): Promise<void> => {
    if (plan.batches[index] !== batch.digest) {
      throw new SeedFileError(
        `${plan.file} changed while it was being loaded: stopped after ${result.inserted} new traces; run seed again (traces already loaded are not added twice)`,
      );
    }
    index++;
    const r = await client.mutation(api.daemon.replay.loadSeed, { traces: batch.traces });
    result.inserted += r.inserted;
    result.skipped += r.skipped;
    result.total = r.total;
  };
  for await (const e of entries(plan.file, plan.format)) {
    if (!e.trace) {
      throw new SeedFileError(`${plan.file} changed while it was being loaded (line ${e.line} is no longer a trace): stopped after ${result.inserted} new traces; run seed again`);
    }
    const done = batcher.add(seedTrace(e.trace), e.bytes);
    if (done) await send(done);
  }
  const last = batcher.flush();
  if (last) await send(last);
  if (index !== plan.batches.length) throw new SeedFileError(`${plan.file} changed while it was being loaded (it is shorter): loaded ${result.inserted} new traces; run seed again`);
  return result;
}

/**
 * Appends traces to the replay source, in order. Idempotent: the backend skips a trace whose content
 * key it already holds, so loading a file twice (or an overlapping one) adds only what is new.
 */
export async function loadSeed(client: BackendClient, traces: SeedTrace[]): Promise<SeedResult> {
  const result: SeedResult = { inserted: 0, skipped: 0, total: 0 };
  const batcher = new Batcher();
  const send = async (batch: SeedTrace[]): Promise<void> => {
    const r = await client.mutation(api.daemon.replay.loadSeed, { traces: batch });
    result.inserted += r.inserted;
    result.skipped += r.skipped;
    result.total = r.total;
  };
  for (const t of traces) {
    const done = batcher.add(t, checkTraceValue(t, "stored").bytes);
    if (done) await send(done.traces);
  }
  const last = batcher.flush();
  if (last) await send(last.traces);
  return result;
}
