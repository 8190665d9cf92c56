import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { api } from "../../convex/_generated/api.js";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { createLocalStage2Runner } from "../../src/compiler/index.js";
import { JobLoop } from "../../src/worker/jobLoop.js";
import { loadSeed, readSeedFile } from "../../src/worker/seed.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
let client: BackendClient | undefined;
let loop: JobLoop | undefined;
afterEach(async () => {
  await loop?.stop(1000);
  await client?.close();
  client = loop = undefined;
});

const waitUntil = async (what: string, ok: () => Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

it("claims only while running: pause holds pending jobs back, start lets the loop take them", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "jobloop-"));
  const agent = path.join(dir, "agent");
  cpSync(path.join(ROOT, "data/acme-agent"), agent, { recursive: true });
  client = await openBackend({ dbPath: path.join(dir, "state.db"), convexUrl: "", runCrons: false, runScheduler: false });
  const c = client;
  await loadSeed(c, await readSeedFile(path.join(agent, "traces/seed.jsonl")));
  await c.mutation(api.daemon.control.pause, {});
  // 40 injected traces cross the threshold: VOLUME enqueues one job while paused.
  await c.mutation(api.daemon.control.inject, { bucket: "acme:route_ticket:v1", n: 40 });
  expect(await c.query(api.daemon.compiles.pending, {})).toHaveLength(1);

  const phases: string[] = [];
  loop = new JobLoop({
    client: c,
    owner: "test-owner",
    agentDir: agent,
    stage2: createLocalStage2Runner(),
    onJob: (e) => phases.push(e.phase),
    onError: (e) => phases.push(`error: ${e.message}`),
  });
  loop.start();
  await new Promise((r) => setTimeout(r, 500));
  expect(phases).toEqual([]);
  expect(await c.query(api.daemon.compiles.pending, {})).toHaveLength(1);

  await c.mutation(api.daemon.control.start, {});
  await waitUntil("the job to finish", async () => (await c.query(api.daemon.vault.list, {})).length === 1);
  expect(phases.filter((p) => p === "claimed")).toHaveLength(1);
  expect(phases).toContain("done");
  const [entry] = await c.query(api.daemon.vault.list, {});
  expect(entry.bucket).toBe("acme:route_ticket:v1");
  expect(entry.code).toContain("export default function compiled");
  const steps = (await c.query(api.daemon.triggers.recent, { limit: 100 })).filter((r) => r.kind === "STEP").map((r) => r.detail);
  for (const stage of ["scan", "synthesize", "stage2", "gate", "envelope"]) expect(steps.some((d) => d.startsWith(stage))).toBe(true);
});
