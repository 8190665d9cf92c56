/**
 * Driving the built product as a user would: the CLI from dist/ in child processes, plus a
 * read-only second client on the same embedded state file (several processes may share it) to
 * watch replay position, jobs, triggers and the vault without disturbing the daemon.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { api } from "../../convex/_generated/api.js";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { generateTraces, SEED_COUNTS } from "../../data/acme-agent/scripts/generate-seed.js";
import { sleep } from "./stats.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");
// The installed entry point (bin.ts), as users run it: it also selects React's production build.
export const CLI = path.join(ROOT, "dist/src/bin.js");
/**
 * How a user's shell starts the CLI: node with the flags of bin.ts's `#!/usr/bin/env -S node ...`
 * line when it has any (it has none now: busybox's env, Alpine's, has no -S), then the script.
 * Spawn `process.execPath, [...CLI_ARGV, ...args]`.
 */
export const CLI_ARGV = [...shebangFlags(CLI), CLI];
export const AGENT = path.join(ROOT, "data/acme-agent");

function shebangFlags(script: string): string[] {
  if (!existsSync(script)) return [];
  const first = readFileSync(script, "utf8").split("\n", 1)[0];
  const match = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : [];
}

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
}

export function tempDir(prefix: string): { dir: string; db: string; done: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, db: path.join(dir, "state.db"), done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the CLI to completion (seed, compile, ctl ...). */
export function cli(args: string[]): { code: number; stdout: string; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...CLI_ARGV, ...args], { cwd: ROOT, encoding: "utf8", env: benchEnv(), maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** No CI flag (ink would stop synchronising frames), no remote backends or sinks: the embedded default. */
export function benchEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ["CI", "CONVEX_URL", "TENSORLAKE_API_KEY", "NIA_API_KEY", "LLM_BASE_URL", "COMPILE_THRESHOLD"]) delete env[k];
  return env;
}

/**
 * A replay source of n Acme traces (same generator and call-site mix as the shipped seed, without
 * its model upgrade), for windows longer than the seed lasts at 1 ms per trace.
 */
export function writeSeedFile(file: string, n: number): void {
  writeFileSync(file, generateTraces(7, seedMix(n)).join("\n") + "\n");
}

/** Per call site, its share of n traces in the shipped seed's mix (generateTraces' counts). */
export function seedMix(n: number): Record<string, number> {
  const scale = n / Object.values(SEED_COUNTS).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(SEED_COUNTS).map(([k, c]) => [k, Math.round(c * scale)]));
}

export interface NdjsonLine {
  recvAt: number; // performance.now() in the bench process
  event: Record<string, unknown>;
}

export interface Daemon {
  child: ChildProcess;
  pid: number;
  lines: NdjsonLine[];
  stderr: string[];
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** The headless daemon: `run --db F --speed MS`, its NDJSON collected with receive times. */
export function startHeadless(db: string, speedMs: number): Daemon {
  const child = spawn(process.execPath, [...CLI_ARGV, "run", "--db", db, "--speed", String(speedMs)], { cwd: ROOT, env: benchEnv(), stdio: ["ignore", "pipe", "pipe"] });
  const lines: NdjsonLine[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      lines.push({ recvAt: performance.now(), event: JSON.parse(line) as Record<string, unknown> });
    } catch {
      stderr.push(`non-JSON stdout: ${line}`);
    }
  });
  createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    lines,
    stderr,
    exited,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const code = await Promise.race([exited, sleep(15_000).then(() => "timeout" as const)]);
      if (code === "timeout") {
        child.kill("SIGKILL");
        return await exited;
      }
      return code;
    },
  };
}

/** A second client on the state file: no crons, no scheduler, so it only reads. */
export async function openReader(db: string): Promise<BackendClient> {
  const saved = process.env.CONVEX_URL;
  delete process.env.CONVEX_URL;
  try {
    return await openBackend({ dbPath: db, runCrons: false, runScheduler: false });
  } finally {
    if (saved !== undefined) process.env.CONVEX_URL = saved;
  }
}

export async function replayState(client: BackendClient) {
  return await client.query(api.daemon.replay.state, {});
}

/** Jobs not finished yet (pending or running). */
export async function openJobs(client: BackendClient): Promise<number> {
  const jobs = await client.query(api.daemon.compiles.list, { limit: 500 });
  return jobs.filter((j) => j.status === "pending" || j.status === "running").length;
}

/**
 * Waits until the replay reached its end and no job is pending or running, then `quietMs` more.
 * Returns the time it took (ms) or throws after `timeoutMs`.
 */
export async function waitSettled(client: BackendClient, opts: { minVault?: number; timeoutMs?: number; quietMs?: number; alive?: () => boolean } = {}): Promise<number> {
  const t0 = performance.now();
  const timeout = opts.timeoutMs ?? 120_000;
  for (;;) {
    if (opts.alive && !opts.alive()) throw new Error("the process under test exited before it settled");
    const s = await replayState(client).catch(() => undefined);
    if (s && s.total > 0 && s.position >= s.total && (await openJobs(client)) === 0) {
      const vault = await client.query(api.daemon.vault.list, {});
      if (vault.length >= (opts.minVault ?? 0)) break;
    }
    if (performance.now() - t0 > timeout) throw new Error(`not settled after ${timeout} ms`);
    await sleep(100);
  }
  await sleep(opts.quietMs ?? 0);
  return performance.now() - t0;
}

export interface PositionSample {
  t: number; // performance.now()
  position: number;
  total: number;
}

/**
 * Polls the replay position every `everyMs` until it reaches the total. The replay rate is the
 * traces moved between the first sample that saw movement and the first that saw the end,
 * over that time (the ticks are 1 s apart, so this is tick-quantised by design of the product).
 */
export async function watchReplay(client: BackendClient, opts: { everyMs?: number; timeoutMs?: number; onSample?: (s: PositionSample) => void; alive?: () => boolean } = {}): Promise<PositionSample[]> {
  const samples: PositionSample[] = [];
  const t0 = performance.now();
  for (;;) {
    const s = await replayState(client).catch(() => undefined);
    if (s) {
      const sample = { t: performance.now(), position: s.position, total: s.total };
      samples.push(sample);
      opts.onSample?.(sample);
      if (s.total > 0 && s.position >= s.total) return samples;
    }
    if (opts.alive && !opts.alive()) throw new Error("the process under test exited during the replay");
    if (performance.now() - t0 > (opts.timeoutMs ?? 120_000)) throw new Error("replay did not finish in time");
    await sleep(opts.everyMs ?? 25);
  }
}

export interface ReplayRate {
  traces: number;
  ms: number;
  perS: number;
  /** from the first sample to the first movement: start-up + the first tick */
  firstMoveMs: number;
}

export function replayRate(samples: PositionSample[], since: number): ReplayRate {
  const firstMove = samples.find((s) => s.position > samples[0].position) ?? samples[0];
  // The tick before the first observed movement already moved firstMove.position traces; count
  // from the sample just before it so those traces are inside the measured interval.
  const before = samples[samples.indexOf(firstMove) - 1] ?? firstMove;
  const end = samples[samples.length - 1];
  const traces = end.position - before.position;
  const ms = end.t - before.t;
  return { traces, ms, perS: ms > 0 ? (traces / ms) * 1000 : Number.NaN, firstMoveMs: firstMove.t - since };
}
