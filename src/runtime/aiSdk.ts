/**
 * Vercel AI SDK adapter: a `wrapLanguageModel` middleware that answers a named bucket's generate
 * calls from its compiled function and asks the model (recording the call as a trace) only when
 * the function abstains.
 *
 * ```ts
 * import { wrapLanguageModel } from "ai";
 * import { compileMiddleware } from "compile-daemon/runtime";
 *
 * const leadModel = wrapLanguageModel({
 *   model: openai("gpt-4.1-mini"), // the model this call site already uses
 *   middleware: compileMiddleware({ runtime, bucket: "acme:classify_lead_tier:v1" }),
 * });
 * // unchanged call site, now on leadModel:
 * // generateText({ model: leadModel, output: Output.object({ schema }), prompt: JSON.stringify(lead) })
 * ```
 *
 * What is compiled, and why:
 * - Generate calls (`generateText`, `generateObject`) without tools. The input is the last user
 *   message's text, parsed when it is JSON; the answer is the model's text, parsed when it is JSON.
 *   That is the same rule the trace importers use (contract/traceFormats.ts), so live traces and
 *   imported ones of a bucket look alike.
 * - Calls with tools pass through to the model untouched: a tool call is a step of an agent loop,
 *   not an answer a function of the input could give.
 * - Streams (`streamText`, `streamObject`) pass through untouched: the runtime needs the whole
 *   answer before it can record it, so compiling a stream would mean buffering it.
 *
 * Needs an AI SDK whose models speak the V3/V4 specification (ai >= 6): the served result is built
 * in that shape (nested usage, `{ unified, raw }` finish reason).
 */
import type { LanguageModelMiddleware } from "ai";
import { parseMaybe } from "../contract/traceFormats.js";
import type { AgentRuntime, CallResult, ModelReply } from "./types.js";

// The provider shapes, taken from the middleware type that "ai" itself exports: "@ai-sdk/provider"
// is only a transitive dependency of the user's "ai", so importing it by name could fail to resolve.
type WrapGenerate = NonNullable<LanguageModelMiddleware["wrapGenerate"]>;
type WrapGenerateOptions = Parameters<WrapGenerate>[0];
type CallOptions = WrapGenerateOptions["params"];
type GenerateResult = Awaited<ReturnType<WrapGenerateOptions["doGenerate"]>>;
type Prompt = CallOptions["prompt"];

/** Where the served result is marked, under `providerMetadata`. */
export const COMPILE_DAEMON_METADATA_KEY = "compileDaemon";

/** The middleware that sends the wrapped model's generate calls of `bucket` through `runtime`. */
export function compileMiddleware({ runtime, bucket }: { runtime: AgentRuntime; bucket: string }): LanguageModelMiddleware {
  return {
    specificationVersion: "v4",
    async wrapGenerate({ doGenerate, params, model }) {
      if (params.tools !== undefined && params.tools.length > 0) return doGenerate();

      // The model's full result, kept so that a deferred call returns exactly what the model said
      // (its content, finish reason, metadata), not a reconstruction from the parsed answer.
      let modelResult: GenerateResult | undefined;
      let modelAsked = false;
      const callModel = async (): Promise<ModelReply> => {
        modelAsked = true;
        modelResult = await doGenerate();
        return replyOf(modelResult, model.modelId);
      };

      let result: CallResult;
      try {
        result = await runtime.callDetailed(bucket, lastUserInput(params.prompt), callModel);
      } catch (error) {
        // A failing runtime must not break the agent: when the model answered, that answer stands;
        // when the runtime failed before asking it, ask it now (uncompiled, untraced). A model's own
        // failure is the caller's to see.
        if (modelResult !== undefined) return modelResult;
        if (!modelAsked) return doGenerate();
        throw error;
      }
      if (result.source === "deferred" && modelResult !== undefined) return modelResult;
      // Served, or a runtime that answered without asking our model (nothing to pass on): build the result.
      return compiledResult(result, bucket, isJsonMode(params));
    },
  };
}

/** The last user message's text parts joined, parsed when it is JSON; undefined without a user message. */
function lastUserInput(prompt: Prompt): unknown {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i];
    if (message.role !== "user") continue;
    const text = message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
    return parseMaybe(text);
  }
  return undefined;
}

/** What the runtime records of a model call: the answer text parsed when JSON, the model, the tokens. */
function replyOf(result: GenerateResult, fallbackModelId: string): ModelReply {
  return {
    output: parseMaybe(answerText(result)),
    model: result.response?.modelId ?? fallbackModelId,
    tokensIn: result.usage.inputTokens.total,
    tokensOut: result.usage.outputTokens.total,
  };
}

/** The text a structured-output parser would read: the provider's pick, else all text parts. */
function answerText(result: GenerateResult): string {
  if (result.structuredOutputText !== undefined) return result.structuredOutputText;
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

function isJsonMode(params: CallOptions): boolean {
  return params.responseFormat?.type === "json";
}

/**
 * A generate result carrying the runtime's answer: one text part, stop, zero tokens (no model ran),
 * marked as compiled in the response model id and in provider metadata.
 */
function compiledResult(result: CallResult, bucket: string, jsonMode: boolean): GenerateResult {
  const served = result.source === "served";
  return {
    content: [{ type: "text", text: answerTextOf(result.output, jsonMode) }],
    finishReason: { unified: "stop", raw: served ? "compiled" : undefined },
    usage: {
      inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 0, text: 0, reasoning: 0 },
    },
    warnings: [],
    response: { modelId: `compile-daemon:${bucket}`, timestamp: new Date() },
    providerMetadata: {
      [COMPILE_DAEMON_METADATA_KEY]: {
        served,
        bucket,
        ...(result.entryId !== undefined ? { entryId: result.entryId } : {}),
      },
    },
  };
}

/**
 * The answer as the model would have written it. In JSON mode always JSON (a string answer is a JSON
 * string); otherwise a string answer is the text itself, since parsing a plain answer left it a string.
 */
function answerTextOf(output: unknown, jsonMode: boolean): string {
  if (!jsonMode && typeof output === "string") return output;
  // JSON.stringify(undefined) is undefined: an answer of nothing is written as JSON null.
  return JSON.stringify(output) ?? "null";
}

