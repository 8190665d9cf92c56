/**
 * `compile-daemon/runtime`: put compiled functions on an agent's call path.
 *
 *   import { createRuntime, openBackend } from "compile-daemon/runtime";
 *   const runtime = createRuntime({ backend: await openBackend() });
 *   const tier = await runtime.call("acme:classify_lead_tier:v1", lead, async () => ({ output: await askModel(lead) }));
 */
export { createRuntime, type Runtime, type RuntimeOptions } from "./runtime.js";
export type { AgentRuntime, CallModel, CallResult, CallSource, ModelReply } from "./types.js";
export { compileMiddleware } from "./aiSdk.js";
export { openBackend } from "../backend/open.js";
