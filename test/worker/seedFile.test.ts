import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { api } from "../../convex/_generated/api.js";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { checkSeedFile, loadSeedFile, SeedFileError } from "../../src/worker/seed.js";
import { tracesOf } from "./legacyState.js";

/**
 * seed --file reads its file twice (check, then load) so memory stays bounded: what the second pass
 * writes is what the first pass checked, batch by batch, or it stops before the first changed batch.
 */
const dirs: string[] = [];
let client: BackendClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(): { dir: string; file: string; lines: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), "seed-file-"));
  dirs.push(dir);
  const lines = tracesOf("acme:route_ticket:v1", 1200).map((t) => JSON.stringify(t));
  const file = path.join(dir, "traces.jsonl");
  writeFileSync(file, lines.join("\n"));
  return { dir, file, lines };
}

it("loads exactly what the first pass checked, in batches of at most 500", async () => {
  const { dir, file } = setup();
  const plan = await checkSeedFile(file);
  expect(plan).toMatchObject({ traces: 1200 });
  expect(plan.batches).toHaveLength(3);
  const c = (client = await openBackend({ dbPath: path.join(dir, "state.db"), convexUrl: "", runCrons: false, runScheduler: false }));
  expect(await loadSeedFile(c, plan)).toEqual({ inserted: 1200, skipped: 0, total: 1200 });
  // idempotent: the same file again adds nothing
  expect(await loadSeedFile(c, await checkSeedFile(file))).toEqual({ inserted: 0, skipped: 1200, total: 1200 });
});

it("a file changed between the passes stops the load before the first changed batch", async () => {
  const { dir, file, lines } = setup();
  const plan = await checkSeedFile(file);
  const c = (client = await openBackend({ dbPath: path.join(dir, "state.db"), convexUrl: "", runCrons: false, runScheduler: false }));
  const changed = [...lines];
  changed[700] = JSON.stringify({ ...JSON.parse(lines[700]), latencyMs: 1 });
  writeFileSync(file, changed.join("\n"));
  await expect(loadSeedFile(c, plan)).rejects.toThrow(new SeedFileError(`${file} changed while it was being loaded: stopped after 500 new traces; run seed again (traces already loaded are not added twice)`));
  expect((await c.query(api.daemon.replay.state, {})).total).toBe(500);

  changed[700] = "null";
  writeFileSync(file, changed.join("\n"));
  await expect(loadSeedFile(c, await checkSeedFile(file).catch(() => plan))).rejects.toThrow(/line 701 is no longer a trace/);
  expect((await c.query(api.daemon.replay.state, {})).total).toBe(500);
});
