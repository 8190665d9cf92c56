import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SEED_COUNTS } from "../../data/acme-agent/scripts/generate-seed.js";
import { runCli, runCliJson, startDaemonProc, tempDb, waitFor, waitForBeats, type DaemonProc } from "./cli.js";

/** The example's seed file, which a first run loads. */
const SEED_TOTAL = Object.values(SEED_COUNTS).reduce((a, b) => a + b, 0);

interface Status {
  replay: { position: number; total: number; speedMs: number; paused: boolean };
  threshold: number;
  buckets: Array<{ key: string; count: number }>;
  jobs: {
    active: Array<{ id: string; bucket: string }>;
    counts: Record<string, number>;
    recent: Array<{ id: string; bucket: string; status: string; attempts: number }>;
  };
  vault: Array<{ bucket: string; verdict: string; sha: string }>;
  daemons: Array<{ daemonId: string; status: string; alive: boolean }>;
  code: { sha: string };
}
interface VaultRow {
  bucket: string;
  sha: string;
  verdict: string;
  coverage?: number;
  selective?: { agreement: number; lowerBound: number };
  reasons: string[];
  code: string;
  jobId: string;
  status?: string;
}

const status = (db: string) => runCliJson<Status>(["ctl", "status", "--db", db]);
const vaultRows = (db: string): VaultRow[] =>
  runCli(["vault", "list", "--db", db, "--json"]).stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as VaultRow);
/** The entries that answer for their (bucket, sha): a demoted one stays beside its recompile, as history. */
const activeKeys = (rows: VaultRow[]) => rows.filter((r) => r.status !== "demoted").map((r) => `${r.bucket}@${r.sha}`);
const traceTotal = (s: Status) => s.buckets.reduce((n, b) => n + b.count, 0);
/**
 * The replay is over, no job is queued or running, and every call site that reached the threshold
 * has a verdict for the current code: the daemon has settled, whatever the verdicts are.
 */
const settled = (s: Status) =>
  s.replay.position === s.replay.total &&
  s.replay.total > 0 &&
  !s.jobs.counts.pending &&
  !s.jobs.counts.running &&
  s.buckets.filter((b) => b.count >= s.threshold).every((b) => s.vault.some((v) => v.bucket === b.key && v.sha === s.code.sha));

/**
 * What holds for any data, not for one generated file: each entry has one of the four verdicts; a
 * usable one (compiled or partial) met the gate's agreement lower bound and its coverage floor; one
 * that is not usable says why.
 */
function expectHonestVault(rows: VaultRow[]): void {
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    expect(["compiled", "partial", "waiting", "rejected"], r.bucket).toContain(r.verdict);
    if (r.verdict === "compiled" || r.verdict === "partial") {
      expect(r.selective?.lowerBound, r.bucket).toBeGreaterThanOrEqual(0.8);
      expect(r.selective!.lowerBound, r.bucket).toBeLessThanOrEqual(r.selective!.agreement);
      expect(r.coverage, r.bucket).toBeGreaterThanOrEqual(r.verdict === "compiled" ? 0.95 : 0.3);
    } else {
      expect(r.reasons.length, `${r.bucket} is ${r.verdict} without a reason`).toBeGreaterThan(0);
    }
  }
}

const procs: DaemonProc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null) {
      p.child.kill("SIGKILL");
      await p.exited;
    }
  }
});

describe("the headless daemon, as real processes", () => {
  it("replays the seed, gives every call site an honest verdict and settles; ctl sees it live", async () => {
    const db = tempDb();
    const d = startDaemonProc(db, ["--speed", "20"]);
    procs.push(d);
    // While it runs, a second process reads the same state.
    const live = await waitFor("a live daemon in ctl status", () => {
      const s = status(db);
      return s.daemons.some((x) => x.alive) && s.replay.total === SEED_TOTAL ? s : undefined;
    });
    expect(live.replay.speedMs).toBe(20);
    const done = await waitFor("the replay to finish and every job to settle", () => {
      const s = status(db);
      return settled(s) ? s : undefined;
    }, 120_000, 500);
    expect(done.vault.length).toBeGreaterThanOrEqual(done.buckets.filter((b) => b.count >= done.threshold).length);
    expectHonestVault(vaultRows(db));
    // Settled means settled: nothing is enqueued again once the traces stop growing, however many
    // times the daemon goes round its loops (two more heartbeats, not a fixed time).
    await waitForBeats(db, 2);
    const later = status(db);
    expect(later.jobs.counts).toEqual(done.jobs.counts);
    expect(later.vault.map((v) => `${v.bucket} ${v.verdict}`)).toEqual(done.vault.map((v) => `${v.bucket} ${v.verdict}`));
    // NDJSON on stdout: trigger rows and job transitions.
    expect(d.lines.some((l) => l.type === "trigger" && l.kind === "TRIGGER:VOLUME")).toBe(true);
    expect(d.lines.some((l) => l.type === "job" && l.phase === "done")).toBe(true);
    // Graceful stop: SIGTERM, exit 0, last heartbeat "stopped".
    d.child.kill("SIGTERM");
    expect(await d.exited).toBe(0);
    expect(status(db).daemons.every((x) => x.status === "stopped")).toBe(true);
  });

  it("survives kill -9 mid-replay and mid-job: resumes at the same position, reclaims the job once, duplicates nothing", async () => {
    // A primary compute that accepts connections and never answers keeps a job in stage 2 long
    // enough to kill the daemon in the middle of it.
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
    const port = (hang.address() as AddressInfo).port;
    try {
      const db = tempDb();
      const first = startDaemonProc(db, ["--speed", "40"], { TENSORLAKE_API_KEY: "e2e", TENSORLAKE_API_URL: `http://127.0.0.1:${port}` });
      procs.push(first);
      const atJob = await waitFor("a job running while the replay is under way", () => {
        const s = status(db);
        return s.jobs.active.length > 0 && s.replay.position < SEED_TOTAL ? s : undefined;
      }, 60_000, 100);
      const stuck = atJob.jobs.active[0];
      first.child.kill("SIGKILL");
      await first.exited;
      const atKill = status(db);
      expect(traceTotal(atKill)).toBe(atKill.replay.position); // every replayed trace is in, exactly once

      const second = startDaemonProc(db); // local compute only
      procs.push(second);
      const after = await waitFor("the replay to finish and every job to settle", () => {
        const s = status(db);
        return settled(s) ? s : undefined;
      }, 150_000, 500);
      expect(after.replay.position).toBe(SEED_TOTAL);
      expect(traceTotal(after)).toBe(SEED_TOTAL);
      // The job the killed daemon held was reclaimed after its lease expired and completed once.
      const job = after.jobs.recent.find((j) => j.id === stuck.id);
      expect(job?.status).toMatch(/^(done|rejected)$/);
      expect(job?.attempts).toBe(2);
      // Its NDJSON lines may still be in the pipe when ctl already shows the job done.
      await waitFor("the reclaiming daemon's done line", () => second.lines.some((l) => l.type === "job" && l.phase === "done" && l.jobId === stuck.id), 5000, 50);
      expect(second.lines.filter((l) => l.type === "job" && l.phase === "done" && l.jobId === stuck.id)).toHaveLength(1);
      expect(first.lines.filter((l) => l.type === "job" && l.phase === "done" && l.jobId === stuck.id)).toHaveLength(0);
      const rows = vaultRows(db);
      const keys = activeKeys(rows);
      expect(new Set(keys).size).toBe(keys.length);
      expectHonestVault(rows);
    } finally {
      hang.closeAllConnections();
      hang.close();
    }
  });

  it("two daemons on one state file never run the same job twice", async () => {
    const db = tempDb();
    const a = startDaemonProc(db, ["--speed", "5"]);
    const b = startDaemonProc(db);
    procs.push(a, b);
    await waitFor("the replay to finish and every job to settle", () => {
      const s = status(db);
      return settled(s) ? s : undefined;
    }, 150_000, 500);
    const claimed = [...a.lines, ...b.lines].filter((l) => l.type === "job" && l.phase === "claimed").map((l) => String(l.jobId));
    const finished = [...a.lines, ...b.lines].filter((l) => l.type === "job" && l.phase === "done").map((l) => String(l.jobId));
    expect(new Set(finished).size).toBe(finished.length); // each job completed exactly once
    expect(new Set(claimed).size).toBe(claimed.length); // and claimed once (no lease expired here)
    const rows = vaultRows(db);
    expect(new Set(activeKeys(rows)).size).toBe(activeKeys(rows).length);
  });
});

describe("command-line manners", () => {
  it("bad ctl arguments: one line naming the problem, exit 2, nothing changed", () => {
    const db = tempDb();
    const r1 = runCli(["ctl", "speed", "60001", "--db", db]);
    expect(r1.status).toBe(2);
    expect(r1.stderr.trim().split("\n")).toHaveLength(1);
    expect(r1.stderr).toMatch(/speed/);
    const r2 = runCli(["ctl", "inject", "not-a-bucket", "5", "--db", db]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/bucket/);
    const r3 = runCli(["ctl", "inject", "acme:route_ticket:v1", "-3", "--db", db]);
    expect(r3.status).toBe(2);
    const r4 = runCli(["ctl", "frobnicate", "--db", db]);
    expect(r4.status).toBe(2);
  });

  it("seed is idempotent", () => {
    const db = tempDb();
    const one = runCliJson<{ inserted: number; total: number }>(["seed", "--db", db]);
    const two = runCliJson<{ inserted: number; skipped: number; total: number }>(["seed", "--db", db]);
    expect(one).toMatchObject({ inserted: SEED_TOTAL, total: SEED_TOTAL });
    expect(two).toMatchObject({ inserted: 0, skipped: SEED_TOTAL, total: SEED_TOTAL });
  });

  it("seed --file appends a second file's new traces, skipping only those already loaded", async () => {
    const { readFileSync, writeFileSync } = await import("node:fs");
    const db = tempDb();
    runCliJson(["seed", "--db", db]);
    const seedLines = readFileSync("data/acme-agent/traces/seed.jsonl", "utf8").split("\n").filter(Boolean);
    const fresh = seedLines.slice(0, 20).map((l) => JSON.stringify({ ...JSON.parse(l), ts: "2026-12-01T00:00:00.000Z" }));
    const file = db.replace(/state\.db$/, "mine.jsonl");
    // 20 new traces and 5 that are already in the replay source.
    writeFileSync(file, [...fresh, ...seedLines.slice(100, 105)].join("\n") + "\n");
    const r = runCliJson<{ inserted: number; skipped: number; total: number }>(["seed", "--file", file, "--db", db]);
    expect(r).toMatchObject({ inserted: 20, skipped: 5, total: SEED_TOTAL + 20 });
  });

  it("a bad seed file line is named with its number, exit 2", async () => {
    const { writeFileSync } = await import("node:fs");
    const db = tempDb();
    const file = db.replace(/state\.db$/, "bad.jsonl");
    writeFileSync(file, '{"bucket":"acme:x:v1","input":{},"output":1,"model":"m","latencyMs":1,"tokensIn":1,"tokensOut":1,"ts":1}\n{oops\n');
    const r = runCli(["seed", "--file", file, "--db", db]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/:2: not valid JSON/);
  });

  it("smoke observes all six triggers, DRIFT included, and exits 0", () => {
    const r = runCli(["smoke", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; triggers: Record<string, number | null> };
    expect(out.ok).toBe(true);
    for (const k of ["TRIGGER:SCHEDULE", "TRIGGER:EVENT", "TRIGGER:VOLUME", "TRIGGER:CODE_CHANGE", "TRIGGER:RECOVERY", "TRIGGER:DRIFT"]) {
      expect(out.triggers[k], k).not.toBeNull();
    }
  });
});
