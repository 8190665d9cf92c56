// Stage 2 on Tensorlake sandboxes: one sandbox per chunk of inputs, run concurrently.
//
// Transport facts (tensorlake 0.5.89, read from dist/index.js and the SDK's Rust source):
// - Every HTTP call goes through a native Rust client (dist/native/*.node, reqwest); undici is
//   only used by other SDK clients, so an undici dispatcher cannot redirect it.
// - Lifecycle calls go to `apiUrl` (option, else TENSORLAKE_API_URL, else
//   https://api.tensorlake.ai): POST {apiUrl}/sandboxes and DELETE {apiUrl}/sandboxes/{id},
//   or /v1/namespaces/{ns}/sandboxes… when apiUrl is localhost (local Indexify layout).
// - Process and file calls go to the sandbox proxy: the `sandbox_url` the create response
//   returns (else the explicit `proxyUrl` / TENSORLAKE_SANDBOX_PROXY_URL):
//   PUT /api/v1/files?path=… (raw body) and POST /api/v1/processes/run (SSE stream).
// So pointing `apiUrl` at a local server, which answers with its own sandbox_url, routes every
// call there; test/worker/compute/tensorlakeStub.ts does exactly that.

import type { Stage2Output, Stage2Runner } from "./types.js";
import { checkStage2Output, mergeStage2Outputs, sliceBySize } from "./chunks.js";
import { ComputeStepError, describeStepFailure } from "./reason.js";
import { withTimeout } from "./timeout.js";

type TensorlakeModule = typeof import("tensorlake"); // type-only: erased, never loads the package
type SandboxHandle = Awaited<ReturnType<TensorlakeModule["Sandbox"]["create"]>>;

/** The first Node the Tensorlake SDK's native addon and its undici 8 dependency support. */
export const TENSORLAKE_MIN_NODE = "22.19.0";

export type TensorlakeRunnerOptions = {
  apiKey: string;
  /** Lifecycle API base URL; the SDK's default is https://api.tensorlake.ai. */
  apiUrl?: string;
  /** Sandbox proxy override, used only when the server returns no sandbox_url. */
  proxyUrl?: string;
  /** Self-contained Node ESM script: argv[2] = JSON file of { code, inputs, seed }; stdout = output JSON. */
  evalScript: string;
  /** Inputs per sandbox (default 250, the local runner's chunk: 1000 inputs → 4 sandboxes). */
  chunkSize?: number;
  /** At most this many sandboxes per call (default 8); chunks grow beyond that. */
  maxSandboxes?: number;
  /** Chunk i is evaluated with shuffle seed seedBase + i, as the local runner does (default 7),
   * so both providers shuffle the det pass identically and return identical outputs. */
  seedBase?: number;
  /** Per-request budget for create, file write and terminate (default 15 s). */
  callTimeoutMs?: number;
  /** Budget for running the script on one chunk (default 15 s). */
  runTimeoutMs?: number;
  /** Sandbox image; it must provide `node` >= 22 (default: Tensorlake's managed image). */
  image?: string;
  /** Injection seam for tests; production loads the real package lazily. */
  loadSdk?: () => Promise<Pick<TensorlakeModule, "Sandbox">>;
};

function parseVersion(v: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, "").split(".").map((p) => Number.parseInt(p, 10) || 0);
  return [a, b, c];
}

/** True when the primary may be used: a key is configured and this Node can load the SDK.
 * Callers must check this BEFORE importing anything from the package. */
export function tensorlakeAvailable(
  env: Record<string, string | undefined>,
  nodeVersion: string = process.versions.node,
): boolean {
  if (!env.TENSORLAKE_API_KEY?.trim()) return false;
  const have = parseVersion(nodeVersion);
  const need = parseVersion(TENSORLAKE_MIN_NODE);
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== need[i]!) return have[i]! > need[i]!;
  }
  return true;
}

// Sandbox paths: /tmp exists in every image, and each chunk owns its sandbox, so fixed names are safe.
const SCRIPT_PATH = "/tmp/compile-stage2-eval.mjs";
const INPUT_PATH = "/tmp/compile-stage2-input.json";

/** Last non-empty stdout line, parsed and checked: the script prints one output line, and
 * anything a runtime prints before it (warnings) must not break the parse. */
function parseOutput(stdout: string, nInputs: number): Stage2Output {
  const last = stdout.split("\n").map((l) => l.trim()).filter(Boolean).at(-1);
  if (last === undefined) throw new ComputeStepError("tensorlake output: empty stdout");
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch (e) {
    throw new ComputeStepError(`tensorlake output: bad JSON (${(e as Error).message.slice(0, 80)})`);
  }
  try {
    return checkStage2Output(parsed, nInputs);
  } catch (e) {
    throw new ComputeStepError(`tensorlake output: ${(e as Error).message}`);
  }
}

export function createTensorlakeStage2Runner(opts: TensorlakeRunnerOptions): Stage2Runner {
  const callMs = opts.callTimeoutMs ?? 15_000;
  const runMs = opts.runTimeoutMs ?? 15_000;
  const chunkSize = opts.chunkSize ?? 250;
  const maxSandboxes = opts.maxSandboxes ?? 8;
  const seedBase = opts.seedBase ?? 7;
  // Loaded on the first run, not at construction, so a daemon that never reaches stage 2
  // never pays for the native addon.
  let sdk: Promise<Pick<TensorlakeModule, "Sandbox">> | undefined;
  const loadSdk = (): Promise<Pick<TensorlakeModule, "Sandbox">> =>
    (sdk ??= (opts.loadSdk ?? (() => import("tensorlake")))());

  /** Run one step under its own timeout, turning any failure into a one-line step error.
   * Once a sibling chunk has failed the call is lost anyway, so later steps are skipped and
   * each chunk goes straight to terminating its sandbox. */
  async function step<T>(call: { failed: boolean }, name: string, ms: number, fn: () => Promise<T>): Promise<T> {
    if (call.failed) throw new ComputeStepError(`tensorlake ${name}: skipped after another chunk failed`);
    try {
      return await withTimeout(`${name}`, ms, fn);
    } catch (err) {
      call.failed = true;
      throw await describeStepFailure(name, err);
    }
  }

  async function runChunk(call: { failed: boolean }, code: string, inputs: unknown[], seed: number): Promise<Stage2Output> {
    const { Sandbox } = await step(call, "load", callMs, loadSdk);
    let creating: Promise<SandboxHandle> | undefined;
    let sandbox: SandboxHandle;
    try {
      sandbox = await step(call, "create", callMs, () =>
        (creating = Sandbox.create({
          apiKey: opts.apiKey,
          ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}),
          ...(opts.proxyUrl ? { proxyUrl: opts.proxyUrl } : {}),
          ...(opts.image ? { image: opts.image } : {}),
          cpus: 1,
          memoryMb: 1024,
          // Server-side lifetime: a sandbox whose terminate is lost still dies on its own.
          timeoutSecs: Math.ceil((callMs * 3 + runMs) / 1000) + 60,
          // The SDK's own request timeout (seconds) also bounds proxy calls made through this handle.
          requestTimeout: Math.max(callMs, runMs) / 1000,
        })),
      );
    } catch (err) {
      // A create that answers after our timeout still made a sandbox: delete it when it does.
      creating?.then((late) => late.terminate()).catch(() => undefined);
      throw err;
    }
    try {
      const enc = new TextEncoder();
      await step(call, "write", callMs, () => sandbox.writeFile(SCRIPT_PATH, enc.encode(opts.evalScript)));
      await step(call, "write", callMs, () => sandbox.writeFile(INPUT_PATH, enc.encode(JSON.stringify({ code, inputs, seed }))));
      const result = await step(call, "run", runMs, () =>
        sandbox.run("node", { args: [SCRIPT_PATH, INPUT_PATH], timeout: Math.ceil(runMs / 1000) }),
      );
      try {
        if (result.exitCode !== 0) {
          const tail = result.stderr.trim().split("\n").at(-1) ?? "";
          throw new ComputeStepError(`tensorlake run: exit ${result.exitCode}${tail ? ` (${tail.slice(0, 120)})` : ""}`);
        }
        return parseOutput(result.stdout, inputs.length);
      } catch (err) {
        call.failed = true;
        throw err;
      }
    } finally {
      // Always terminate, but bounded and best effort: a dead API must not hold the failover
      // back, and the server-side timeoutSecs reaps a sandbox whose delete was lost.
      await withTimeout("terminate", Math.min(callMs, 5_000), () => sandbox.terminate()).catch(() => undefined);
    }
  }

  return {
    name: "tensorlake",
    async run(code, inputs, onProgress) {
      if (inputs.length === 0) return { outputs: [], secondOutputs: [], abstained: [], secondAbstained: [], errors: 0, failed: [] };
      const chunks = sliceBySize(inputs, Math.max(chunkSize, Math.ceil(inputs.length / maxSandboxes)));
      const call = { failed: false };
      let done = 0;
      // Fails fast on the first chunk error (the caller fails over at once); the other chunks
      // stop at their next step and terminate their sandboxes in the background.
      const outputs = await Promise.all(
        chunks.map(async (chunk, index) => {
          const out = await runChunk(call, code, chunk, seedBase + index);
          done += chunk.length;
          onProgress?.(done);
          return out;
        }),
      );
      return mergeStage2Outputs(outputs);
    },
  };
}
