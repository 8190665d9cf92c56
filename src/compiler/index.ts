/**
 * The compiler: traces -> candidate programs -> JS source -> scores -> verdict. A pure library
 * (no database, nothing of ours imported); the worker and the `compile` command call it.
 */
export type { CallSite, CompileOptions, CompileResult, CompileStage, GateThresholds, LlmConfig, Scores, Stage2Output, Stage2Runner, Trace } from "./types.js";
export { DEFAULT_GATE } from "./types.js";
export { scanRepo, findCallSites, agentPrefix } from "./scan.js";
export { treeSha } from "./treeSha.js";
export { loadFixtures } from "./fixtures.js";
export { compileBucket, MIN_TRACES, SYNTHETIC_COUNT } from "./compileBucket.js";
export { synthesize, type Synthesis } from "./synthesize.js";
export { syntheticInputs } from "./synthetic.js";
export { inferSchema } from "./schema.js";
export { checkAllowlist, type AllowlistResult } from "./allowlist.js";
export { createLocalStage2Runner } from "./sandbox/localRunner.js";
export { createQuickJsRunner } from "./sandbox/quickjsRunner.js";
export { STAGE2_EVAL_SCRIPT } from "./sandbox/vmEvaluate.js";
export { closeSharedPool as closeSandboxes } from "./sandbox/workerPool.js";
export { runEnvelope, type Envelope } from "./envelope.js";
export { llmConfigFromEnv, proposeWithLlm, chatCompletionsUrl } from "./llm.js";
export { canonicalJson } from "./canonical.js";
export { wilsonLowerBound } from "./stats.js";
