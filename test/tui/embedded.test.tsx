import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { cleanup } from "ink-testing-library";
import { api } from "../../convex/_generated/api.js";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { renderApp, tick } from "./helpers.js";

// The console against the real convex/ functions on the embedded runtime: proves the panes read
// the contract's actual shapes and the keys drive real mutations through live subscriptions.
let dir: string;
let client: BackendClient;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tui-embedded-"));
  client = await openBackend({ dbPath: path.join(dir, "state.db"), convexUrl: "", runCrons: false, runScheduler: false });
});

afterEach(async () => {
  cleanup();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

const trace = (i: number) => ({
  bucket: "acme:classify_lead_tier:v1",
  input: { employees: i * 10 },
  output: { tier: i % 2 ? "smb" : "enterprise" },
  model: "gpt-4o-mini",
  latencyMs: 900,
  tokensIn: 120,
  tokensOut: 8,
});

async function waitFor(frame: () => string, text: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !frame().includes(text)) await tick(20);
  expect(frame()).toContain(text);
}

test("panes fill from real subscriptions; p pauses and R y resets through real mutations", async () => {
  await client.mutation(api.daemon.ingest.ingestBatch, { traces: Array.from({ length: 35 }, (_, i) => trace(i)) });

  const app = await renderApp({ client: client as never, columns: 120, rows: 32 });
  await waitFor(app.frame, "acme:classify_lead_tier:v1");
  const f = app.frame();
  // VOLUME fired at 30 and enqueued a job, so the bucket counts again from zero and shows it queued.
  expect(f).toMatch(/◌ acme:classify_lead_tier:v1\s+5\/30/);
  expect(f).toContain("Pipeline · 1 queued");
  await app.press("/", "v", "o", "l", "u", "m", "e", "\r");
  expect(app.frame()).toMatch(/▲ VOLUME\s+classify_lead_tier · /);
  expect(f).toContain("embedded");

  await app.press("p");
  await waitFor(app.frame, " PAUSED ");
  expect((await client.query(api.daemon.replay.state, {})).paused).toBe(true);

  await app.press("s");
  await waitFor(app.frame, " RUNNING ");

  await app.press("R", "y");
  // The buckets pane says "no traces yet" only once the bucket list is empty: no wait on time needed.
  await waitFor(app.frame, "no traces yet");
  expect(app.frame()).not.toContain("35/30");
});

test("+ + pressed back to back on the real backend compose: 1000 -> 500 -> 250, then - gives 500", async () => {
  const app = await renderApp({ client: client as never, columns: 120, rows: 32 });
  await waitFor(app.frame, " RUNNING ");
  // Both keys go out before either mutation has answered.
  app.stdin.write("+");
  app.stdin.write("+");
  await waitFor(app.frame, "✓ speed 250 ms per trace");
  expect((await client.query(api.daemon.replay.state, {})).speedMs).toBe(250);
  await app.press("-");
  await waitFor(app.frame, "✓ speed 500 ms per trace");
  expect((await client.query(api.daemon.replay.state, {})).speedMs).toBe(500);
});
