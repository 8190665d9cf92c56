import type { Stage2Output } from "../types.js";

/**
 * Join chunk outputs (in chunk order) into one output for all inputs: arrays are concatenated,
 * failure and abstention indexes shifted by each chunk's offset, error counts summed. The local
 * worker pool and the remote (Tensorlake) provider chunk alike and merge through this one function.
 */
export function mergeStage2Outputs(parts: readonly Stage2Output[]): Stage2Output {
  const merged: Stage2Output = { outputs: [], secondOutputs: [], abstained: [], secondAbstained: [], errors: 0, failed: [] };
  for (const part of parts) {
    const offset = merged.outputs.length;
    merged.abstained.push(...part.abstained.map((i) => i + offset));
    merged.secondAbstained.push(...part.secondAbstained.map((i) => i + offset));
    merged.outputs.push(...part.outputs);
    merged.secondOutputs.push(...part.secondOutputs);
    merged.errors += part.errors;
    merged.failed.push(...part.failed.map((i) => i + offset));
    if (merged.firstError === undefined && part.firstError !== undefined) merged.firstError = part.firstError;
  }
  return merged;
}
