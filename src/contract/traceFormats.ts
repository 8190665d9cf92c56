import { createHash } from "node:crypto";

/**
 * The trace formats the one trace reader (./traces.ts) understands besides our own JSON Lines, each
 * turned into candidate traces `{bucket, input, output, model, latencyMs, tokensIn, tokensOut, ts}`
 * that then pass the one validator (convex/lib/traceRules.ts) like any line of our own format.
 *
 * - otel: OpenTelemetry GenAI spans as exported in OTLP/JSON (resourceSpans/scopeSpans/spans),
 *   `gen_ai.*` attributes in their old (gen_ai.prompt.N.*, gen_ai.completion.N.*, prompt_tokens)
 *   and new (gen_ai.input.messages, gen_ai.output.messages, input_tokens) names, or messages in span
 *   events (gen_ai.system.message, gen_ai.user.message, gen_ai.choice, ...).
 * - vercel-ai: Vercel AI SDK telemetry spans (ai.generateText, ai.generateObject, ai.streamText,
 *   ai.streamObject) in OTLP/JSON; bucket from ai.telemetry.functionId.
 * - langfuse: Langfuse observation exports (type GENERATION); bucket from promptName and
 *   promptVersion, else name.
 * - helicone: Helicone export records (request_body, response_body); bucket from prompt_id or the
 *   Helicone-Prompt-Id property.
 * - openpipe: OpenPipe request logs (req_payload, resp_payload); bucket from tags.prompt_id.
 *
 * Without a name, the bucket is `<format>:<model>_<hash>:v1`, the hash over model, system prompt,
 * tools and response format: a prompt edit is a new bucket. Input is the last user message, output
 * the answer, each parsed when it is JSON.
 */

export const TRACE_FORMATS = ["jsonl", "otel", "vercel-ai", "langfuse", "helicone", "openpipe"] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export function isTraceFormat(x: string): x is TraceFormat {
  return (TRACE_FORMATS as readonly string[]).includes(x);
}

/** A trace as read from a foreign record, before the validator; undefined fields are reported by it. */
export type Candidate = unknown;

/** What one record (a line, or one element of a whole-file document) turned into. */
export interface Converted {
  /** One candidate per LLM call found (an OTLP line can hold many spans). `record` numbers the call within the line. */
  traces: { record?: number; trace: Candidate }[];
  /** Why the record as a whole could not be read. */
  problem?: string;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * The format a parsed record looks like, or null for an object no format knows. A value that is not
 * an object is "jsonl": our reader names it ("a trace must be a JSON object").
 */
export function detectRecord(value: unknown): TraceFormat | null {
  if (Array.isArray(value)) return value.length > 0 ? detectRecord(value[0]) : "jsonl";
  if (!isObj(value)) return "jsonl";
  if (Array.isArray(value.resourceSpans)) return otlpSpans(value).some((s) => isVercelSpan(s.span)) ? "vercel-ai" : "otel";
  if ("req_payload" in value || "resp_payload" in value || "reqPayload" in value || "respPayload" in value) return "openpipe";
  if ("request_body" in value || "response_body" in value || ("request_id" in value && "request_created_at" in value)) return "helicone";
  if (typeof value.type === "string" && ("traceId" in value || "startTime" in value)) return "langfuse";
  if (Array.isArray(value.data)) return detectRecord(value.data);
  if (["bucket", "input", "output", "model", "latencyMs", "tokensIn", "tokensOut", "ts"].some((k) => k in value)) return "jsonl";
  return null;
}

/** The records of a whole-file JSON document (an OTLP export, an array, or an API page `{data: [...]}`). */
export function documentRecords(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObj(value) && Array.isArray(value.data) && !("resourceSpans" in value)) return value.data;
  return [value];
}

/** Converts one parsed record of a (non-jsonl) format. */
export function convertRecord(format: Exclude<TraceFormat, "jsonl">, value: unknown): Converted {
  // Not an object: the validator names it ("a trace must be a JSON object, got ...").
  if (!isObj(value)) return { traces: [{ trace: value }] };
  switch (format) {
    case "otel":
    case "vercel-ai":
      return convertOtlp(format, value);
    case "langfuse":
      return one(isObj(value) && value.type !== "GENERATION" ? null : langfuse(value));
    case "helicone":
      return one(helicone(value));
    case "openpipe":
      return one(openpipe(value));
  }
}

function one(trace: Candidate | null): Converted {
  return { traces: trace ? [{ trace }] : [] };
}

// ---------------------------------------------------------------------------------------------
// shared pieces

/** A chat message, normalised: role and its text (parts joined), tool calls kept. */
interface Msg {
  role: string;
  text: string | undefined;
  toolCalls?: unknown[];
}

/** Text of a message content: a string, or parts `{type: "text", text|content}` joined. */
function contentText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const texts = content.map((p) => (typeof p === "string" ? p : isObj(p) ? (typeof p.text === "string" ? p.text : typeof p.content === "string" ? p.content : undefined) : undefined)).filter((t): t is string => t !== undefined);
    return texts.length > 0 ? texts.join("") : undefined;
  }
  if (isObj(content)) return contentText(content.text ?? content.content ?? content.parts);
  return undefined;
}

function toMsg(m: unknown): Msg | null {
  if (!isObj(m)) return null;
  const role = typeof m.role === "string" ? m.role : "user";
  const toolCalls = Array.isArray(m.tool_calls) ? m.tool_calls : Array.isArray(m.toolCalls) ? m.toolCalls : undefined;
  return { role, text: contentText(m.content ?? m.parts ?? m.text), ...(toolCalls ? { toolCalls } : {}) };
}

function toMsgs(x: unknown): Msg[] {
  const v = typeof x === "string" ? parseMaybe(x) : x;
  if (!Array.isArray(v)) return [];
  return v.map(toMsg).filter((m): m is Msg => m !== null);
}

/** A string parsed when it is JSON, else the string itself. */
export function parseMaybe(text: string): unknown {
  const t = text.trim();
  if (t === "") return text;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return text;
  }
}

const lastUser = (msgs: Msg[]): string | undefined => [...msgs].reverse().find((m) => m.role === "user")?.text;
const systemOf = (msgs: Msg[]): string | undefined => {
  const texts = msgs.filter((m) => m.role === "system" || m.role === "developer").map((m) => m.text ?? "");
  return texts.length > 0 ? texts.join("\n") : undefined;
};

/** The answer of an assistant message: its text parsed when JSON, else its tool calls. */
function answer(m: Msg | undefined): unknown {
  if (!m) return undefined;
  if (m.text !== undefined) return parseMaybe(m.text);
  if (m.toolCalls) return m.toolCalls.map(toolCall);
  return undefined;
}

function toolCall(c: unknown): unknown {
  if (!isObj(c)) return c;
  const fn = isObj(c.function) ? c.function : c;
  const args = fn.arguments ?? fn.args ?? fn.input;
  return { name: fn.name ?? fn.toolName, arguments: typeof args === "string" ? parseMaybe(args) : (args ?? null) };
}

/** `[a-z0-9_]+` from any name (at most 80 characters). */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 80);
  return s === "" ? "x" : s;
}

/** `<prefix>:<name>:v<version>` for a named call site. */
export function namedBucket(prefix: string, name: string, version: unknown = 1): string {
  const v = typeof version === "number" && Number.isInteger(version) && version >= 0 ? version : typeof version === "string" && /^\d+$/.test(version) ? Number(version) : 1;
  return `${prefix}:${slug(name)}:v${v}`;
}

/** `<prefix>:<model>_<hash8>:v1`: the hash over model, system prompt, tools and response format. */
export function derivedBucket(prefix: string, model: unknown, system: unknown, tools: unknown, responseFormat: unknown): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([model ?? null, system ?? null, tools ?? null, responseFormat ?? null]))
    .digest("hex")
    .slice(0, 8);
  return `${prefix}:${typeof model === "string" ? `${slug(model).slice(0, 60)}_` : ""}${hash}:v1`;
}

/** Milliseconds of a time: a number (ms, or ns when huge), a numeric string (ns in OTLP), or a date text. */
function timeMs(x: unknown, unit: "ms" | "ns" = "ms"): number | undefined {
  if (typeof x === "number" && Number.isFinite(x)) return unit === "ns" ? x / 1e6 : x;
  if (typeof x !== "string" || x.trim() === "") return undefined;
  if (/^\d+$/.test(x)) return unit === "ns" ? Number(BigInt(x) / 1000n) / 1000 : Number(x);
  // "2024-08-01 12:00:00.123" (no zone) is UTC
  const iso = /^\d{4}-\d{2}-\d{2} \d/.test(x) ? x.replace(" ", "T") : x;
  const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) || !iso.includes("T") ? iso : `${iso}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

const isoOf = (ms: number | undefined): string | undefined => (ms === undefined || !Number.isFinite(ms) ? undefined : new Date(Math.round(ms)).toISOString());
const latency = (start: number | undefined, end: number | undefined): number | undefined => (start !== undefined && end !== undefined && end >= start ? Math.round(end - start) : undefined);
const num = (...xs: unknown[]): number | undefined => {
  for (const x of xs) {
    if (typeof x === "number" && Number.isFinite(x)) return x;
    if (typeof x === "string" && /^\d+(\.\d+)?$/.test(x)) return Number(x);
  }
  return undefined;
};
const str = (...xs: unknown[]): string | undefined => xs.find((x): x is string => typeof x === "string" && x !== "");

function candidate(fields: { bucket: string; input: unknown; output: unknown; model: unknown; latencyMs: unknown; tokensIn: unknown; tokensOut: unknown; ts: unknown }): Obj {
  const c: Obj = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) c[k] = v;
  return c;
}

// ---------------------------------------------------------------------------------------------
// OpenAI-style bodies (Helicone, OpenPipe)

/** A chat-completion request and response as the provider saw them (OpenAI or Anthropic shapes). */
function chatBodies(prefix: string, name: string | undefined, req: unknown, resp: unknown) {
  const r = isObj(req) ? req : {};
  const msgs = toMsgs(r.messages);
  const system = str(r.system) ?? (Array.isArray(r.system) ? contentText(r.system) : undefined) ?? systemOf(msgs);
  const p = isObj(resp) ? resp : {};
  let out: unknown;
  if (Array.isArray(p.choices) && isObj(p.choices[0])) out = answer(toMsg(p.choices[0].message ?? { content: p.choices[0].text }) ?? undefined);
  else if (Array.isArray(p.content)) out = answer({ role: "assistant", text: contentText(p.content) });
  const usage = isObj(p.usage) ? p.usage : {};
  const model = str(p.model, r.model);
  return {
    bucket: name ? namedBucket(prefix, name) : derivedBucket(prefix, str(r.model, p.model), system, r.tools ?? r.functions, r.response_format),
    input: ((t) => (t === undefined ? undefined : parseMaybe(t)))(lastUser(msgs) ?? (typeof r.prompt === "string" ? r.prompt : undefined)),
    output: out,
    model,
    tokensIn: num(usage.prompt_tokens, usage.input_tokens),
    tokensOut: num(usage.completion_tokens, usage.output_tokens),
  };
}

function helicone(value: unknown): Candidate | null {
  if (!isObj(value)) return value;
  const props = isObj(value.request_properties) ? value.request_properties : isObj(value.properties) ? value.properties : {};
  const name = str(value.prompt_id, props["Helicone-Prompt-Id"], props["helicone-prompt-id"]);
  const body = chatBodies("helicone", name, value.request_body, value.response_body);
  const start = timeMs(value.request_created_at);
  const end = timeMs(value.response_created_at);
  return candidate({
    ...body,
    model: str(value.model_override, value.response_model, value.request_model, value.model, body.model),
    tokensIn: num(value.prompt_tokens, body.tokensIn) ?? 0,
    tokensOut: num(value.completion_tokens, body.tokensOut) ?? 0,
    latencyMs: num(value.delay_ms, value.latency) ?? latency(start, end),
    ts: isoOf(start),
  });
}

function openpipe(value: unknown): Candidate | null {
  const v = isObj(value) ? value : {};
  const tags = isObj(v.tags) ? v.tags : isObj(v.metadata) ? v.metadata : {};
  const name = str(tags.prompt_id, tags.promptId);
  const body = chatBodies("openpipe", name, v.req_payload ?? v.reqPayload, v.resp_payload ?? v.respPayload);
  const start = timeMs(v.requested_at ?? v.requestedAt);
  const end = timeMs(v.received_at ?? v.receivedAt);
  return candidate({ ...body, tokensIn: body.tokensIn ?? 0, tokensOut: body.tokensOut ?? 0, latencyMs: latency(start, end), ts: isoOf(start) });
}

// ---------------------------------------------------------------------------------------------
// Langfuse

function langfuse(value: unknown): Candidate | null {
  const v = isObj(value) ? value : {};
  const inMsgs = toMsgs(isObj(v.input) && Array.isArray(v.input.messages) ? v.input.messages : v.input);
  let input: unknown;
  if (inMsgs.length > 0) input = ((t) => (t === undefined ? undefined : parseMaybe(t)))(lastUser(inMsgs));
  else if (typeof v.input === "string") input = parseMaybe(v.input);
  else input = v.input;
  let output: unknown;
  if (typeof v.output === "string") output = parseMaybe(v.output);
  else if (isObj(v.output) && typeof v.output.role === "string") output = answer(toMsg(v.output) ?? undefined);
  else output = v.output;
  const usage = isObj(v.usageDetails) ? v.usageDetails : isObj(v.usage) ? v.usage : {};
  const params = isObj(v.modelParameters) ? v.modelParameters : {};
  const model = str(v.model, v.providedModelName);
  const promptName = str(v.promptName);
  const bucket = promptName ? namedBucket("langfuse", promptName, v.promptVersion) : str(v.name) ? namedBucket("langfuse", v.name as string) : derivedBucket("langfuse", model, systemOf(inMsgs), params.tools, params.response_format);
  const start = timeMs(v.startTime);
  return candidate({
    bucket,
    input,
    output,
    model,
    latencyMs: num(v.latency) !== undefined ? Math.round((num(v.latency) as number) * 1000) : latency(start, timeMs(v.endTime)),
    tokensIn: num(usage.input, usage.promptTokens, usage.prompt_tokens, v.promptTokens) ?? 0,
    tokensOut: num(usage.output, usage.completionTokens, usage.completion_tokens, v.completionTokens) ?? 0,
    ts: isoOf(start),
  });
}

// ---------------------------------------------------------------------------------------------
// OTLP/JSON: OpenTelemetry GenAI spans and Vercel AI SDK spans

interface OtlpSpan {
  span: Obj;
  attrs: Obj;
}

/** An OTLP AnyValue as a plain value. */
function anyValue(v: unknown): unknown {
  if (!isObj(v)) return v;
  if ("stringValue" in v) return v.stringValue;
  if ("intValue" in v) return typeof v.intValue === "string" ? Number(v.intValue) : v.intValue;
  if ("doubleValue" in v) return v.doubleValue;
  if ("boolValue" in v) return v.boolValue;
  if (isObj(v.arrayValue)) return Array.isArray(v.arrayValue.values) ? v.arrayValue.values.map(anyValue) : [];
  if (isObj(v.kvlistValue)) return attributes(v.kvlistValue.values);
  if ("bytesValue" in v) return v.bytesValue;
  return undefined;
}

function attributes(list: unknown): Obj {
  const out: Obj = {};
  if (Array.isArray(list)) for (const kv of list) if (isObj(kv) && typeof kv.key === "string") out[kv.key] = anyValue(kv.value);
  return out;
}

function otlpSpans(doc: unknown): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  if (!isObj(doc) || !Array.isArray(doc.resourceSpans)) return spans;
  for (const rs of doc.resourceSpans) {
    if (!isObj(rs)) continue;
    const scopes = Array.isArray(rs.scopeSpans) ? rs.scopeSpans : Array.isArray(rs.instrumentationLibrarySpans) ? rs.instrumentationLibrarySpans : [];
    for (const ss of scopes) {
      if (!isObj(ss) || !Array.isArray(ss.spans)) continue;
      for (const span of ss.spans) if (isObj(span)) spans.push({ span, attrs: attributes(span.attributes) });
    }
  }
  return spans;
}

const VERCEL_OPS = new Set(["ai.generateText", "ai.generateObject", "ai.streamText", "ai.streamObject"]);

function isVercelSpan(span: Obj): boolean {
  const attrs = attributes(span.attributes);
  return VERCEL_OPS.has(String(attrs["ai.operationId"] ?? span.name));
}

function isGenAiSpan(attrs: Obj): boolean {
  return ["gen_ai.system", "gen_ai.provider.name", "gen_ai.operation.name", "gen_ai.request.model", "gen_ai.response.model"].some((k) => k in attrs);
}

function convertOtlp(format: "otel" | "vercel-ai", doc: unknown): Converted {
  const out: Converted = { traces: [] };
  if (!isObj(doc) || !Array.isArray(doc.resourceSpans)) {
    out.problem = "not an OTLP/JSON export: no resourceSpans";
    return out;
  }
  let n = 0;
  for (const s of otlpSpans(doc)) {
    n++;
    // A Vercel AI SDK call is read from its outer span (also when the file was detected as plain
    // OTel, its first line holding no Vercel span); its doGenerate/doStream children are the same call.
    if (isVercelSpan(s.span)) out.traces.push({ record: n, trace: vercelSpan(s) });
    else if (format === "otel" && isGenAiSpan(s.attrs) && !/^ai\..*\.do(Generate|Stream)$/.test(String(s.attrs["ai.operationId"] ?? s.span.name))) out.traces.push({ record: n, trace: genAiSpan(s) });
  }
  return out;
}

function spanTimes(span: Obj): { start?: number; end?: number } {
  return { start: timeMs(span.startTimeUnixNano, "ns"), end: timeMs(span.endTimeUnixNano, "ns") };
}

/** Indexed attributes `prefix.N.field` (the old gen_ai.prompt.0.role, gen_ai.prompt.0.content) as messages. */
function indexedMessages(attrs: Obj, prefix: string): Msg[] {
  const byIndex = new Map<number, Obj>();
  for (const [k, v] of Object.entries(attrs)) {
    const m = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)\\.(.+)$`).exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    const o = byIndex.get(i) ?? {};
    o[m[2]] = v;
    byIndex.set(i, o);
  }
  return [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, o]) => ({ role: typeof o.role === "string" ? o.role : "user", text: typeof o.content === "string" ? o.content : undefined }));
}

/** Messages from span events: gen_ai.{system,user,assistant,tool}.message and gen_ai.choice. */
function eventMessages(span: Obj): { input: Msg[]; choice: Msg | undefined } {
  const input: Msg[] = [];
  let choice: Msg | undefined;
  for (const ev of Array.isArray(span.events) ? span.events : []) {
    if (!isObj(ev) || typeof ev.name !== "string") continue;
    const a = attributes(ev.attributes);
    const body = isObj(ev.body) ? anyValue(ev.body) : undefined;
    const fields: Obj = isObj(body) ? body : a;
    const role = /^gen_ai\.(system|user|assistant|tool)\.message$/.exec(ev.name)?.[1];
    if (role) input.push({ role, text: contentText(fields.content) ?? (typeof fields.content === "string" ? fields.content : undefined) });
    else if (ev.name === "gen_ai.choice") {
      const msg = isObj(fields.message) ? fields.message : typeof fields.message === "string" ? parseMaybe(fields.message) : fields;
      choice = toMsg(isObj(msg) ? { role: "assistant", ...msg } : { role: "assistant", content: fields.content }) ?? undefined;
    } else if (ev.name === "gen_ai.content.prompt") input.push(...promptAttr(a["gen_ai.prompt"]));
    else if (ev.name === "gen_ai.content.completion") choice = completionAttr(a["gen_ai.completion"]);
  }
  return { input, choice };
}

/** The old `gen_ai.prompt` attribute: a JSON list of messages, or the prompt's text. */
function promptAttr(x: unknown): Msg[] {
  if (typeof x !== "string") return [];
  const msgs = toMsgs(x);
  return msgs.length > 0 ? msgs : [{ role: "user", text: x }];
}

function completionAttr(x: unknown): Msg | undefined {
  if (typeof x !== "string") return undefined;
  const msgs = toMsgs(x);
  return msgs.length > 0 ? msgs[msgs.length - 1] : { role: "assistant", text: x };
}

function genAiSpan({ span, attrs }: OtlpSpan): Candidate {
  let inMsgs = toMsgs(attrs["gen_ai.input.messages"]);
  let choice: Msg | undefined = toMsgs(attrs["gen_ai.output.messages"]).reverse()[0];
  if (inMsgs.length === 0) inMsgs = indexedMessages(attrs, "gen_ai.prompt");
  if (inMsgs.length === 0) inMsgs = promptAttr(attrs["gen_ai.prompt"]);
  choice ??= indexedMessages(attrs, "gen_ai.completion").reverse()[0] ?? completionAttr(attrs["gen_ai.completion"]);
  if (inMsgs.length === 0 || choice === undefined) {
    const ev = eventMessages(span);
    if (inMsgs.length === 0) inMsgs = ev.input;
    choice ??= ev.choice;
  }
  const instructions = attrs["gen_ai.system_instructions"];
  const system = instructions !== undefined ? (contentText(typeof instructions === "string" ? parseMaybe(instructions) : instructions) ?? instructions) : systemOf(inMsgs);
  const model = str(attrs["gen_ai.response.model"], attrs["gen_ai.request.model"]);
  const { start, end } = spanTimes(span);
  const user = lastUser(inMsgs);
  return candidate({
    bucket: derivedBucket("otel", str(attrs["gen_ai.request.model"], model), system, attrs["gen_ai.tool.definitions"] ?? attrs["gen_ai.request.tools"], attrs["gen_ai.output.type"] ?? attrs["gen_ai.openai.request.response_format"]),
    input: user === undefined ? undefined : parseMaybe(user),
    output: answer(choice),
    model,
    latencyMs: latency(start, end),
    tokensIn: num(attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.prompt_tokens"]) ?? 0,
    tokensOut: num(attrs["gen_ai.usage.output_tokens"], attrs["gen_ai.usage.completion_tokens"]) ?? 0,
    ts: isoOf(start),
  });
}

function vercelSpan({ span, attrs }: OtlpSpan): Candidate {
  const promptRaw = attrs["ai.prompt"];
  const prompt = typeof promptRaw === "string" ? parseMaybe(promptRaw) : promptRaw;
  let msgs = toMsgs(attrs["ai.prompt.messages"]);
  let system: string | undefined;
  let user: string | undefined;
  if (isObj(prompt)) {
    if (msgs.length === 0) msgs = toMsgs(prompt.messages);
    system = str(prompt.system);
    if (typeof prompt.prompt === "string") user = prompt.prompt;
  }
  system ??= systemOf(msgs);
  user ??= lastUser(msgs);
  const objectText = attrs["ai.response.object"] ?? attrs["ai.result.object"];
  const text = attrs["ai.response.text"] ?? attrs["ai.result.text"];
  const output = typeof objectText === "string" ? parseMaybe(objectText) : typeof text === "string" ? parseMaybe(text) : undefined;
  const model = str(attrs["ai.response.model"], attrs["ai.model.id"], attrs["gen_ai.response.model"], attrs["gen_ai.request.model"]);
  const functionId = str(attrs["ai.telemetry.functionId"], attrs["resource.name"]);
  const { start, end } = spanTimes(span);
  return candidate({
    bucket: functionId ? namedBucket("vercel", functionId) : derivedBucket("vercel", str(attrs["ai.model.id"], model), system, attrs["ai.prompt.tools"], attrs["ai.schema"] ?? attrs["ai.settings.output"]),
    input: user === undefined ? undefined : parseMaybe(user),
    output,
    model,
    latencyMs: latency(start, end),
    tokensIn: num(attrs["ai.usage.promptTokens"], attrs["ai.usage.inputTokens"], attrs["gen_ai.usage.input_tokens"]) ?? 0,
    tokensOut: num(attrs["ai.usage.completionTokens"], attrs["ai.usage.outputTokens"], attrs["gen_ai.usage.output_tokens"]) ?? 0,
    ts: isoOf(start),
  });
}
