import type { Command } from "commander";
import { openBackend } from "../backend/open.js";
import type { BackendClient } from "../backend/client.js";

export interface GlobalOptions {
  db: string;
  agent: string;
  json: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<{ db?: string; agent?: string; json?: boolean }>();
  return { db: o.db ?? ".compile/state.db", agent: o.agent ?? "data/acme-agent", json: Boolean(o.json) };
}

/**
 * Opens the backend for a short command. Only the daemon runs crons; a `ctl` call must never
 * take the scheduler lease away from it. Only `seed` may create a state file: elsewhere a missing
 * file is a mistyped --db.
 */
export async function withClient<T>(cmd: Command, fn: (client: BackendClient) => Promise<T>, opts: { create?: boolean } = {}): Promise<T> {
  const client = await openBackend({
    dbPath: globals(cmd).db,
    convexUrl: process.env.CONVEX_URL,
    runCrons: false,
    runScheduler: false,
    mustExist: !opts.create,
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

/** A plain aligned table for people; machines use --json. */
export function printTable(rows: Array<Record<string, string | number | boolean | undefined>>, out: NodeJS.WritableStream = process.stdout): void {
  if (rows.length === 0) {
    out.write("(none)\n");
    return;
  }
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => (v === undefined ? "" : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd() + "\n";
  out.write(line(cols));
  out.write(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) out.write(line(cols.map((c) => cell(r[c]))));
}
