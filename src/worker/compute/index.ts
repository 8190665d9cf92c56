// The stage-2 compute provider the daemon uses: Tensorlake first when configured, the local
// worker-thread runner always behind it.

import { createLocalStage2Runner } from "../../compiler/sandbox/localRunner.js";
import { STAGE2_EVAL_SCRIPT } from "../../compiler/sandbox/vmEvaluate.js";
import type { ComputeName, Stage2Runner } from "./types.js";
import { createFailoverStage2Runner, type FailoverStage2Runner } from "./failover.js";
import { createTensorlakeStage2Runner, tensorlakeAvailable } from "./tensorlake.js";

export type { ComputeName, Stage2Output, Stage2Runner } from "./types.js";
export { createFailoverStage2Runner, type FailoverOptions, type FailoverStage2Runner } from "./failover.js";
export {
  createTensorlakeStage2Runner,
  tensorlakeAvailable,
  TENSORLAKE_MIN_NODE,
  type TensorlakeRunnerOptions,
} from "./tensorlake.js";

export type ComputeProviderDeps = {
  /** The always-available runner; default the compiler's createLocalStage2Runner(). */
  local?: Stage2Runner;
  /** Script shipped into each sandbox; default the compiler's STAGE2_EVAL_SCRIPT. */
  evalScript?: string;
  onRecovery: (reason: string) => Promise<void> | void;
  onComputeChange?: (name: ComputeName) => void;
  /** Overridable for tests of the Node gate; defaults to this process's version. */
  nodeVersion?: string;
  coolDownMs?: number;
};

export type ComputeProvider = {
  runner: FailoverStage2Runner;
  /** The provider name the heartbeat shows. */
  current(): ComputeName;
};

/**
 * Environment read here: TENSORLAKE_API_KEY (enables the primary), TENSORLAKE_API_URL
 * (lifecycle API base), TENSORLAKE_SANDBOX_IMAGE (an image with node >= 22 when the
 * default one has none). The SDK itself also honours TENSORLAKE_SANDBOX_PROXY_URL.
 */
export async function createComputeProvider(
  env: Record<string, string | undefined>,
  deps: ComputeProviderDeps,
): Promise<ComputeProvider> {
  const local = deps.local ?? createLocalStage2Runner();
  const evalScript = deps.evalScript ?? STAGE2_EVAL_SCRIPT;
  const primary = tensorlakeAvailable(env, deps.nodeVersion)
    ? createTensorlakeStage2Runner({
        apiKey: env.TENSORLAKE_API_KEY!.trim(),
        ...(env.TENSORLAKE_API_URL ? { apiUrl: env.TENSORLAKE_API_URL } : {}),
        ...(env.TENSORLAKE_SANDBOX_IMAGE ? { image: env.TENSORLAKE_SANDBOX_IMAGE } : {}),
        evalScript,
      })
    : undefined;
  const runner = createFailoverStage2Runner({
    ...(primary ? { primary } : {}),
    fallback: local,
    onRecovery: deps.onRecovery,
    ...(deps.onComputeChange ? { onComputeChange: deps.onComputeChange } : {}),
    ...(deps.coolDownMs !== undefined ? { coolDownMs: deps.coolDownMs } : {}),
  });
  return { runner, current: () => runner.compute };
}
