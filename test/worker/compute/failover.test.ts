import { describe, expect, it } from "vitest";
import { createFailoverStage2Runner } from "../../../src/worker/compute/failover.js";
import type { ComputeName, Stage2Output, Stage2Runner } from "../../../src/worker/compute/types.js";

const output = (tag: string): Stage2Output => ({ outputs: [tag], secondOutputs: [tag], abstained: [], secondAbstained: [], errors: 0, failed: [] });

/** A runner whose next results are scripted: "ok" or an error message. */
function scripted(name: string, script: string[]): Stage2Runner & { calls: number } {
  const r = {
    name,
    calls: 0,
    async run(): Promise<Stage2Output> {
      const next = script[r.calls++] ?? "ok";
      if (next !== "ok") throw new Error(next);
      return output(name);
    },
  };
  return r;
}

function setup(primaryScript: string[], coolDownMs = 30_000) {
  let clock = 0;
  const primary = scripted("tensorlake", primaryScript);
  const fallback = scripted("local", []);
  const reasons: string[] = [];
  const computes: ComputeName[] = [];
  const runner = createFailoverStage2Runner({
    primary,
    fallback,
    onRecovery: (r) => void reasons.push(r),
    onComputeChange: (n) => computes.push(n),
    coolDownMs,
    now: () => clock,
  });
  return { runner, primary, fallback, reasons, computes, advance: (ms: number) => (clock += ms) };
}

describe("failover runner", () => {
  it("uses the primary while it works", async () => {
    const t = setup([]);
    expect(await t.runner.run("c", [1])).toEqual(output("tensorlake"));
    expect(t.runner.compute).toBe("tensorlake");
    expect(t.fallback.calls).toBe(0);
    expect(t.computes).toEqual([]);
  });

  it("skips the primary during the cool-down, retries it after, and reports it back when it works", async () => {
    const t = setup(["tensorlake create: HTTP 500 boom"]);
    expect(await t.runner.run("c", [1])).toEqual(output("local"));
    expect(t.reasons).toEqual(["tensorlake create: HTTP 500 boom"]);
    expect(t.runner.compute).toBe("local");

    t.advance(29_999);
    expect(await t.runner.run("c", [1])).toEqual(output("local"));
    expect(t.primary.calls).toBe(1); // not retried inside the cool-down
    expect(t.reasons).toHaveLength(1); // and no new RECOVERY row for it

    t.advance(1);
    expect(await t.runner.run("c", [1])).toEqual(output("tensorlake"));
    expect(t.primary.calls).toBe(2);
    expect(t.runner.compute).toBe("tensorlake");
    expect(t.computes).toEqual(["local", "tensorlake"]);
  });

  it("writes one reason per failed primary attempt", async () => {
    const t = setup(["first", "second"], 0);
    await t.runner.run("c", [1]);
    await t.runner.run("c", [1]);
    expect(t.reasons).toEqual(["first", "second"]);
    expect(t.computes).toEqual(["local"]);
  });

  it("still does the work when recording the recovery fails", async () => {
    const fallback = scripted("local", []);
    const runner = createFailoverStage2Runner({
      primary: scripted("tensorlake", ["down"]),
      fallback,
      onRecovery: () => Promise.reject(new Error("backend offline")),
    });
    expect(await runner.run("c", [1])).toEqual(output("local"));
  });

  it("propagates a failure of the fallback itself", async () => {
    const runner = createFailoverStage2Runner({
      primary: scripted("tensorlake", ["down"]),
      fallback: scripted("local", ["local broke"]),
      onRecovery: () => undefined,
    });
    await expect(runner.run("c", [1])).rejects.toThrow("local broke");
  });

  it("without a primary it is the fallback", async () => {
    const runner = createFailoverStage2Runner({ fallback: scripted("local", []), onRecovery: () => undefined });
    expect(runner.compute).toBe("local");
    expect(await runner.run("c", [1])).toEqual(output("local"));
  });
});
