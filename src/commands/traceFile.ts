import { safeText } from "../contract/rules.js";
import { isTraceFormat, TRACE_FORMATS, type TraceFormat } from "../contract/traceFormats.js";
import { TraceFormatError, UnknownTraceFormatError } from "../contract/traceReader.js";
import { UsageError } from "./errors.js";

/** The --format option's help, shared by `seed` and `compile`. */
export const FORMAT_HELP = `trace format: ${TRACE_FORMATS.join("|")} (default: detected from the first record)`;

/** The --format value, checked (undefined: detect). */
export function traceFormat(value: string | undefined): TraceFormat | undefined {
  if (value === undefined) return undefined;
  if (!isTraceFormat(value)) throw new UsageError(`--format must be one of ${TRACE_FORMATS.join(", ")}, got ${safeText(value, 40)}`);
  return value;
}

/** A file whose format is not recognised, as a usage error (its one-line reason). */
export function unknownTraceFormat(err: UnknownTraceFormatError): UsageError {
  return new UsageError(err.message);
}

/**
 * A refused traces file as the user sees it: each problem on its own line on stderr (at most the
 * first 20, then "… and N more"), then the one-line reason the CLI prints with exit code 2. A single
 * problem is the reason itself.
 */
export function refusedTraceFile(err: TraceFormatError, consequence?: string): UsageError {
  const tail = consequence ? `; ${consequence}` : "";
  if (err.total === 1) return new UsageError(`${err.message}${tail}`);
  // Reasons come escaped from the rules; the file's own name is escaped here.
  for (const line of err.listing()) process.stderr.write(`${safeText(line, Infinity)}\n`);
  const listed = err.problems.length < err.total ? `the first ${err.problems.length} listed above` : "listed above";
  return new UsageError(`${err.message}, ${listed}${tail}`);
}

/** A file that cannot be read at all (missing, a directory, no permission), as a usage error. */
export function unreadableTraceFile(file: string, err: unknown): UsageError {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "it is a directory" : e.code === "EACCES" ? "permission denied" : (e.code ?? String(err));
  return new UsageError(`cannot read traces file ${file}: ${why}`);
}

export { TraceFormatError, UnknownTraceFormatError };
