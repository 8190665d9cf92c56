import type { Stage2Output } from "./types.js";

/** Contiguous slices of `size` items (the last may be shorter); the same slicing as the
 * local runner, so chunk i holds the same inputs on both providers. */
export function sliceBySize<T>(items: readonly T[], size: number): T[][] {
  const step = Math.max(1, Math.floor(size));
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += step) slices.push(items.slice(i, i + step));
  return slices;
}

/**
 * Check that a remote chunk's output has the contract's shape and covers exactly its inputs.
 * The remote side is not trusted: a short or malformed answer would otherwise turn into
 * wrong scores instead of a failover.
 */
export function checkStage2Output(value: unknown, nInputs: number): Stage2Output {
  const o = value as Partial<Stage2Output> | null;
  const problem =
    typeof o !== "object" || o === null ? "not an object"
    : !Array.isArray(o.outputs) || o.outputs.length !== nInputs ? `outputs: expected ${nInputs} entries`
    : !Array.isArray(o.secondOutputs) || o.secondOutputs.length !== nInputs ? `secondOutputs: expected ${nInputs} entries`
    : typeof o.errors !== "number" || !Number.isInteger(o.errors) || o.errors < 0 ? "errors: not a count"
    : !isIndexList(o.failed, nInputs) ? "failed: bad indexes"
    : !isIndexList(o.abstained, nInputs) || !isIndexList(o.secondAbstained, nInputs) ? "abstained: bad indexes"
    : o.firstError !== undefined && typeof o.firstError !== "string" ? "firstError: not a string"
    : undefined;
  if (problem) throw new Error(`bad output (${problem})`);
  return o as Stage2Output;
}

const isIndexList = (value: unknown, n: number): value is number[] => Array.isArray(value) && value.every((i) => Number.isInteger(i) && i >= 0 && i < n);

export { mergeStage2Outputs } from "../../compiler/sandbox/merge.js";
