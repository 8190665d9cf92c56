/**
 * The headless daemon's output: one NDJSON line per event on stdout for machines,
 * or a short readable line for people (--log-format pretty). Diagnostics go to stderr.
 */
export type LogFormat = "ndjson" | "pretty";

export interface LogEvent {
  type: string; // "trigger" | "job" | "daemon" | "error" | ...
  [field: string]: unknown;
}

export interface Logger {
  event(e: LogEvent): void;
  warn(message: string): void;
}

const COLOR: Record<string, string> = {
  "TRIGGER:SCHEDULE": "\x1b[34m",
  "TRIGGER:EVENT": "\x1b[36m",
  "TRIGGER:VOLUME": "\x1b[33m",
  "TRIGGER:CODE_CHANGE": "\x1b[35m",
  "TRIGGER:RECOVERY": "\x1b[31m",
  BOOT: "\x1b[32m",
  STEP: "\x1b[90m",
};

export function createLogger(opts: { format: LogFormat; out?: NodeJS.WritableStream; err?: NodeJS.WritableStream; color?: boolean }): Logger {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const color = opts.color ?? (!process.env.NO_COLOR && (out as NodeJS.WriteStream).isTTY === true);
  return {
    event(e) {
      if (opts.format === "ndjson") {
        out.write(JSON.stringify({ at: new Date().toISOString(), ...e }) + "\n");
        return;
      }
      out.write(pretty(e, color) + "\n");
    },
    warn(message) {
      err.write(`compile-daemon: ${message}\n`);
    },
  };
}

function pretty(e: LogEvent, color: boolean): string {
  const time = new Date().toISOString().slice(11, 19);
  const { type, ...rest } = e;
  if (type === "trigger") {
    const kind = String(rest.kind);
    const paint = color ? (COLOR[kind] ?? "") : "";
    const reset = color && paint ? "\x1b[0m" : "";
    const bucket = rest.bucket ? ` ${String(rest.bucket)}` : "";
    return `${time} ${paint}${kind.padEnd(19)}${reset}${bucket} ${String(rest.detail ?? "")}`;
  }
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time} ${type.padEnd(19)} ${fields}`;
}
