import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { STORED_TRACE_REFUSED } from "../../convex/lib/traceRules.js";
import { tracesOf, writeLegacy } from "../worker/legacyState.js";
import { runCli, runCliJson, startDaemonProc, tempDb, waitFor, waitForBeats, type DaemonProc } from "./cli.js";

/**
 * A 50 MB trace written into the state by a version before the trace limits used to kill the daemon
 * with heap exhaustion on every restart, until the job's lease expired and took the other pending
 * jobs with it. Now its job fails at once with the reason and the daemon goes on.
 */
interface Job {
  bucket: string;
  status: string;
  attempts: number;
  error?: string;
}
const jobs = (db: string) => runCliJson<{ jobs: { recent: Job[] }; daemons: Array<{ alive: boolean }> }>(["ctl", "status", "--db", db]);
const COUNTRY = "acme:normalize_country:v1";
const TICKET = "acme:route_ticket:v1";

const procs: DaemonProc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null) {
      p.child.kill("SIGKILL");
      await p.exited;
    }
  }
});

it("a daemon on a state holding a 50 MB trace fails that job at once with the reason, compiles the other, stays up, and restarts cleanly", async () => {
  const db = tempDb();
  // One seed trace, so a first run does not load the example's seed.
  const tiny = path.join(path.dirname(db), "one.jsonl");
  writeFileSync(tiny, `${JSON.stringify({ ...tracesOf("acme:classify_lead_tier:v1", 1)[0] })}\n`);
  expect(runCli(["seed", "--file", tiny, "--db", db]).status).toBe(0);
  const [seqs] = await writeLegacy(db, async (call) => [
    (await call("ingestUnchecked", { traces: tracesOf(COUNTRY, 30), big: { index: 7, bytes: 50_000_000 } })) as number[],
    await call("ingestUnchecked", { traces: tracesOf(TICKET, 30) }),
  ]);

  const d = startDaemonProc(db, ["--speed", "50"]);
  procs.push(d);
  const settled = await waitFor(
    "both jobs to end",
    () => {
      const s = jobs(db);
      const [country, ticket] = [COUNTRY, TICKET].map((b) => s.jobs.recent.find((j) => j.bucket === b));
      return country?.status === "failed" && ticket && ["done", "rejected"].includes(ticket.status) ? { country, ticket } : undefined;
    },
    90_000,
    500,
  );
  expect(settled.country.attempts).toBe(1);
  expect(settled.country.error).toMatch(new RegExp(`^${STORED_TRACE_REFUSED}: seq ${seqs[7]} of ${COUNTRY}: the trace is at least 50,000,\\d{3} bytes`));
  expect(d.child.exitCode).toBeNull();
  expect(d.stderr()).not.toMatch(/heap|FATAL/i);
  // The daemon logs the failure after it committed it: wait for the line too, not only the state.
  const failedLines = await waitFor(
    "the failed job's log line",
    () => {
      const lines = d.lines.filter((l) => l.type === "job" && l.phase === "failed");
      return lines.length > 0 ? lines : undefined;
    },
    30_000,
    100,
  );
  expect(failedLines.map((l) => l.bucket)).toEqual([COUNTRY]);

  // A restart finds nothing to die on: the job stays failed with its reason.
  d.child.kill("SIGTERM");
  expect(await d.exited).toBe(0);
  const again = startDaemonProc(db, ["--speed", "50"]);
  procs.push(again);
  await waitFor("the restarted daemon to be alive", () => jobs(db).daemons.some((x) => x.alive), 30_000, 300);
  // The restarted daemon goes round its loops (two more heartbeats) and still leaves the job alone.
  await waitForBeats(db, 2);
  expect(again.child.exitCode).toBeNull();
  const after = jobs(db).jobs.recent.find((j) => j.bucket === COUNTRY)!;
  expect(after).toMatchObject({ status: "failed", attempts: 1 });
});
