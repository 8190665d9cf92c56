import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FunctionReturnType } from "convex/server";
import { afterEach, describe, expect, it } from "vitest";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { api } from "../../src/contract/api.js";
import { ROOT } from "./cli.js";

/**
 * "kill -9 of the runtime's process loses at most the counters of the current window, never a trace."
 *
 * A child process (test/fixtures/runtime-child.mjs, on the built runtime in dist/) makes deferred
 * calls, many at a time, and prints `returned <i>` after call i returned. Once we have seen enough
 * such lines it gets SIGKILL; then the state file must hold a runtime trace, with the model's answer,
 * for every call we saw return (a deferred call returns only after its trace is committed).
 *
 * Counters are another matter, by design: they are sent with the next report or at least every
 * flushMs (1 s by default), so a kill loses the counts not yet sent (the current window's). What the
 * file holds may therefore lag the traces, but must never exceed them: usage's deferred count is at
 * most the number of runtime traces. Nothing here waits on time: on lines seen and on the exit.
 */

const FIXTURE = path.join(ROOT, "test/fixtures/runtime-child.mjs");
const BUILT = ["dist/src/runtime/index.js", "dist/src/backend/open.js"].map((f) => path.join(ROOT, f));
const missing = BUILT.filter((f) => !existsSync(f));
const SKIP_REASON = missing.length ? ` (SKIPPED: ${missing.map((f) => path.relative(ROOT, f)).join(", ")} missing; run \`npm run build\`)` : "";
if (SKIP_REASON) console.warn(`runtime-kill.test.ts${SKIP_REASON}`);

const BUCKET = "acme:kill:v1";
const SEEN = 300;

const dirs: string[] = [];
let backend: BackendClient | undefined;
afterEach(async () => {
  await backend?.close();
  backend = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Killed {
  returned: number[];
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the child until `SEEN` calls have returned, kills it with SIGKILL and waits for its exit. */
function runAndKill(dbPath: string, parallel: number, model: string): Promise<Killed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, dbPath, String(parallel), BUCKET, model], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const returned: number[] = [];
    let stderr = "";
    let buffered = "";
    let killed = false;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdout.on("data", (chunk: Buffer) => {
      if (killed) return; // lines after the kill was sent are not counted (they were seen too late)
      buffered += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^returned (\d+)$/.exec(line);
        if (m) returned.push(Number(m[1]));
      }
      if (returned.length >= SEEN) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (!killed) reject(new Error(`the child exited by itself (code ${code}, signal ${signal}) after ${returned.length} returned calls:\n${stderr}`));
      else resolve({ returned, signal, stderr });
    });
  });
}

async function runtimeTraces(client: BackendClient, bucket: string) {
  const all: FunctionReturnType<typeof api.daemon.ingest.traces> = [];
  let upto: number | undefined;
  for (;;) {
    const page = await client.query(api.daemon.ingest.traces, { bucket, limit: 5000, ...(upto === undefined ? {} : { uptoSeq: upto }) });
    all.push(...page);
    if (page.length < 5000) return all;
    upto = Math.min(...page.map((t) => t.seq)) - 1;
  }
}


describe(`kill -9 of the runtime's process${SKIP_REASON}`, () => {
  // 32 calls at a time: every pending trace fits one report (1000). 2000 at a time, the model
  // answering at once: thousands of traces wait behind each report, more than one report holds.
  for (const [parallel, model] of [[32, "io"], [2000, "io"], [2000, "microtask"]] as const) {
    it.skipIf(missing.length > 0)(
      `loses no trace of a call that returned, and its counters never exceed its traces (${parallel} calls in flight, model answers ${model === "io" ? "after I/O" : "at once"})`,
      async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "runtime-kill-"));
        dirs.push(dir);
        const dbPath = path.join(dir, "state.db");
        const { returned, signal } = await runAndKill(dbPath, parallel, model);
        expect(signal).toBe("SIGKILL");
        expect(returned.length).toBeGreaterThanOrEqual(SEEN);
        expect(new Set(returned).size).toBe(returned.length);

        backend = await openBackend({ dbPath, convexUrl: "", runCrons: false, runScheduler: false });
        const traces = await runtimeTraces(backend, BUCKET);
        expect(traces.every((t) => t.source === "runtime")).toBe(true);
        const byI = new Map<number, unknown>();
        for (const t of traces) {
          const i = (t.input as { i: number }).i;
          expect(byI.has(i), `call ${i} recorded twice`).toBe(false);
          byI.set(i, t.output);
        }
        // Every call seen returning has its trace, with the model's answer.
        const lost = returned.filter((i) => !byI.has(i));
        expect(lost, `${lost.length} of ${returned.length} returned calls have no trace`).toEqual([]);
        for (const i of returned) expect(byI.get(i)).toEqual({ i, tag: `answer-${i}` });

        // Counters may lag the traces (the unsent window is lost with the process), never exceed them.
        const usage = (await backend.query(api.daemon.runtime.usage, {})).filter((r) => r.bucket === BUCKET);
        const deferred = usage.reduce((n, r) => n + r.deferred, 0);
        console.log(`kill -9 with ${parallel} in flight (${model}): ${returned.length} calls seen returning, ${traces.length} traces committed, ${deferred} deferred counted`);
        expect(usage.reduce((n, r) => n + r.served, 0)).toBe(0);
        expect(deferred, `usage counts ${deferred} deferred calls but only ${traces.length} traces were committed`).toBeLessThanOrEqual(traces.length);
      },
      120_000,
    );
  }
});
