import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { codeHash } from "../../src/compiler/codeCheck.js";
import { api } from "../../src/contract/api.js";
import { createRuntime, type Runtime } from "../../src/runtime/index.js";
import type { ModelReply } from "../../src/runtime/types.js";
import { createAgent } from "../../data/acme-agent/src/agent.js";
import { throughRuntime } from "../../data/acme-agent/src/throughRuntime.js";
import { AB_LOOKUP, compiledEntry, writeVaultEntry } from "../helpers/vaultEntry.js";

/**
 * The runtime against the real embedded backend: vault entries written through the job queue as
 * the pipeline writes them, calls served or deferred, traces recorded before a deferred call
 * returns, shadow checks demoting a drifting entry.
 */
const LOOKUP = AB_LOOKUP;
const THROWS = "export default function compiled(input) {\n  return input.deep.k === 1 ? 1 : undefined;\n}\n";

let dir: string;
let backend: BackendClient;
let runtime: Runtime | undefined;
let errors: string[];

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "runtime-"));
  backend = await openBackend({ dbPath: path.join(dir, "state.db"), convexUrl: "", runCrons: false, runScheduler: false });
  errors = [];
});

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Writes a vault entry for `bucket` the way the pipeline does: enqueue, claim, complete. */
async function putEntry(bucket: string, code: string, overrides: Record<string, unknown> = {}): Promise<string> {
  await writeVaultEntry(backend, bucket, "initial", compiledEntry(code, overrides));
  const vault = await backend.query(api.daemon.vault.list, {});
  return String(vault.find((e) => e.bucket === bucket)!._id);
}

/** A model that answers `answer(input)` and counts its calls. */
function model(answer: (input: unknown) => unknown) {
  const calls: unknown[] = [];
  return {
    calls,
    for: (input: unknown) => async (): Promise<ModelReply> => {
      calls.push(input);
      return { output: answer(input), model: "gpt-4o-mini-2024-07-18", tokensIn: 120, tokensOut: 6, latencyMs: 800 };
    },
  };
}

const start = async (options: { shadowRate?: number } = {}) => {
  runtime = createRuntime({ backend, shadowRate: options.shadowRate ?? 0, flushMs: 50, onError: (e) => errors.push(e.message) });
  await runtime.ready();
  return runtime;
};

const runtimeTraces = async (bucket: string) => (await backend.query(api.daemon.ingest.traces, { bucket, limit: 5000 })).filter((t) => t.source === "runtime");

describe("the agent runtime", () => {
  it("serves what the function answers, asks the model when it abstains, and records that call before returning", async () => {
    await putEntry("acme:country:v1", LOOKUP);
    const rt = await start();
    const m = model(() => ({ code: "ZZ" }));
    expect(await rt.callDetailed("acme:country:v1", { k: "a" }, m.for({ k: "a" }))).toMatchObject({ output: { code: "A" }, source: "served" });
    expect(m.calls).toEqual([]);
    expect(await rt.callDetailed("acme:country:v1", { k: "zz" }, m.for({ k: "zz" }))).toMatchObject({ output: { code: "ZZ" }, source: "deferred" });
    expect(m.calls).toEqual([{ k: "zz" }]);
    // Durable before the call returned: no wait here.
    const traces = await runtimeTraces("acme:country:v1");
    expect(traces.map((t) => [t.input, t.output, t.model, t.tokensIn])).toEqual([[{ k: "zz" }, { code: "ZZ" }, "gpt-4o-mini-2024-07-18", 120]]);
    // A bucket with no entry goes to the model.
    expect(await rt.call("acme:other:v1", { k: "a" }, m.for({ k: "a" }))).toEqual({ code: "ZZ" });
  });

  it("the example agent's call sites go through it: the vault answers one call of qualifyLead, the model the other", async () => {
    const COUNTRY = [
      "const TABLE = { 'united kingdom': 'GB', 'deutschland': 'DE' };",
      "export default function compiled(input) {",
      "  const key = String(input.country).trim().toLowerCase();",
      "  if (!Object.hasOwn(TABLE, key)) return undefined;",
      "  return { code: TABLE[key] };",
      "}",
      "",
    ].join("\n");
    await putEntry("acme:normalize_country:v1", COUNTRY);
    const rt = await start();
    const asked: string[] = [];
    const agent = createAgent(
      throughRuntime(rt, async ({ bucket }) => {
        asked.push(bucket);
        return bucket === "acme:classify_lead_tier:v1" ? { tier: "B" } : { code: "XX" };
      }),
    );
    const lead = { company: "Initech", title: "CTO", employees: 120, budgetUsd: 20_000, industry: "software" as const, region: "EMEA" as const };
    expect(await agent.qualifyLead({ ...lead, countryText: " United Kingdom " })).toMatchObject({ countryCode: "GB", tier: "B" });
    expect(asked).toEqual(["acme:classify_lead_tier:v1"]);
    expect(await agent.qualifyLead({ ...lead, countryText: "Atlantis" })).toMatchObject({ countryCode: "XX" });
    expect([...asked].sort()).toEqual(["acme:classify_lead_tier:v1", "acme:classify_lead_tier:v1", "acme:normalize_country:v1"]);
  });

  it("counts served and deferred calls per bucket and window", async () => {
    await putEntry("acme:country:v1", LOOKUP);
    const rt = await start();
    const m = model(() => "x");
    for (let i = 0; i < 30; i++) await rt.call("acme:country:v1", { k: i % 3 === 0 ? "q" : "a" }, m.for({}));
    await rt.flush();
    const rows = await backend.query(api.daemon.runtime.usage, {});
    const sum = (f: "served" | "deferred") => rows.filter((r) => r.bucket === "acme:country:v1").reduce((n, r) => n + r[f], 0);
    expect([sum("served"), sum("deferred")], errors.join("\n")).toEqual([20, 10]);
  });

  it("never serves code that does not match its hash or fails the code check, and says why", async () => {
    await putEntry("acme:tampered:v1", LOOKUP, { code: LOOKUP.replace("'A'", "'HACKED'") });
    const hostile = `${LOOKUP}const X = (() => { globalThis.pwned = 1; })();\n`;
    await putEntry("acme:hostile:v1", hostile, { codeHash: codeHash(hostile) });
    const rt = await start();
    expect([...rt.serving().keys()]).toEqual([]);
    const m = model(() => ({ code: "M" }));
    expect(await rt.call("acme:tampered:v1", { k: "a" }, m.for({}))).toEqual({ code: "M" });
    expect(await rt.call("acme:hostile:v1", { k: "a" }, m.for({}))).toEqual({ code: "M" });
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
    expect(errors.join("\n")).toMatch(/acme:tampered:v1.*does not match its stored hash/);
    expect(errors.join("\n")).toMatch(/acme:hostile:v1.*fails the code check/);
  });

  it("a function that throws counts as an abstention and is reported", async () => {
    await putEntry("acme:throws:v1", THROWS);
    const rt = await start();
    const m = model(() => 7);
    expect(await rt.callDetailed("acme:throws:v1", { other: 1 }, m.for({}))).toMatchObject({ output: 7, source: "deferred" });
    expect(errors.join("\n")).toMatch(/acme:throws:v1 .* threw, asking the model/);
  });

  it("picks up a new vault entry by subscription, without a restart", async () => {
    const rt = await start();
    expect(rt.serving().size).toBe(0);
    const id = await putEntry("acme:country:v1", LOOKUP);
    await waitUntil("the runtime to serve the new entry", () => rt.serving().get("acme:country:v1") === id);
    const m = model(() => null);
    expect(await rt.callDetailed("acme:country:v1", { k: "b" }, m.for({}))).toMatchObject({ output: { code: "B" }, source: "served", entryId: id });
  });

  it("shadow checks a served call after answering; a drifting entry is demoted, stops being served, and a DRIFT recompile is queued", async () => {
    const id = await putEntry("acme:country:v1", LOOKUP);
    const rt = await start({ shadowRate: 1 });
    // At first the model agrees with the compiled function: checks pass, their calls become traces.
    const agreeing = model((input) => ({ code: (input as { k: string }).k.toUpperCase() }));
    for (let i = 0; i < 12; i++) {
      const input = { k: i % 2 ? "a" : "b", i };
      expect((await rt.callDetailed("acme:country:v1", input, agreeing.for(input))).source).toBe("served");
    }
    await waitUntil("the agreeing checks to be recorded", async () => (await runtimeTraces("acme:country:v1")).length === 12);
    await rt.flush();
    // Then the model says something else for every input: the compiled answers have gone stale.
    const m = model((input) => ({ code: `new-${(input as { k: string }).k}` }));
    let served = 0;
    for (let i = 0; i < 40 && rt.serving().has("acme:country:v1"); i++) {
      const input = { k: i % 2 ? "a" : "b", i };
      const r = await rt.callDetailed("acme:country:v1", input, m.for(input));
      if (r.source === "served") served++;
      await rt.flush();
    }
    await waitUntil("the entry to be demoted", async () => !rt.serving().has("acme:country:v1"));
    expect(served).toBeGreaterThanOrEqual(9); // the drift test needs at least 9 disagreements
    const entry = (await backend.query(api.daemon.vault.list, {})).find((e) => String(e._id) === id)!;
    expect(entry.status).toBe("demoted");
    expect(entry.demotion?.evidence).toMatch(/CUSUM/);
    const drift = (await backend.query(api.daemon.triggers.recent, { limit: 500 })).filter((t) => t.kind === "TRIGGER:DRIFT");
    expect(drift).toHaveLength(1);
    expect((await backend.query(api.daemon.compiles.pending, {})).map((j) => j.reason)).toContain("DRIFT");
    // Shadow-checked calls were answered by the model, so they are traces the recompile learns from.
    await rt.flush();
    expect((await runtimeTraces("acme:country:v1")).length).toBeGreaterThanOrEqual(served);
    // The recompile learns from the traces since the drift began, not the agreeing ones before it.
    const job = await backend.mutation(api.daemon.compiles.claim, { owner: "test", leaseMs: 30_000 });
    expect(job?.reason).toBe("DRIFT");
    expect(job?.trainFromSeq).toBeGreaterThanOrEqual(12);
    const learnable = await backend.query(api.daemon.ingest.traces, { bucket: "acme:country:v1", fromSeq: job!.trainFromSeq });
    expect(learnable.length).toBeGreaterThanOrEqual(9);
    expect(learnable.every((t) => String((t.output as { code: string }).code).startsWith("new-"))).toBe(true);
    // Served no more: the next call goes to the model.
    const after = await rt.callDetailed("acme:country:v1", { k: "a" }, m.for({ k: "a" }));
    expect(after.source).toBe("deferred");
  });

  it("a backend outage delays traces, never drops them: the calls return, the traces wait in memory and land once it is back", async () => {
    let down = true;
    const flaky: BackendClient = Object.create(backend, {
      mutation: {
        value: (ref: Parameters<BackendClient["mutation"]>[0], args: never) =>
          down ? Promise.reject(new Error("connection refused")) : backend.mutation(ref, args),
      },
    });
    runtime = createRuntime({ backend: flaky, shadowRate: 0, flushMs: 50, onError: (e) => errors.push(e.message) });
    await runtime.ready();
    const rt = runtime;
    const m = model((input) => ({ echo: input }));
    // Each call returns its answer even though nothing could be recorded (after the retries).
    const answers = await Promise.all([1, 2, 3].map((i) => rt.call("acme:outage:v1", { i }, m.for({ i }))));
    expect(answers).toEqual([1, 2, 3].map((i) => ({ echo: { i } })));
    expect(errors.join("\n")).toMatch(/could not record a report \(connection refused\).*kept in memory and retried/);
    expect(await runtimeTraces("acme:outage:v1")).toEqual([]);
    // A call made during the outage waits its turn behind them, and is answered too.
    expect(await rt.call("acme:outage:v1", { i: 4 }, m.for({ i: 4 }))).toEqual({ echo: { i: 4 } });
    down = false;
    await waitUntil("the queued traces to land", async () => (await runtimeTraces("acme:outage:v1")).length === 4);
    const traces = await runtimeTraces("acme:outage:v1");
    expect(traces.map((t) => (t.input as { i: number }).i).sort()).toEqual([1, 2, 3, 4]);
    // Counted once each, with the traces they count.
    await rt.flush();
    const rows = (await backend.query(api.daemon.runtime.usage, {})).filter((r) => r.bucket === "acme:outage:v1");
    expect(rows.reduce((n, r) => n + r.deferred, 0)).toBe(4);
  });

  it("records thousands of concurrent deferred calls in a few transactions, every one", async () => {
    const rt = await start();
    let reports = 0;
    const counting: BackendClient = Object.create(backend, {
      mutation: {
        value: (ref: Parameters<BackendClient["mutation"]>[0], args: never) => {
          reports++;
          return backend.mutation(ref, args);
        },
      },
    });
    await rt.close();
    runtime = createRuntime({ backend: counting, shadowRate: 0, flushMs: 50 });
    await runtime.ready();
    const rt2 = runtime;
    const m = model((input) => input);
    const n = 3000;
    await Promise.all(Array.from({ length: n }, (_, i) => rt2.call("acme:bulk:v1", { i }, m.for({ i }))));
    expect(await runtimeTraces("acme:bulk:v1")).toHaveLength(n);
    expect(reports).toBeLessThan(n / 100);
  });
});
