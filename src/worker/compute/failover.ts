// Failover policy for stage 2:
// - Any failure of the primary (connection refused, HTTP 5xx/429, timeout, bad output) moves the
//   same call to the fallback, and onRecovery is called once for that call (one RECOVERY row).
// - For coolDownMs after a failure (default 30 s) calls skip the primary entirely: a dead
//   primary then costs one timeout per cool-down, not one per job, and writes no further rows.
// - The first call after the cool-down retries the primary; compute reads "local" from the
//   failure until such a retry succeeds, then "tensorlake" again.

import type { ComputeName, Stage2Runner } from "./types.js";
import { reasonOf } from "./reason.js";

export type FailoverOptions = {
  primary?: Stage2Runner;
  fallback: Stage2Runner;
  /** Called once per call whose primary failed, with a one-line reason (one RECOVERY row). */
  onRecovery: (reason: string) => Promise<void> | void;
  /** Called when the provider doing the work changes (for the heartbeat). */
  onComputeChange?: (name: ComputeName) => void;
  /**
   * After a failure, calls go straight to the fallback for this long (default 30 s) before
   * the primary is tried again. Without it a dead primary would cost every job a full
   * timeout; with it the heartbeat still shows `local` until a retry succeeds.
   */
  coolDownMs?: number;
  now?: () => number;
};

export type FailoverStage2Runner = Stage2Runner & {
  /** The provider that did (or will do) the work: "local" from a failure until the
   * primary succeeds again. */
  readonly compute: ComputeName;
};

/**
 * Primary first, fallback on any failure within the same call. The fallback's own failure
 * propagates: it is the last resort, and the job loop decides about retries.
 */
export function createFailoverStage2Runner(opts: FailoverOptions): FailoverStage2Runner {
  const coolDownMs = opts.coolDownMs ?? 30_000;
  const now = opts.now ?? Date.now;
  let compute: ComputeName = opts.primary ? "tensorlake" : "local";
  let failedAt: number | undefined;

  const setCompute = (next: ComputeName): void => {
    if (next === compute) return;
    compute = next;
    opts.onComputeChange?.(next);
  };

  return {
    name: "failover",
    get compute() {
      return compute;
    },
    async run(code, inputs, onProgress) {
      const primary = opts.primary;
      const coolingDown = failedAt !== undefined && now() - failedAt < coolDownMs;
      if (!primary || coolingDown) return opts.fallback.run(code, inputs, onProgress);
      try {
        const out = await primary.run(code, inputs, onProgress);
        failedAt = undefined;
        setCompute("tensorlake");
        return out;
      } catch (err) {
        failedAt = now();
        setCompute("local");
        try {
          await opts.onRecovery(reasonOf(err));
        } catch {
          // Recording the RECOVERY row is secondary: the work itself must still be done.
        }
        // Progress restarts from 0: the fallback recomputes every input.
        return opts.fallback.run(code, inputs, onProgress);
      }
    },
  };
}
