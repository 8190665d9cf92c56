import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI: `npm test` builds dist/ first, so e2e tests run exactly what users run. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(ROOT, "dist/src/bin.js");

export function tempDb(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), "compile-e2e-")), "state.db");
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function runCliJson<T>(args: string[]): T {
  const r = runCli([...args, "--json"]);
  if (r.status !== 0) throw new Error(`cli ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface DaemonProc {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** A real headless daemon process; its NDJSON stdout is collected line by line. */
export function startDaemonProc(db: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): DaemonProc {
  const child = spawn(process.execPath, [CLI, "run", "--db", db, ...extra], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, unknown>> = [];
  let buf = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, lines, stderr: () => err, exited };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined | false;
    try {
      v = probe();
    } catch {
      v = undefined; // e.g. the state file does not exist yet: not there yet, ask again
    }
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits until the live daemons of `db` have beaten `beats` more times (seen through `ctl status`: a
 * daemon's last beat got younger). Use it where a test checks that nothing more happens: it waits
 * until the daemon demonstrably ran its loops again, however slow the machine, rather than for a
 * fixed time in which a starved daemon may have done nothing.
 */
export async function waitForBeats(db: string, beats: number, timeoutMs = 60_000): Promise<void> {
  type Beats = { daemons: Array<{ daemonId: string; alive: boolean; lastBeatAgoMs: number }> };
  const ages = () => new Map(runCliJson<Beats>(["ctl", "status", "--db", db]).daemons.filter((d) => d.alive).map((d) => [d.daemonId, d.lastBeatAgoMs]));
  let last = ages();
  if (last.size === 0) throw new Error(`no live daemon on ${db} to wait for`);
  const seen = new Map<string, number>();
  await waitFor(`${beats} more heartbeats of the daemon(s) on ${db}`, () => {
    const now = ages();
    for (const [id, age] of now) if (age < (last.get(id) ?? Infinity)) seen.set(id, (seen.get(id) ?? 0) + 1);
    last = now;
    return [...last.keys()].every((id) => (seen.get(id) ?? 0) >= beats);
  }, timeoutMs, 100);
}
