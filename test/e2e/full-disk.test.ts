import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runCli, startDaemonProc, waitFor } from "./cli.js";

/**
 * A daemon on a full disk: the same error used to be logged several times a second (every
 * scheduler tick, every job poll). Now each distinct error is logged once, then with its count.
 * A real full disk needs a small tmpfs, so this runs only where mounting one is allowed (root in
 * a container or VM); elsewhere test/backend/repeats.test.ts covers the same paths in process.
 */

const mountPoint = mkdtempSync(path.join(tmpdir(), "full-disk-"));
const mounted =
  process.platform === "linux" && process.getuid?.() === 0 && spawnSync("mount", ["-t", "tmpfs", "-o", "size=1800k", "tmpfs", mountPoint]).status === 0;

/** The daemon under test, stopped here too: a test that failed midway must not keep the mount busy. */
let running: ReturnType<typeof startDaemonProc> | undefined;

afterAll(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill("SIGKILL");
    await running.exited;
  }
  if (mounted) spawnSync("umount", [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe("a full disk", () => {
  it.skipIf(!mounted)("is logged once per distinct error, then as one line with a count", async () => {
    const db = path.join(mountPoint, "state.db");
    // The first 700 of the example's traces, seeded on an ordinary disk (the command's close folds
    // the WAL into the file): about 1.2 MB, copied onto the 1.8 MB disk. Replaying them adds about
    // 2 KB a trace to the file itself, so the disk fills whatever the WAL and the checkpoints do
    // (with 250 traces only the WAL's growth filled it, which a loaded machine's timing could avoid).
    const seedDir = mkdtempSync(path.join(tmpdir(), "full-disk-seed-"));
    const seedFile = path.join(seedDir, "seed.jsonl");
    writeFileSync(seedFile, readFileSync(path.join(ROOT, "data/acme-agent/traces/seed.jsonl"), "utf8").split("\n").slice(0, 700).join("\n") + "\n");
    const seededDb = path.join(seedDir, "state.db");
    const seeded = runCli(["seed", "--file", seedFile, "--db", seededDb]);
    expect(seeded.status, seeded.stderr).toBe(0);
    expect(existsSync(`${seededDb}-wal`)).toBe(false);
    copyFileSync(seededDb, db);
    const daemon = (running = startDaemonProc(db, ["--speed", "1"]));
    const full = () => daemon.lines.filter((l) => JSON.stringify(l).includes("database or disk is full"));
    await waitFor("the disk to fill up", () => full().length > 0, 60_000);
    // Several seconds of failing: every scheduler tick (4 a second) and every job poll fail.
    await new Promise((r) => setTimeout(r, 6000));
    // Per distinct error (the backend's own, and the agent runtime's report that could not be
    // written): its first line, then at most one line with the count so far.
    const perMessage = new Map<string, number>();
    for (const l of full().filter((l) => l.type === "error")) perMessage.set(String(l.message), (perMessage.get(String(l.message)) ?? 0) + 1);
    const duringErrors = Math.max(...perMessage.values());
    const stderrLines = daemon.stderr().split("\n").filter((l) => l.includes("database or disk is full"));
    const duringStderr = Math.max(0, ...[...new Set(stderrLines.map((l) => l.replace(/ \(repeated \d+ times\)/, "")))].map((m) => stderrLines.filter((l) => l.startsWith(m)).length));
    daemon.child.kill("SIGTERM");
    await daemon.exited;

    expect(duringErrors).toBeLessThanOrEqual(2);
    expect(duringStderr).toBeLessThanOrEqual(2);
    // On the way out the counts are written.
    const errors = daemon.lines.filter((l) => l.type === "error" && l.message === "database or disk is full");
    expect(errors[0].repeated).toBeUndefined();
    const counted = errors.slice(1).reduce((n, l) => n + Number(l.repeated ?? 0), 0);
    const stderr = daemon.stderr();
    expect(counted + Number(/disk is full \(repeated (\d+) times\)/.exec(stderr)?.[1] ?? 0)).toBeGreaterThan(10);
  });
});
