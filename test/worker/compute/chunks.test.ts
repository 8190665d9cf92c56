import { describe, expect, it } from "vitest";
import { checkStage2Output, mergeStage2Outputs, sliceBySize } from "../../../src/worker/compute/chunks.js";

describe("chunks", () => {
  it("slices in order by size, like the local runner", () => {
    expect(sliceBySize([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(sliceBySize([], 250)).toEqual([]);
    expect(sliceBySize(Array.from({ length: 1000 }, (_, i) => i), 250).map((c) => c.length)).toEqual([250, 250, 250, 250]);
  });

  it("merges outputs, shifting failure and abstention indexes by chunk offset", () => {
    const merged = mergeStage2Outputs([
      { outputs: [1, null, undefined], secondOutputs: [1, null, undefined], abstained: [2], secondAbstained: [2], errors: 2, failed: [1], firstError: "a" },
      { outputs: [undefined, 4], secondOutputs: [3, 4], abstained: [0], secondAbstained: [], errors: 1, failed: [], firstError: "b" },
    ]);
    expect(merged).toEqual({
      outputs: [1, null, undefined, undefined, 4],
      secondOutputs: [1, null, undefined, 3, 4],
      abstained: [2, 3],
      secondAbstained: [2],
      errors: 3,
      failed: [1],
      firstError: "a",
    });
  });

  it("rejects outputs that do not cover their inputs", () => {
    const ok = { outputs: [1], secondOutputs: [1], abstained: [], secondAbstained: [], errors: 0, failed: [] };
    expect(checkStage2Output(ok, 1)).toBe(ok);
    expect(() => checkStage2Output(ok, 2)).toThrow("outputs: expected 2 entries");
    expect(() => checkStage2Output({ ...ok, failed: [5] }, 1)).toThrow("failed: bad indexes");
    expect(() => checkStage2Output({ ...ok, abstained: [1] }, 1)).toThrow("abstained: bad indexes");
    // A remote side that predates abstention is refused (then the local runner takes over), not trusted.
    expect(() => checkStage2Output({ outputs: [1], secondOutputs: [1], errors: 0, failed: [] }, 1)).toThrow("abstained: bad indexes");
    expect(() => checkStage2Output([], 0)).toThrow("bad output");
    expect(() => checkStage2Output(null, 0)).toThrow("not an object");
  });
});
