// The Node-version gate: below 22.19 the tensorlake package must not even be imported.
import { describe, expect, it, vi } from "vitest";
import { createComputeProvider, tensorlakeAvailable } from "../../../src/worker/compute/index.js";
import { CODE, createFixtureLocalRunner, EVAL_SCRIPT, INPUTS } from "./fixtures.js";

const state = vi.hoisted(() => ({ imports: 0 }));
vi.mock("tensorlake", () => {
  state.imports++;
  return { Sandbox: { create: () => Promise.reject(new Error("mocked sdk")) } };
});

describe("tensorlakeAvailable", () => {
  it("needs a key and Node >= 22.19", () => {
    const env = { TENSORLAKE_API_KEY: "k" };
    expect(tensorlakeAvailable(env, "22.18.0")).toBe(false);
    expect(tensorlakeAvailable(env, "v22.18.9")).toBe(false);
    expect(tensorlakeAvailable(env, "20.19.0")).toBe(false);
    expect(tensorlakeAvailable(env, "22.19.0")).toBe(true);
    expect(tensorlakeAvailable(env, "v24.1.0")).toBe(true);
    expect(tensorlakeAvailable({}, "24.1.0")).toBe(false);
    expect(tensorlakeAvailable({ TENSORLAKE_API_KEY: "  " }, "24.1.0")).toBe(false);
  });
});

describe("createComputeProvider on old Node", () => {
  it("runs locally and never imports tensorlake on 22.18.0", async () => {
    const local = createFixtureLocalRunner();
    const provider = await createComputeProvider(
      { TENSORLAKE_API_KEY: "k" },
      { local, evalScript: EVAL_SCRIPT, nodeVersion: "22.18.0", onRecovery: () => undefined },
    );
    expect(provider.current()).toBe("local");
    await provider.runner.run(CODE, INPUTS.slice(0, 20));
    expect(local.calls).toBe(1);
    expect(state.imports).toBe(0);
  });

  it("control: on 22.19.0 the package is imported on the first run (then fails over here)", async () => {
    const reasons: string[] = [];
    const provider = await createComputeProvider(
      { TENSORLAKE_API_KEY: "k" },
      { local: createFixtureLocalRunner(), evalScript: EVAL_SCRIPT, nodeVersion: "22.19.0", onRecovery: (r) => void reasons.push(r) },
    );
    expect(state.imports).toBe(0); // lazily: not at construction
    await provider.runner.run(CODE, INPUTS.slice(0, 20));
    expect(state.imports).toBe(1);
    expect(reasons).toEqual(["tensorlake create: mocked sdk"]);
  });
});
