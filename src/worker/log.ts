import { printable } from "../backend/printable.js";
import { RepeatCollapser, repeatedSuffix, type RepeatOptions } from "../backend/repeats.js";

/**
 * The headless daemon's output: one NDJSON line per event on stdout for machines,
 * or a short readable line for people (--log-format pretty). Diagnostics go to stderr.
 * An error or warning repeated word for word (a full disk fails every tick) is written once, then
 * as one line with its count: `"repeated": N` in NDJSON, "(repeated N times)" in pretty lines.
 */
export type LogFormat = "ndjson" | "pretty";

export interface LogEvent {
  type: string; // "trigger" | "job" | "daemon" | "error" | ...
  [field: string]: unknown;
}

export interface Logger {
  event(e: LogEvent): void;
  warn(message: string): void;
  /** Writes the counts of repeated errors still pending (before the process stops). */
  flush?(): void;
}

const COLOR: Record<string, string> = {
  "TRIGGER:SCHEDULE": "\x1b[34m",
  "TRIGGER:EVENT": "\x1b[36m",
  "TRIGGER:VOLUME": "\x1b[33m",
  "TRIGGER:CODE_CHANGE": "\x1b[35m",
  "TRIGGER:RECOVERY": "\x1b[31m",
  "TRIGGER:DRIFT": "\x1b[91m",
  BOOT: "\x1b[32m",
  STEP: "\x1b[90m",
};

export function createLogger(opts: {
  format: LogFormat;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  color?: boolean;
  /** How repeated errors are collapsed (the interval at which a lasting one's count is written). */
  repeats?: RepeatOptions;
}): Logger {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const color = opts.color ?? (!process.env.NO_COLOR && (out as NodeJS.WriteStream).isTTY === true);
  const write = (e: LogEvent) => {
    if (opts.format === "ndjson") {
      out.write(JSON.stringify({ at: new Date().toISOString(), ...e }) + "\n");
      return;
    }
    out.write(pretty(e, color) + "\n");
  };
  const errors = new RepeatCollapser<LogEvent>(
    (e, n) => write(n === 0 ? e : { ...e, repeated: n }),
    (e) => JSON.stringify(e),
    opts.repeats,
  );
  const warnings = new RepeatCollapser<string>(
    (m, n) => err.write(`compile-daemon: ${printable(m)}${n === 0 ? "" : repeatedSuffix(n)}\n`),
    (m) => m,
    opts.repeats,
  );
  return {
    event(e) {
      if (e.type === "error") errors.push(e);
      else write(e);
    },
    warn(message) {
      warnings.push(message);
    },
    flush() {
      errors.flush();
      warnings.flush();
    },
  };
}

function pretty(e: LogEvent, color: boolean): string {
  const time = new Date().toISOString().slice(11, 19);
  const { type, repeated, ...rest } = e;
  const suffix = typeof repeated === "number" ? repeatedSuffix(repeated) : "";
  // Bucket keys, details and errors come from the state: control characters escaped.
  if (type === "trigger") {
    const kind = printable(String(rest.kind));
    const paint = color ? (COLOR[kind] ?? "") : "";
    const reset = color && paint ? "\x1b[0m" : "";
    const bucket = rest.bucket ? ` ${printable(String(rest.bucket))}` : "";
    return `${time} ${paint}${kind.padEnd(19)}${reset}${bucket} ${printable(String(rest.detail ?? ""))}${suffix}`;
  }
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${printable(typeof v === "string" ? v : String(JSON.stringify(v)))}`)
    .join(" ");
  return `${time} ${printable(type).padEnd(19)} ${fields}${suffix}`;
}
