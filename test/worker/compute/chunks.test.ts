import { describe, expect, it } from "vitest";
import { checkStage2Output, mergeStage2Outputs, sliceBySize } from "../../../src/worker/compute/chunks.js";

describe("chunks", () => {
  it("slices in order by size, like the local runner", () => {
    expect(sliceBySize([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(sliceBySize([], 250)).toEqual([]);
    expect(sliceBySize(Array.from({ length: 1000 }, (_, i) => i), 250).map((c) => c.length)).toEqual([250, 250, 250, 250]);
  });

  it("merges outputs, shifting failure indexes by chunk offset", () => {
    const merged = mergeStage2Outputs([
      { outputs: [1, null], secondOutputs: [1, null], errors: 2, failed: [1], firstError: "a" },
      { outputs: [null, 4], secondOutputs: [3, 4], errors: 1, failed: [0], firstError: "b" },
    ]);
    expect(merged).toEqual({ outputs: [1, null, null, 4], secondOutputs: [1, null, 3, 4], errors: 3, failed: [1, 2], firstError: "a" });
  });

  it("rejects outputs that do not cover their inputs", () => {
    const ok = { outputs: [1], secondOutputs: [1], errors: 0, failed: [] };
    expect(checkStage2Output(ok, 1)).toBe(ok);
    expect(() => checkStage2Output(ok, 2)).toThrow("outputs: expected 2 entries");
    expect(() => checkStage2Output({ ...ok, failed: [5] }, 1)).toThrow("failed: bad indexes");
    expect(() => checkStage2Output([], 0)).toThrow("bad output");
    expect(() => checkStage2Output(null, 0)).toThrow("not an object");
  });
});
