import { appendFile, cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { api } from "../contract/api.js";
import { VERDICTS } from "../contract/rules.js";
import { openBackend } from "../backend/open.js";
import { printable } from "../backend/printable.js";
import type { BackendClient } from "../backend/client.js";
import { createRuntime } from "../runtime/index.js";
import { startDaemon } from "../worker/daemon.js";
import { createLogger } from "../worker/log.js";
import { tailTriggers } from "../worker/triggerTail.js";
import { printJson, printTable } from "./common.js";
import { seedIfEmpty } from "./daemonRunner.js";
import { VERSION } from "./version.js";

const TRIGGERS = ["TRIGGER:SCHEDULE", "TRIGGER:EVENT", "TRIGGER:VOLUME", "TRIGGER:CODE_CHANGE", "TRIGGER:RECOVERY", "TRIGGER:DRIFT"] as const;

/** The probe agent's call site: its model first answers one thing, then, once compiled and served, another. */
const PROBE = "smoke:drift_probe:v1";

/**
 * A small agent calling PROBE through the runtime (every served call shadow-checked): its model
 * acknowledges every ticket until the vault serves the bucket, then, like a model after an upgrade,
 * stops. The drift test must notice (TRIGGER:DRIFT), demote the entry and queue a recompile.
 */
function startProbeAgent(client: BackendClient, log: (line: string) => void): { stop: () => Promise<void> } {
  const runtime = createRuntime({ backend: client, shadowRate: 1, flushMs: 100, onError: (e) => log(`probe: ${printable(e.message)}`) });
  let upgraded = false;
  let stopped = false;
  const loop = (async () => {
    await runtime.ready();
    for (let i = 0; !stopped; i++) {
      if (!upgraded && runtime.serving().has(PROBE)) {
        upgraded = true;
        log(`probe: ${PROBE} is served now; its model changes its answer`);
      }
      const answer = { ack: !upgraded };
      await runtime.call(PROBE, { n: i, text: `ticket ${i}` }, async () => ({ output: answer, model: "gpt-4o-mini", tokensIn: 50, tokensOut: 3, latencyMs: 400 }));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop.catch(() => undefined);
      await runtime.close();
    },
  };
}

/** A port where nothing listens: the Tensorlake primary pointed there fails with ECONNREFUSED. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function firstSourceFile(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  const file = entries.find((e) => e.isFile() && e.name.endsWith(".ts"));
  if (!file) throw new Error(`no .ts file in ${dir} to touch`);
  return path.join(dir, file.name);
}

/** The smoke run itself (the `smoke` command, commands/smoke.ts, loads this module when it runs). */
export async function runSmoke(agentDir: string, timeoutMs: number, json: boolean): Promise<boolean> {
  const dir = await mkdtemp(path.join(tmpdir(), "compile-smoke-"));
  const agentCopy = path.join(dir, "agent");
  await cp(agentDir, agentCopy, { recursive: true });
  const port = await closedPort();
  const env: NodeJS.ProcessEnv = { ...process.env, TENSORLAKE_API_KEY: "smoke-unreachable", TENSORLAKE_API_URL: `http://127.0.0.1:${port}` };
  delete env.NIA_API_KEY;
  const started = Date.now();
  const seenAt = new Map<string, number>();
  const log = (line: string) => {
    if (!json) process.stderr.write(`smoke: ${line}\n`);
  };

  const client = await openBackend({ dbPath: path.join(dir, "state.db"), runCrons: true });
  const quiet = createLogger({ format: "ndjson", out: devNull(), err: process.stderr });
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  let touched = false;
  let probe: { stop: () => Promise<void> } | undefined;
  try {
    const seeded = await seedIfEmpty(client, agentCopy);
    log(`seeded ${seeded} traces into ${dir}/state.db; primary compute points at 127.0.0.1:${port} (nothing listens)`);
    await client.mutation(api.daemon.control.speed, { speedMs: 5 });
    daemon = await startDaemon({ client, agentDir: agentCopy, version: VERSION, logger: quiet, env, heartbeatMs: 500, codePollMs: 2000 });
    probe = startProbeAgent(client, log);

    let vaultCount = 0;
    const done = new Promise<boolean>((resolve) => {
      const check = () => {
        if (TRIGGERS.every((k) => seenAt.has(k)) && vaultCount > 0) resolve(true);
      };
      tailTriggers(
        client,
        (row) => {
          if (!seenAt.has(row.kind)) {
            seenAt.set(row.kind, Date.now() - started);
            log(`${printable(row.kind)} after ${Date.now() - started} ms${row.bucket ? ` (${printable(row.bucket)})` : ""}`);
          }
          check();
        },
        (e) => log(`error: ${printable(e.message)}`),
        { since: started },
      );
      client.onUpdate(api.daemon.vault.list, {}, (entries) => {
        vaultCount = entries.length;
        // Change the agent's code once the first compile landed: CODE_CHANGE must re-enqueue it.
        if (vaultCount > 0 && !touched) {
          touched = true;
          void firstSourceFile(agentCopy).then((f) => appendFile(f, `\n// smoke: touched at ${new Date().toISOString()}\n`));
        }
        check();
      });
      setTimeout(() => resolve(false), timeoutMs).unref();
    });
    const ok = await done;
    const vault = await client.query(api.daemon.vault.list, {});
    const rows = TRIGGERS.map((k) => ({ trigger: k, observed: seenAt.has(k) ? "yes" : "NO", afterMs: seenAt.get(k) ?? "" }));
    if (json) printJson({ ok, triggers: Object.fromEntries(TRIGGERS.map((k) => [k, seenAt.get(k) ?? null])), vault: vault.map((v) => ({ bucket: v.bucket, verdict: v.verdict })) });
    else {
      printTable(rows);
      // Any verdict counts: the smoke proves the triggers and the pipeline, not what the data compiles to.
      process.stdout.write(`\nvault entries: ${vault.length} (${vault.map((v) => printable(`${v.bucket} ${v.verdict}`)).join(", ")})\n`);
      process.stdout.write(`verdicts: ${VERDICTS.map((k) => `${vault.filter((v) => v.verdict === k).length} ${k}`).join(", ")}\n`);
      process.stdout.write(ok ? "smoke: OK\n" : `smoke: FAILED after ${timeoutMs} ms\n`);
    }
    return ok;
  } finally {
    await probe?.stop().catch(() => undefined);
    await daemon?.stop(2000).catch(() => undefined);
    await client.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function devNull(): NodeJS.WritableStream {
  return { write: () => true } as unknown as NodeJS.WritableStream;
}
