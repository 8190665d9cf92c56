import type { Stage2Output, Stage2Runner } from "../types.js";
import { mergeStage2Outputs } from "./merge.js";
import { sharedPool, type WorkerPool } from "./workerPool.js";

/** Inputs per worker job: large enough to amortise a message, small enough to report progress. */
const CHUNK = 250;
export const SHUFFLE_SEED = 7;

/**
 * Stage 2 on local sandbox processes (node:vm inside each). Chunks run in parallel on the warm pool;
 * each chunk gets two fresh contexts (in order, then shuffled).
 */
export function createLocalStage2Runner(pool: WorkerPool = sharedPool()): Stage2Runner {
  return {
    name: "local",
    async run(code, inputs, onProgress) {
      pool.warm();
      const chunks: unknown[][] = [];
      for (let start = 0; start < inputs.length; start += CHUNK) chunks.push(inputs.slice(start, start + CHUNK));
      let done = 0;
      const results = await Promise.all(
        chunks.map(async (chunk, index) => {
          const result = await pool.run<Stage2Output>({ kind: "evaluate", code, inputs: chunk, seed: SHUFFLE_SEED + index }).catch((err: unknown) => allFailed(chunk.length, err));
          done += chunk.length;
          onProgress?.(done);
          return result;
        }),
      );
      return mergeStage2Outputs(results);
    },
  };
}

/** One pass only (held-out scoring), same sandbox. */
export async function evaluateOnce(code: string, inputs: unknown[], pool: WorkerPool = sharedPool()): Promise<Stage2Output> {
  pool.warm();
  return pool.run<Stage2Output>({ kind: "evaluate", code, inputs, singlePass: true }).catch((err: unknown) => allFailed(inputs.length, err, 1));
}

/**
 * A worker lost to the program (out of memory, past the hard time limit) is the program's failure:
 * every call of the chunk counts as failed, and the gate rejects it with the reason.
 */
function allFailed(n: number, err: unknown, passes = 2): Stage2Output {
  return {
    outputs: new Array<unknown>(n).fill(null),
    secondOutputs: new Array<unknown>(n).fill(null),
    abstained: [],
    secondAbstained: [],
    errors: n * passes,
    failed: Array.from({ length: n }, (_, i) => i),
    firstError: err instanceof Error ? err.message : String(err),
  };
}
