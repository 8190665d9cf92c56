import { afterAll, describe, expect, it } from "vitest";
import { closeSandboxes, compileBucket, wilsonLowerBound } from "../../src/compiler/index.js";
import { constantMajority, learnableRule, randomLabels } from "./datasets.js";

afterAll(() => closeSandboxes());

describe("the gate on data the Acme generator did not make", () => {
  it("rejects random labels, with the oracle reason and the baseline beside it", async () => {
    const traces = randomLabels(300);
    const result = await compileBucket(traces, { bucket: "test:random:v1", llm: false });
    expect(result.verdict).toBe("rejected");
    expect(result.scores.oracle).toBeLessThan(0.6);
    expect(result.reasons.join(" ")).toMatch(/^oracle .* < 0\.9.*constant baseline gets/);
    expect(result.nTrain + result.nHoldout).toBe(300);
  });

  it("accepts a learnable rule with 5 % label noise", async () => {
    const traces = learnableRule(400, 0.05);
    const result = await compileBucket(traces, { bucket: "test:approve:v1", llm: false });
    expect(result.verdict, result.reasons.join("; ")).toBe("compiled");
    expect(result.scores.oracle).toBeGreaterThanOrEqual(0.9);
    expect(result.scores.schema).toBe(1);
    expect(result.scores.det).toBe(1);
    expect(result.family).toBe("decision_tree");
    expect(result.code).toMatch(/input\.score >= 60/);
    expect(result.code).toMatch(/input\.plan === "free"/);
  });

  it("reports a constant-majority bucket with its baseline", async () => {
    const traces = constantMajority(300, 0.97);
    const result = await compileBucket(traces, { bucket: "test:constant:v1", llm: false });
    expect(result.family).toBe("constant");
    expect(result.baseline).toBeGreaterThan(0.9);
    // The constant function is the baseline: it cannot beat it, and the report says so.
    expect(result.scores.oracle).toBe(result.baseline);
    expect(result.verdict).toBe("compiled");
    expect(result.code).toMatch(/return \{ ok: ok\(input\) \};/);
  });

  it("takes its thresholds from options", async () => {
    const traces = learnableRule(300, 0.05);
    const strict = await compileBucket(traces, { bucket: "test:approve:v1", llm: false, gate: { oracle: 0.999 } });
    expect(strict.verdict).toBe("rejected");
    expect(strict.reasons).toHaveLength(1);
    expect(strict.reasons[0]).toMatch(/^oracle .* < 0\.999/);
  });

  it("rejects a bucket with too few traces, saying so", async () => {
    const result = await compileBucket(learnableRule(6, 0), { bucket: "test:approve:v1", llm: false });
    expect(result.verdict).toBe("rejected");
    expect(result.reasons[0]).toMatch(/only 6 traces/);
  });

  it("computes the Wilson lower bound", () => {
    expect(wilsonLowerBound(20, 20)).toBeCloseTo(0.839, 3);
    expect(wilsonLowerBound(0, 0)).toBe(0);
    expect(wilsonLowerBound(90, 100)).toBeCloseTo(0.826, 3);
  });

  it("reports stage-2 progress up to 1000 and the stages in order", async () => {
    const stages: string[] = [];
    let last = 0;
    await compileBucket(learnableRule(100, 0), {
      bucket: "test:approve:v1",
      llm: false,
      onStage: (stage, progress) => {
        if (stages.at(-1) !== stage) stages.push(stage);
        if (stage === "stage2" && progress !== undefined) last = progress;
      },
    });
    expect(stages).toEqual(["synthesize", "stage2", "gate"]);
    expect(last).toBe(1);
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(compileBucket(learnableRule(100, 0), { bucket: "test:approve:v1", llm: false, signal: controller.signal })).rejects.toThrow();
  });
});
