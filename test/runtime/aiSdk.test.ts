import { describe, expect, it } from "vitest";
import { generateObject, generateText, Output, streamText, tool, wrapLanguageModel } from "ai";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { z } from "zod";
import { compileMiddleware } from "../../src/runtime/aiSdk.js";
import type { AgentRuntime, CallModel, CallResult, ModelReply } from "../../src/runtime/types.js";

const BUCKET = "acme:classify_lead_tier:v1";

/**
 * A small real runtime: the "compiled function" is a lookup table over the input (by its JSON), which
 * abstains on inputs it has not seen; an abstained call asks the model and records the reply as a trace.
 */
class TableRuntime implements AgentRuntime {
  readonly traces: { bucket: string; input: unknown; reply: ModelReply }[] = [];
  readonly inputsSeen: unknown[] = [];

  constructor(private readonly table: Map<string, unknown>) {}

  async call(bucket: string, input: unknown, callModel: CallModel): Promise<unknown> {
    return (await this.callDetailed(bucket, input, callModel)).output;
  }

  async callDetailed(bucket: string, input: unknown, callModel: CallModel): Promise<CallResult> {
    this.inputsSeen.push(input);
    const answer = this.table.get(JSON.stringify(input));
    if (answer !== undefined) return { output: answer, source: "served", entryId: "entry-table-1" };
    const reply = await callModel();
    this.traces.push({ bucket, input, reply });
    return { output: reply.output, source: "deferred", entryId: "entry-table-1" };
  }
}

const tierSchema = z.object({ tier: z.enum(["hot", "warm", "cold"]), score: z.number() });

const knownLead = { company: "Initech", employees: 400 };
const unknownLead = { company: "Hooli", employees: 12 };

function runtimeKnowing(entries: [unknown, unknown][]): TableRuntime {
  return new TableRuntime(new Map(entries.map(([input, output]) => [JSON.stringify(input), output])));
}

/** A mock model answering `text` with the given token usage. */
function modelAnswering(text: string, tokens = { in: 120, out: 8 }): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    modelId: "mock-gpt",
    doGenerate: async () => ({
      content: [{ type: "text", text }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: tokens.in, noCache: tokens.in, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: tokens.out, text: tokens.out, reasoning: 0 },
      },
      warnings: [],
    }),
  });
}

function wrapped(model: MockLanguageModelV4, runtime: AgentRuntime) {
  return wrapLanguageModel({ model, middleware: compileMiddleware({ runtime, bucket: BUCKET }) });
}

describe("compileMiddleware: served calls", () => {
  it("answers generateText with Output.object from the function without calling the model", async () => {
    const runtime = runtimeKnowing([[knownLead, { tier: "hot", score: 0.9 }]]);
    const model = modelAnswering(JSON.stringify({ tier: "cold", score: 0.1 }));

    const result = await generateText({
      model: wrapped(model, runtime),
      output: Output.object({ schema: tierSchema }),
      prompt: JSON.stringify(knownLead),
    });

    expect(model.doGenerateCalls).toHaveLength(0);
    expect(result.output).toEqual({ tier: "hot", score: 0.9 });
    expect(result.response.modelId).toBe(`compile-daemon:${BUCKET}`);
    expect(result.providerMetadata).toEqual({ compileDaemon: { served: true, bucket: BUCKET, entryId: "entry-table-1" } });
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBe(0);
    expect(result.usage.outputTokens).toBe(0);
    expect(runtime.traces).toHaveLength(0);
  });

  it("answers generateObject from the function without calling the model", async () => {
    const runtime = runtimeKnowing([[knownLead, { tier: "warm", score: 0.5 }]]);
    const model = modelAnswering(JSON.stringify({ tier: "cold", score: 0.1 }));

    const result = await generateObject({ model: wrapped(model, runtime), schema: tierSchema, prompt: JSON.stringify(knownLead) });

    expect(model.doGenerateCalls).toHaveLength(0);
    expect(result.object).toEqual({ tier: "warm", score: 0.5 });
  });

  it("writes a string answer as plain text outside JSON mode, and as a JSON string inside it", async () => {
    const runtime = runtimeKnowing([["Is Initech a hot lead?", "yes"]]);
    const textResult = await generateText({ model: wrapped(modelAnswering("no"), runtime), prompt: "Is Initech a hot lead?" });
    expect(textResult.text).toBe("yes");

    const jsonResult = await generateText({
      model: wrapped(modelAnswering('"no"'), runtime),
      output: Output.json(),
      prompt: "Is Initech a hot lead?",
    });
    expect(jsonResult.text).toBe('"yes"');
    expect(jsonResult.output).toBe("yes");
  });
});

describe("compileMiddleware: abstained calls", () => {
  it("asks the model once, returns its answer, and hands the runtime the reply with its token usage", async () => {
    const runtime = runtimeKnowing([[knownLead, { tier: "hot", score: 0.9 }]]);
    const model = modelAnswering(JSON.stringify({ tier: "cold", score: 0.2 }), { in: 321, out: 17 });

    const result = await generateText({
      model: wrapped(model, runtime),
      output: Output.object({ schema: tierSchema }),
      prompt: JSON.stringify(unknownLead),
    });

    expect(model.doGenerateCalls).toHaveLength(1);
    expect(result.output).toEqual({ tier: "cold", score: 0.2 });
    expect(result.usage.inputTokens).toBe(321);
    expect(result.providerMetadata?.compileDaemon).toBeUndefined();
    expect(runtime.traces).toEqual([
      { bucket: BUCKET, input: unknownLead, reply: { output: { tier: "cold", score: 0.2 }, model: "mock-gpt", tokensIn: 321, tokensOut: 17 } },
    ]);
  });

  it("returns the model's own generate result untouched", async () => {
    const runtime = runtimeKnowing([]);
    const model = modelAnswering("{}");
    const modelResult = await model.doGenerate({ prompt: [] });
    model.doGenerate = async () => modelResult;

    const result = await wrapped(model, runtime).doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: "{}" }] }],
      responseFormat: { type: "json" },
    });

    expect(result).toBe(modelResult);
  });

  it("still returns an answer that is not JSON, and records it as a string", async () => {
    const runtime = runtimeKnowing([]);
    const model = modelAnswering("I think this lead is {hot");

    const result = await generateText({ model: wrapped(model, runtime), prompt: JSON.stringify(unknownLead) });

    expect(result.text).toBe("I think this lead is {hot");
    expect(runtime.traces.map((t) => t.reply.output)).toEqual(["I think this lead is {hot"]);
  });
});

describe("compileMiddleware: the input the runtime sees", () => {
  it("is the last user message parsed as JSON, its text parts joined", async () => {
    const runtime = runtimeKnowing([]);
    await generateText({
      model: wrapped(modelAnswering("{}"), runtime),
      system: "Classify the lead.",
      messages: [
        { role: "user", content: JSON.stringify({ company: "Older" }) },
        { role: "assistant", content: "{}" },
        { role: "user", content: [{ type: "text", text: '{"company": "Hooli", ' }, { type: "text", text: '"employees": 12}' }] },
      ],
    });

    expect(runtime.inputsSeen).toEqual([unknownLead]);
  });

  it("is the text itself when the message is not JSON", async () => {
    const runtime = runtimeKnowing([]);
    await generateText({
      model: wrapped(modelAnswering("warm"), runtime),
      messages: [{ role: "user", content: [{ type: "text", text: "Hooli, " }, { type: "text", text: "12 employees" }] }],
    });

    expect(runtime.inputsSeen).toEqual(["Hooli, 12 employees"]);
  });
});

describe("compileMiddleware: what passes through", () => {
  it("sends calls with tools to the model without asking the runtime", async () => {
    const runtime = runtimeKnowing([[knownLead, { tier: "hot", score: 0.9 }]]);
    const model = modelAnswering("looked it up: hot");

    const result = await generateText({
      model: wrapped(model, runtime),
      tools: { lookupCompany: tool({ inputSchema: z.object({ name: z.string() }), execute: async () => ({ size: 400 }) }) },
      prompt: JSON.stringify(knownLead),
    });

    expect(model.doGenerateCalls).toHaveLength(1);
    expect(result.text).toBe("looked it up: hot");
    expect(runtime.inputsSeen).toHaveLength(0);
  });

  it("sends streams to the model without asking the runtime", async () => {
    const runtime = runtimeKnowing([[knownLead, { tier: "hot", score: 0.9 }]]);
    const model = new MockLanguageModelV4({
      doStream: async () => ({
        stream: convertArrayToReadableStream([
          { type: "text-start", id: "t" },
          { type: "text-delta", id: "t", delta: "streamed" },
          { type: "text-end", id: "t" },
          {
            type: "finish",
            finishReason: { unified: "stop", raw: "stop" },
            usage: {
              inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
              outputTokens: { total: 1, text: 1, reasoning: 0 },
            },
          },
        ]),
      }),
    });

    const result = streamText({ model: wrapped(model, runtime), prompt: JSON.stringify(knownLead) });

    expect(await result.text).toBe("streamed");
    expect(model.doStreamCalls).toHaveLength(1);
    expect(runtime.inputsSeen).toHaveLength(0);
  });
});

/** A runtime that fails: before asking the model, or after it answered (say, recording the trace). */
class FailingRuntime implements AgentRuntime {
  constructor(private readonly when: "before-model" | "after-model") {}

  async call(bucket: string, input: unknown, callModel: CallModel): Promise<unknown> {
    return (await this.callDetailed(bucket, input, callModel)).output;
  }

  async callDetailed(_bucket: string, _input: unknown, callModel: CallModel): Promise<CallResult> {
    if (this.when === "after-model") await callModel();
    throw new Error("vault unreachable");
  }
}

describe("compileMiddleware: a failing runtime does not break the agent", () => {
  it("asks the model when the runtime fails before asking it", async () => {
    const model = modelAnswering(JSON.stringify({ tier: "warm", score: 0.4 }));
    const result = await generateText({ model: wrapped(model, new FailingRuntime("before-model")), prompt: JSON.stringify(knownLead) });

    expect(model.doGenerateCalls).toHaveLength(1);
    expect(JSON.parse(result.text)).toEqual({ tier: "warm", score: 0.4 });
  });

  it("keeps the model's answer when the runtime fails after it, without asking again", async () => {
    const model = modelAnswering("cold");
    const result = await generateText({ model: wrapped(model, new FailingRuntime("after-model")), prompt: "Hooli" });

    expect(model.doGenerateCalls).toHaveLength(1);
    expect(result.text).toBe("cold");
  });

  it("lets the model's own failure through, asking it once", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: async () => {
        throw new Error("rate limited");
      },
    });

    await expect(
      generateText({ model: wrapped(model, runtimeKnowing([])), prompt: "Hooli", maxRetries: 0 }),
    ).rejects.toThrow("rate limited");
    expect(model.doGenerateCalls).toHaveLength(1);
  });
});
