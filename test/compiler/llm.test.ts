import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatCompletionsUrl, closeSandboxes, compileBucket, llmConfigFromEnv, type LlmConfig, type Trace } from "../../src/compiler/index.js";
import { product } from "./datasets.js";

/** What the stub model answers, chosen per test. */
let reply: { status?: number; delayMs?: number; content?: string } = {};
let lastRequest: { url?: string; body?: { model?: string; messages?: Array<{ content: string }> } } = {};
let server: Server;
let config: LlmConfig;

const fenced = (code: string) => `Here is the function:\n\`\`\`js\n${code}\n\`\`\`\n`;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      lastRequest = { url: request.url, body: JSON.parse(body) };
      const answer = () => {
        if (reply.status && reply.status !== 200) {
          response.writeHead(reply.status).end("model crashed");
          return;
        }
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ message: { role: "assistant", content: reply.content ?? "" } }] }));
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  config = { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: "phi3:mini", timeoutMs: 2000 };
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await closeSandboxes();
});

const traces = product(200);
const compile = (overrides: Partial<LlmConfig> = {}, on: Trace[] = traces) => compileBucket(on, { bucket: "test:product:v1", llm: { ...config, ...overrides } });
/** The evaluated calls: the later half in time order (product's traces are in time order already). */
const later = traces.slice(Math.ceil(traces.length / 2));
const examplesSent = () => (lastRequest.body?.messages?.at(-1)?.content ?? "").split("\n").filter((line) => line.startsWith('{"input":'));
const asExample = (t: Trace) => JSON.stringify({ input: t.input, output: t.output });

describe("LLM synthesizer against a local OpenAI-compatible stub", () => {
  it("uses valid proposed code when it beats the templates on the later calls, and runs it through the gate", async () => {
    reply = { content: fenced("export default function compiled(input) {\n  return { y: input.a * input.b };\n}") };
    const result = await compile();
    expect(lastRequest.url).toBe("/v1/chat/completions");
    expect(lastRequest.body?.model).toBe("phi3:mini");
    expect(lastRequest.body?.messages?.at(-1)?.content).toMatch(/"input":\{"a":\d+,"b":\d+\}/);
    expect(result.origin).toBe("llm");
    expect(result.family).toBe("llm");
    expect(result.verdict, result.reasons.join("; ")).toBe("compiled");
    expect(result.reasons).toEqual([]);
    expect(result.scores).toEqual({ schema: 1, det: 1, oracle: 1, robustness: 1 });
    // Scored on every later call, all answered, all right.
    expect(result.nHoldout).toBe(later.length);
    expect(result.coverage).toMatchObject({ ok: later.length, n: later.length, rate: 1 });
    expect(result.selective).toMatchObject({ ok: later.length, n: later.length, rate: 1 });
    expect(result.selective.lowerBound).toBeGreaterThanOrEqual(0.8);
    expect(result.novel.abstained).toBe(0);
  });

  it("shows the model only the traces before the first evaluation block", async () => {
    const few = product(60, 4);
    reply = { content: fenced("export default function compiled(input) {\n  return { y: input.a * input.b };\n}") };
    const result = await compile({}, few);
    expect(examplesSent()).toEqual(few.slice(0, 30).map(asExample));
    expect(result.nHoldout).toBe(30);
    expect(result.origin).toBe("llm");
  });

  it("scores the proposal on calls it never saw: a table of the examples it was shown loses", async () => {
    // Right on every example the model was shown, and 0 for everything else.
    const shown = traces.slice(0, traces.length / 2);
    const table = Object.fromEntries(shown.map((t) => [`${(t.input as { a: number }).a},${(t.input as { b: number }).b}`, (t.output as { y: number }).y]));
    const memorised = `export default function compiled(input) {\n  const key = input.a + "," + input.b;\n  return { y: Object.hasOwn(TABLE, key) ? TABLE[key] : 0 };\n}\nconst TABLE = ${JSON.stringify(table)};`;
    reply = { content: fenced(memorised) };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/llm: the proposal's utility on later calls was -\d/);
  });

  it("scores an abstaining proposal on the calls it answers: partial, not compiled", async () => {
    reply = { content: fenced("export default function compiled(input) {\n  if (input.a > 20) return undefined;\n  return { y: input.a * input.b };\n}") };
    const result = await compile();
    const answerable = later.filter((t) => (t.input as { a: number }).a <= 20).length;
    expect(answerable / later.length).toBeGreaterThan(0.3); // the data make partial possible ...
    expect(answerable / later.length).toBeLessThan(0.95); // ... and compiled impossible
    expect(result.origin).toBe("llm");
    expect(result.coverage).toMatchObject({ ok: answerable, n: later.length });
    expect(result.selective).toMatchObject({ ok: answerable, n: answerable, rate: 1 });
    expect(result.verdict, result.reasons.join("; ")).toBe("partial");
    expect(result.reasons.join(" ")).toMatch(/^coverage 0\.\d+ < 0\.95/);
    expect(result.novel.abstained).toBeGreaterThan(0);
  });

  it("counts a call that throws as a wrong answer, not an abstention", async () => {
    // No `throw` passes the code check; reading a field of a missing one throws all the same.
    reply = { content: fenced("export default function compiled(input) {\n  if (input.a > 20) return { y: input.missing.y };\n  return { y: input.a * input.b };\n}") };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/llm: the proposal's utility on later calls was -\d/);
  });

  it("ignores code that does not parse and keeps the template result", async () => {
    reply = { content: fenced("export default function compiled(input) { return { y: input.a * ; }") };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/llm: proposal failed the code check: does not parse/);
  });

  it("refuses a literal Math.random at the code check", async () => {
    reply = { content: fenced("export default function compiled(input) { return { y: input.a * input.b + (Math.random() < 0.2 ? 1 : 0) }; }") };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/`Math.random` is not allowed/);
  });

  it("refuses randomness smuggled through a computed method name at the code check", async () => {
    // Right on every recorded call (a and b are 1..40 there), a coin flip outside that range: the
    // later calls could not see it. The code check refuses the computed call before anything runs.
    reply = {
      content: fenced(
        'export default function compiled(input) {\n  const pick = ["ran", "dom"].join("");\n  const outside = input.a < 1 || input.a > 40 || input.b < 1 || input.b > 40;\n  return { y: input.a * input.b + (outside && Math[pick]() < 0.5 ? 1 : 0) };\n}',
      ),
    };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/llm: proposal failed the code check: line 4: a computed method call `x\[…\]\(\)` is not allowed/);
  });

  it("refuses code that reaches for process", async () => {
    reply = { content: fenced("export default function compiled(input) { return { y: process.pid }; }") };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/`process` is not allowed/);
  });

  it("gives up on a model that does not answer in time", async () => {
    reply = { delayMs: 1500, content: fenced("export default function compiled(input) { return { y: 0 }; }") };
    const started = performance.now();
    const result = await compile({ timeoutMs: 200 });
    expect(performance.now() - started).toBeLessThan(1400);
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/no answer within 200 ms/);
  });

  it("survives an HTTP 500", async () => {
    reply = { status: 500 };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/HTTP 500/);
    expect(result.verdict).toBe("rejected"); // no template multiplies
  });

  it("is configured from LLM_BASE_URL and LLM_MODEL", () => {
    expect(llmConfigFromEnv({})).toBeNull();
    expect(llmConfigFromEnv({ LLM_BASE_URL: "http://localhost:11434" })).toMatchObject({ model: "phi3:mini" });
    expect(llmConfigFromEnv({ LLM_BASE_URL: "http://x", LLM_MODEL: "other" })?.model).toBe("other");
    expect(chatCompletionsUrl("http://localhost:11434/v1/")).toBe("http://localhost:11434/v1/chat/completions");
    expect(chatCompletionsUrl("http://localhost:11434")).toBe("http://localhost:11434/v1/chat/completions");
  });
});
