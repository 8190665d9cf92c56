import type { AgentRuntime } from "compile-daemon/runtime";
import type { ModelClient } from "./defineCall.js";

/**
 * Puts Compile's runtime on every call site's path: `createAgent(throughRuntime(runtime, model))`.
 * A call the bucket's verified function answers never reaches the model; any other call does, and
 * is recorded as a trace for the next compile.
 */
export function throughRuntime(runtime: AgentRuntime, model: ModelClient): ModelClient {
  return (request) => runtime.call(request.bucket, request.input, async () => ({ output: await model(request) }));
}
