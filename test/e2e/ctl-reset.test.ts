import { spawnSync } from "node:child_process";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { openBackend } from "../../src/backend/open.js";
import { CLI, ROOT, runCli, runCliJson, startDaemonProc, tempDb, waitFor, type DaemonProc } from "./cli.js";

/**
 * `ctl reset` through the installed entry point: it finishes the whole reset in bounded
 * transactions whether or not a daemon runs, and asks first at a terminal.
 */

interface Status {
  replay: { position: number; total: number };
  buckets: Array<{ key: string; count: number }>;
  vault: unknown[];
}
const status = (db: string) => runCliJson<Status>(["ctl", "status", "--db", db]);
const rows = (db: string, table: string): number => {
  const raw = new DatabaseSync(db, { readOnly: true });
  try {
    return (raw.prepare(`SELECT COUNT(*) AS n FROM "t_${table}"`).get() as { n: number }).n;
  } finally {
    raw.close();
  }
};

/** The _creationTime of the oldest trace left (Infinity when none). */
const oldestTrace = (db: string): number => {
  const raw = new DatabaseSync(db, { readOnly: true });
  try {
    const row = raw.prepare(`SELECT MIN(json_extract(doc, '$._creationTime')) AS t FROM "t_proxy_traces"`).get() as { t: number | null };
    return row.t ?? Infinity;
  } finally {
    raw.close();
  }
};

let daemon: DaemonProc | undefined;
afterEach(async () => {
  if (daemon && daemon.child.exitCode === null) {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
  }
  daemon = undefined;
});

async function fill(db: string, n: number): Promise<void> {
  const client = await openBackend({ dbPath: db, convexUrl: "", runCrons: false, runScheduler: false });
  for (let i = 0; i < n; i += 1000) {
    const traces = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
      bucket: `acme:site_${(i + j) % 4}:v1`,
      input: { text: `hello ${i + j}` },
      output: { label: "x" },
      model: "m",
      latencyMs: 10,
      tokensIn: 10,
      tokensOut: 2,
      ts: 1_700_000_000_000 + i + j,
    }));
    await client.mutation(api.daemon.ingest.ingestBatch, { traces });
  }
  await client.close();
}

describe("ctl reset", () => {
  it("100,000 traces and no daemon running: every one is deleted before it reports success", async () => {
    const db = tempDb();
    await fill(db, 100_000);
    expect(rows(db, "proxy_traces")).toBe(100_000);
    const started = Date.now();
    const r = runCli(["ctl", "reset", "--yes", "--db", db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^reset \(vault kept\): 10\d,\d{3} rows deleted\n$/);
    // Progress on stderr: the first batch, then at most one line every 2 s, then the total.
    const progress = r.stderr.trim().split("\n");
    expect(progress[0]).toMatch(/^reset: 4,000 of about 10\d,\d{3} rows deleted$/);
    expect(progress.at(-1)).toMatch(/^reset: 10\d,\d{3} rows deleted$/);
    expect(progress.length).toBeLessThanOrEqual(2 + Math.ceil((Date.now() - started) / 2000));
    // Nothing left for a daemon to finish.
    for (const table of ["proxy_traces", "buckets", "trigger_events", "pending_compiles"]) expect(rows(db, table), table).toBe(0);
    expect(status(db)).toMatchObject({ replay: { position: 0 }, buckets: [] });
  }, 180_000);

  it("with a daemon running: the reset completes and the replay starts over; no trace from before it is left", async () => {
    const db = tempDb();
    daemon = startDaemonProc(db, ["--speed", "40"]);
    await waitFor("the replay to get going", () => status(db).replay.position >= 60, 60_000);
    const before = Date.now();
    const r = runCli(["ctl", "reset", "--yes", "--db", db]);
    expect(r.status, r.stderr).toBe(0);
    // Right after: every trace there is was written after the reset began (the replay started over).
    expect(oldestTrace(db)).toBeGreaterThan(before);
    // The daemon carries on, replaying again from the start.
    await waitFor("the replay to pass 40 again", () => status(db).replay.position >= 40 && rows(db, "proxy_traces") >= 40, 60_000);
    expect(oldestTrace(db)).toBeGreaterThan(before);
    expect(daemon.child.exitCode).toBeNull();
    // A compile running at the reset loses its job row (a reset clears jobs): the worker says so
    // once and carries on. Nothing else goes wrong.
    const errors = daemon.lines.filter((l) => l.type === "error" && !/^job \S+ does not exist$/.test(String(l.message)));
    expect(errors).toEqual([]);
  }, 180_000);

  it("at a real terminal it asks (default No); `yes` goes ahead", () => {
    const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
    if (!hasScript) {
      console.warn("skipped: util-linux `script` (to give the CLI a terminal) is not installed");
      return;
    }
    const db = tempDb();
    expect(runCli(["seed", "--db", db]).status).toBe(0);
    expect(runCli(["ctl", "inject", "acme:route_ticket:v1", "20", "--db", db]).status).toBe(0);
    const atTerminal = (answer: string, extra = "") =>
      spawnSync("script", ["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ctl reset ${extra} --db ${JSON.stringify(db)}; echo "rc=$?"`, "/dev/null"], {
        cwd: ROOT,
        encoding: "utf8",
        input: `${answer}\n`,
        timeout: 60_000,
      });
    const no = atTerminal("");
    expect(no.stdout).toMatch(/Reset the replay and clear traces, buckets, jobs and triggers\? \(state file .*: 20 traces in 1 bucket, 0 vault entries kept\) \[y\/N\]/);
    expect(no.stdout).toMatch(/reset cancelled: nothing was changed/);
    expect(no.stdout).toMatch(/rc=1/);
    expect(rows(db, "proxy_traces")).toBe(20);
    const yes = atTerminal("yes", "--all");
    expect(yes.stdout).toMatch(/and the VAULT/);
    expect(yes.stdout).toMatch(/reset everything, vault included: \d+ rows deleted/);
    expect(yes.stdout).toMatch(/rc=0/);
    expect(rows(db, "proxy_traces")).toBe(0);
  });
});
