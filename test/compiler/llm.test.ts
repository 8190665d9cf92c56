import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatCompletionsUrl, closeSandboxes, compileBucket, llmConfigFromEnv, type LlmConfig } from "../../src/compiler/index.js";
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
const compile = (overrides: Partial<LlmConfig> = {}) => compileBucket(traces, { bucket: "test:product:v1", llm: { ...config, ...overrides } });

describe("LLM synthesizer against a local OpenAI-compatible stub", () => {
  it("uses valid proposed code when it beats the templates, and runs it through the gate", async () => {
    reply = { content: fenced("export default function compiled(input) {\n  return { y: input.a * input.b };\n}") };
    const result = await compile();
    expect(lastRequest.url).toBe("/v1/chat/completions");
    expect(lastRequest.body?.model).toBe("phi3:mini");
    expect(lastRequest.body?.messages?.at(-1)?.content).toMatch(/"input":\{"a":\d+,"b":\d+\}/);
    expect(result.origin).toBe("llm");
    expect(result.family).toBe("llm");
    expect(result.verdict, result.reasons.join("; ")).toBe("compiled");
    expect(result.scores).toEqual({ schema: 1, det: 1, oracle: 1 });
  });

  it("ignores code that does not parse and keeps the template result", async () => {
    reply = { content: fenced("export default function compiled(input) { return { y: input.a * ; }") };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/llm: proposal failed the allowlist: does not parse/);
  });

  it("refuses a literal Math.random at the allowlist", async () => {
    reply = { content: fenced("export default function compiled(input) { return { y: input.a * input.b + (Math.random() < 0.2 ? 1 : 0) }; }") };
    const result = await compile();
    expect(result.origin).toBe("template");
    expect(result.notes.join(" ")).toMatch(/`Math.random` is not allowed/);
  });

  it("catches randomness smuggled past the allowlist on the det axis", async () => {
    reply = {
      content: fenced('export default function compiled(input) {\n  const pick = ["ran", "dom"].join("");\n  return { y: input.a * input.b + (Math[pick]() < 0.1 ? 1 : 0) };\n}'),
    };
    const result = await compile();
    expect(result.origin).toBe("llm");
    expect(result.verdict).toBe("rejected");
    expect(result.scores.det).toBeLessThan(0.95);
    expect(result.reasons.join(" ")).toMatch(/^det .* < 0\.95/);
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
