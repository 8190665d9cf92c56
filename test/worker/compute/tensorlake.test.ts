// The real tensorlake package (native client included) against a local stub of the sandbox
// HTTP contract; see tensorlakeStub.ts for the endpoints.

import { afterEach, describe, expect, it, vi } from "vitest";
import { createFailoverStage2Runner } from "../../../src/worker/compute/failover.js";
import { createComputeProvider } from "../../../src/worker/compute/index.js";
import { createTensorlakeStage2Runner } from "../../../src/worker/compute/tensorlake.js";
import type { ComputeName, Stage2Output } from "../../../src/worker/compute/types.js";
import { CODE, createFixtureLocalRunner, EVAL_SCRIPT, INPUTS } from "./fixtures.js";
import { deadPort, startTensorlakeStub, type StubFailure, type TensorlakeStub } from "./tensorlakeStub.js";

let stub: TensorlakeStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

const tensorlake = (apiUrl: string, timeouts = { callTimeoutMs: 5_000, runTimeoutMs: 10_000 }) =>
  createTensorlakeStage2Runner({ apiKey: "test-key", apiUrl, evalScript: EVAL_SCRIPT, ...timeouts });

let expected: Stage2Output | undefined;
async function localResult(): Promise<Stage2Output> {
  expected ??= await createFixtureLocalRunner().run(CODE, INPUTS);
  return expected;
}

describe("tensorlake stage-2 runner", () => {
  it("fans 1000 inputs out to 4 sandboxes and returns what the local runner returns", async () => {
    stub = await startTensorlakeStub();
    const progress: number[] = [];
    const out = await tensorlake(stub.url).run(CODE, INPUTS, (done) => progress.push(done));

    expect(out).toEqual(await localResult());
    expect(out.outputs).toHaveLength(1000);
    expect(out.errors).toBeGreaterThan(0); // the failing branch ran remotely and was merged
    expect(out.secondOutputs).not.toEqual(out.outputs); // stateful code: the shuffled pass matched too
    expect(progress.sort((a, b) => a - b)).toEqual([250, 500, 750, 1000]);
    expect(stub.created).toHaveLength(4);
    expect([...stub.terminated].sort()).toEqual([...stub.created].sort());
    expect(stub.requests).toEqual(
      expect.arrayContaining([
        "POST /v1/namespaces/default/sandboxes",
        "PUT /api/v1/files",
        "POST /api/v1/processes/run",
        "DELETE /v1/namespaces/default/sandboxes/sbx-1",
      ]),
    );
  });

  it("terminates the sandbox even when the run fails", async () => {
    stub = await startTensorlakeStub({ fail: { on: "run", status: 500 } });
    await expect(tensorlake(stub.url).run(CODE, INPUTS.slice(0, 10))).rejects.toThrow("tensorlake run: HTTP 500");
    expect(stub.created.length).toBeGreaterThan(0);
    // Sibling chunks clean up in the background after the first failure.
    await vi.waitFor(() => expect([...stub!.terminated].sort()).toEqual([...stub!.created].sort()), { timeout: 5_000 });
  });
});

type Case = { name: string; fail?: StubFailure; refused?: boolean; reason: RegExp };
const failures: Case[] = [
  { name: "HTTP 500 on create", fail: { on: "create", status: 500 }, reason: /^tensorlake create: HTTP 500/ },
  { name: "HTTP 429 on create", fail: { on: "create", status: 429 }, reason: /^tensorlake create: HTTP 429/ },
  // 500, not 503: the SDK's proxy client retries 502/503/504 itself (six attempts in ~4.7 s).
  { name: "HTTP 500 on file write", fail: { on: "write", status: 500 }, reason: /^tensorlake write: HTTP 500/ },
  { name: "connection refused", refused: true, reason: /^tensorlake create: connection refused \(127\.0\.0\.1:\d+\)$/ },
  { name: "a create that hangs past the timeout", fail: { on: "create", hang: true }, reason: /^tensorlake create: create timed out after 1000 ms$/ },
  // Our timeout and the SDK's own request timeout race on a loaded machine: either names the run step.
  { name: "a run that hangs past the timeout", fail: { on: "run", hang: true }, reason: /^tensorlake run: (run timed out after 1500 ms$|connection failed)/ },
  { name: "bad output", fail: { on: "run", badOutput: true }, reason: /^tensorlake output: bad JSON/ },
];

describe("failover from tensorlake to local", () => {
  for (const c of failures) {
    it(`${c.name}: local runner does the work, one RECOVERY reason`, async () => {
      const apiUrl = c.refused ? `http://127.0.0.1:${await deadPort()}` : (stub = await startTensorlakeStub(c.fail ? { fail: c.fail } : {})).url;
      const local = createFixtureLocalRunner();
      const reasons: string[] = [];
      const computes: ComputeName[] = [];
      const runner = createFailoverStage2Runner({
        // Only the hang cases race a short run timeout; elsewhere a slow spawn on a loaded machine
        // must reach the failure under test (bad output), not time out first.
        primary: tensorlake(apiUrl, { callTimeoutMs: 1_000, runTimeoutMs: c.fail?.hang ? 1_500 : 30_000 }),
        fallback: local,
        onRecovery: (r) => void reasons.push(r),
        onComputeChange: (n) => computes.push(n),
      });
      expect(runner.compute).toBe("tensorlake");

      const out = await runner.run(CODE, INPUTS);
      expect(out).toEqual(await localResult());
      expect(local.calls).toBe(1);
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(c.reason);
      expect(reasons[0]).not.toContain("\n");
      expect(runner.compute).toBe("local");
      expect(computes).toEqual(["local"]);
    });
  }
});

describe("createComputeProvider", () => {
  it("uses tensorlake from the environment and reports its name", async () => {
    stub = await startTensorlakeStub();
    const reasons: string[] = [];
    const provider = await createComputeProvider(
      { TENSORLAKE_API_KEY: "test-key", TENSORLAKE_API_URL: stub.url },
      { local: createFixtureLocalRunner(), evalScript: EVAL_SCRIPT, onRecovery: (r) => void reasons.push(r) },
    );
    expect(provider.current()).toBe("tensorlake");
    expect(await provider.runner.run(CODE, INPUTS)).toEqual(await localResult());
    expect(stub.created.length).toBeGreaterThan(0);
    expect(reasons).toEqual([]);
  });

  it("defaults to the compiler's local runner and evaluation script", async () => {
    const provider = await createComputeProvider({}, { onRecovery: () => undefined });
    expect(provider.current()).toBe("local");
    expect(await provider.runner.run(CODE, INPUTS)).toEqual(await localResult());
  });

  it("is plain local without a key", async () => {
    const local = createFixtureLocalRunner();
    const provider = await createComputeProvider({}, { local, evalScript: EVAL_SCRIPT, onRecovery: () => undefined });
    expect(provider.current()).toBe("local");
    await provider.runner.run(CODE, INPUTS.slice(0, 5));
    expect(local.calls).toBe(1);
  });
});
