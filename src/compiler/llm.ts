import type { LlmConfig, Trace } from "./types.js";

export const DEFAULT_LLM_MODEL = "phi3:mini";
const DEFAULT_TIMEOUT_MS = 30_000;
/** Enough examples to show the pattern; few enough for a small model's context. */
const MAX_EXAMPLES = 40;

/** LLM_BASE_URL turns the LLM synthesizer on; LLM_MODEL (default phi3:mini) and LLM_TIMEOUT_MS tune it. */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | null {
  const baseUrl = env.LLM_BASE_URL?.trim();
  if (!baseUrl) return null;
  const timeoutMs = Number(env.LLM_TIMEOUT_MS);
  return { baseUrl, model: env.LLM_MODEL?.trim() || DEFAULT_LLM_MODEL, timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT_MS };
}

/** OpenAI-compatible base URLs end in /v1 (Ollama: http://localhost:11434/v1); accept both forms. */
export function chatCompletionsUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  return `${/\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`}/chat/completions`;
}

export type Proposal = { ok: true; code: string } | { ok: false; reason: string };

/**
 * Asks the model for `export default function compiled(input)` from train examples. The answer is
 * untrusted text (trace text is in the prompt, so traces can steer the model): the caller runs it
 * through the code check (codeCheck.ts), QuickJS and the same gate as any program.
 */
export async function proposeWithLlm(
  config: LlmConfig,
  task: { bucket: string; train: readonly Trace[]; inputSchema: object; outputSchema: object; signal?: AbortSignal },
): Promise<Proposal> {
  const examples = task.train.slice(0, MAX_EXAMPLES).map((trace) => JSON.stringify({ input: trace.input, output: trace.output }));
  const messages = [
    {
      role: "system",
      content:
        "You write small, deterministic, dependency-free JavaScript functions. Reply with one ```js code block containing " +
        "`export default function compiled(input) { ... }` and nothing else. Return undefined for an input you cannot answer. " +
        "The code is checked against a strict grammar, and anything else is refused: at the top level only function declarations " +
        "and `const` tables of literals; read properties with plain names (`input.name`) or string literals, and index tables only " +
        "after `Object.hasOwn(TABLE, key)`; call only your own functions (no recursion), String, Number, Boolean, parseInt, parseFloat, " +
        "Math.min/max/abs/floor/round/ceil, Object.hasOwn/keys/values/entries, Array.isArray, JSON.stringify and string/array methods " +
        "such as trim, toLowerCase, slice, split, join, includes, replace, map, filter, indexOf, startsWith; `new` only for Set; " +
        "loops only `for (const x of xs)` and `for (let i = 0; i < xs.length; i++)`; regular expressions without groups or " +
        "alternatives; no while, try, throw, class, this, arguments, Date, Math.random, eval, imports or globals.",
    },
    {
      role: "user",
      content: [
        `Call site: ${task.bucket}`,
        `Input JSON Schema: ${JSON.stringify(task.inputSchema)}`,
        `Output JSON Schema: ${JSON.stringify(task.outputSchema)}`,
        "Examples (one JSON object per line):",
        ...examples,
        "Write compiled(input) so that it returns the output for each input.",
      ].join("\n"),
    },
  ];
  const signals = [AbortSignal.timeout(config.timeoutMs), ...(task.signal ? [task.signal] : [])];
  let response: Response;
  try {
    response = await fetch(chatCompletionsUrl(config.baseUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: config.model, messages, temperature: 0, stream: false }),
      signal: AbortSignal.any(signals),
    });
  } catch (err) {
    if (task.signal?.aborted) throw err;
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return { ok: false, reason: timedOut ? `no answer within ${config.timeoutMs} ms` : `request failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!response.ok) return { ok: false, reason: `endpoint answered HTTP ${response.status}` };
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return { ok: false, reason: "endpoint answered with invalid JSON" };
  }
  const content = (body as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content;
  if (typeof content !== "string" || content.trim() === "") return { ok: false, reason: "endpoint answered without message content" };
  return { ok: true, code: extractCode(content) };
}

/** The first fenced code block (or the whole reply), with `export default` added when the model forgot it. */
export function extractCode(content: string): string {
  const fenced = /```(?:js|javascript|ts|typescript)?\s*\n([\s\S]*?)```/.exec(content);
  const code = (fenced ? fenced[1] : content).trim();
  return /export\s+default\s+function\s+compiled\b/.test(code) ? `${code}\n` : `${code.replace(/^function\s+compiled\b/m, "export default function compiled")}\n`;
}
