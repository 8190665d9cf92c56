import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { api } from "../../src/contract/api.js";
import { createRuntime, type Runtime } from "../../src/runtime/index.js";
import { ReplayAgent } from "../../src/worker/replayAgent.js";
import { loadSeed, seedTrace } from "../../src/worker/seed.js";
import { AB_LOOKUP, compiledEntry, writeVaultEntry } from "../helpers/vaultEntry.js";

/**
 * The daemon's replay as an agent, on the real embedded backend: each seed is a call through the
 * runtime with its recorded answer standing in for the model, and every served call is checked
 * against that answer for free, so a recording whose answers change demotes the entry.
 */
const BUCKET = "acme:country:v1";
let dir: string;
let backend: BackendClient;
let runtime: Runtime | undefined;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "replay-agent-"));
  backend = await openBackend({ dbPath: path.join(dir, "state.db"), convexUrl: "", runCrons: false, runScheduler: false });
});

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

const seed = (k: string, code: string, i: number) => ({
  bucket: BUCKET,
  input: { k, i },
  output: { code },
  model: "gpt-4o-mini-2024-07-18",
  latencyMs: 700,
  tokensIn: 90,
  tokensOut: 5,
  ts: Date.UTC(2026, 10, 30, 9, 0, i),
});

it("replays every seed through the runtime: served calls are checked against the recording, every call keeps its trace, and changed answers demote the entry", async () => {
  const { sha } = await backend.query(api.daemon.control.codeState, {});
  await writeVaultEntry(backend, BUCKET, sha, compiledEntry(AB_LOOKUP));
  // 20 calls the function answers as recorded, 5 it abstains on, then 30 whose recorded answers changed.
  const seeds = [
    ...Array.from({ length: 20 }, (_, i) => seed(i % 2 ? "a" : "b", i % 2 ? "A" : "B", i)),
    ...Array.from({ length: 5 }, (_, i) => seed("zz", "ZZ", 20 + i)),
    ...Array.from({ length: 30 }, (_, i) => seed(i % 2 ? "a" : "b", i % 2 ? "new-a" : "new-b", 25 + i)),
  ];
  await loadSeed(backend, seeds.map(seedTrace));
  await backend.mutation(api.daemon.control.speed, { speedMs: 1 });

  runtime = createRuntime({ backend, shadowRate: 0.5, flushMs: 20 });
  await runtime.ready();
  const errors: string[] = [];
  const agent = new ReplayAgent({ client: backend, runtime, owner: "test", onError: (e) => errors.push(e.message) });
  for (let guard = 0; guard < 10_000; guard++) {
    const state = await backend.query(api.daemon.replay.state, {});
    if (state.position >= seeds.length) break;
    await agent.step();
    await runtime.flush();
  }
  await runtime.flush();
  expect(errors).toEqual([]);

  // Every call keeps its trace, exactly once: the recording holds a model answer for each.
  const traces = await backend.query(api.daemon.ingest.traces, { bucket: BUCKET, limit: 1000 });
  expect(traces.map((t) => (t.input as { i: number }).i).sort((a, b) => a - b)).toEqual(seeds.map((s) => s.input.i));
  expect(traces.every((t) => t.source === "replay")).toBe(true);

  // The entry was demoted by the free checks once the recorded answers changed, and only then.
  const vault = await backend.query(api.daemon.vault.list, {});
  const demoted = vault.find((e) => e.bucket === BUCKET)!;
  expect(demoted.status).toBe("demoted");
  expect(demoted.drift).toMatchObject({ demoted: true });
  expect(demoted.drift!.disagree).toBeGreaterThanOrEqual(9);
  expect(demoted.drift!.n - demoted.drift!.disagree).toBe(20); // the 20 agreeing served calls
  const triggers = await backend.query(api.daemon.triggers.recent, { limit: 500 });
  expect(triggers.filter((t) => t.kind === "TRIGGER:DRIFT")).toHaveLength(1);

  // Checked calls stay savings: served, none shadowed (no model was asked); the abstentions and the
  // calls after the demotion were deferred.
  const usage = (await backend.query(api.daemon.runtime.usage, {})).filter((r) => r.bucket === BUCKET);
  const sum = (f: "served" | "deferred" | "shadowed") => usage.reduce((n, r) => n + r[f], 0);
  expect(sum("shadowed")).toBe(0);
  // Every served call was checked against its recording; the 20 before the change agreed.
  const checkedSum = (f: "checked" | "checkAgree") => usage.reduce((n, r) => n + (r[f] ?? 0), 0);
  expect(checkedSum("checked")).toBe(sum("served"));
  expect(checkedSum("checkAgree")).toBe(20);
  // Served: the 20 agreeing calls, the disagreeing ones up to the demotion and whatever the batch in
  // flight served before the demotion reached the runtime (how many depends on batch sizes). After
  // it, nothing more is served.
  expect(sum("served")).toBeGreaterThanOrEqual(20 + demoted.drift!.disagree);
  expect(runtime.serving().has(BUCKET)).toBe(false);
  expect(sum("served") + sum("deferred")).toBe(seeds.length);
  expect(sum("deferred")).toBeGreaterThanOrEqual(5); // the abstentions
  const scheduled = triggers.filter((t) => t.kind === "TRIGGER:SCHEDULE").map((t) => Number(/(\d+) served/.exec(t.detail)?.[1] ?? NaN));
  expect(scheduled.reduce((a, b) => a + b, 0)).toBe(sum("served"));
});
