import type { Command } from "commander";
import type { BackendClient } from "../backend/client.js";
import { printableValue } from "../backend/printable.js";

export interface GlobalOptions {
  db: string;
  agent: string;
  json: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<{ db?: string; agent?: string; json?: boolean }>();
  return { db: o.db ?? ".compile/state.db", agent: o.agent ?? "data/acme-agent", json: Boolean(o.json) };
}

export interface ClientAccess {
  /** May create the state file (`seed`); implies `write`. */
  create?: boolean;
  /** Runs mutations (`ctl pause`, `ctl reset`, ...). Without it the state file is opened read-only. */
  write?: boolean;
}

/**
 * Opens the backend for a short command. Only the daemon runs crons; a `ctl` call must never
 * take the scheduler lease away from it. Only `seed` may create a state file: elsewhere a missing
 * file is a mistyped --db. A command that only reads (`ctl status`, `vault list/show/export`) opens
 * the embedded state file read-only: it writes nothing, and works on a file or folder it cannot write.
 */
export async function withClient<T>(cmd: Command, fn: (client: BackendClient) => Promise<T>, opts: ClientAccess = {}): Promise<T> {
  // Loaded on use: the embedded runtime and the app's Convex modules are most of a short command's
  // start-up, and `--help` or a usage error needs none of them.
  const { openBackend } = await import("../backend/open.js");
  const client = await openBackend({
    dbPath: globals(cmd).db,
    convexUrl: process.env.CONVEX_URL,
    runCrons: false,
    runScheduler: false,
    mustExist: !opts.create,
    readOnly: !opts.create && !opts.write,
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}

/**
 * A plain aligned table for people; machines use --json. Every cell is printed with its control
 * characters escaped (printable): cells hold bucket keys, families and errors from the state file.
 */
export function printTable(rows: Array<Record<string, string | number | boolean | undefined>>, out: NodeJS.WritableStream = process.stdout): void {
  if (rows.length === 0) {
    out.write("(none)\n");
    return;
  }
  const keys = Object.keys(rows[0]);
  const cols = keys.map(printableValue);
  const cells = rows.map((r) => keys.map((k) => printableValue(r[k])));
  const widths = cols.map((c, i) => cells.reduce((w, row) => Math.max(w, row[i].length), c.length));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd() + "\n";
  out.write(line(cols));
  out.write(line(widths.map((w) => "-".repeat(w))));
  for (const row of cells) out.write(line(row));
}
