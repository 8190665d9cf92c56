// Stage-2 pieces for the compute tests: the compiler's own evaluation script and local runner,
// so "same outputs as the local runner" compares the two real providers.

import { createLocalStage2Runner, STAGE2_EVAL_SCRIPT, type Stage2Output, type Stage2Runner } from "../../../src/compiler/index.js";

export const EVAL_SCRIPT = STAGE2_EVAL_SCRIPT;

/** The compiler's local runner, counting its calls so tests can tell who did the work. */
export function createFixtureLocalRunner(): Stage2Runner & { calls: number } {
  const inner = createLocalStage2Runner();
  const runner = {
    name: "local",
    calls: 0,
    run(code: string, inputs: unknown[], onProgress?: (done: number) => void): Promise<Stage2Output> {
      runner.calls++;
      return inner.run(code, inputs, onProgress);
    },
  };
  return runner;
}

/**
 * A compiled function with a failing branch (exercises errors/failed merging) and module state
 * (its second, shuffled pass differs from the first, so equal outputs also prove both providers
 * slice and shuffle identically).
 */
export const CODE = `let calls = 0;
export default function compiled(input) {
  calls++;
  if (input.n % 97 === 13) throw new Error("unlucky " + input.n);
  return { tier: input.n > 500 ? "hot" : input.n > 100 ? "warm" : "cold", name: String(input.name).toUpperCase(), k: calls % 3 };
}`;

export const INPUTS: unknown[] = Array.from({ length: 1000 }, (_, n) => ({ n, name: `lead-${n}` }));
