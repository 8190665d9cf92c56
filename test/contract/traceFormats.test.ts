import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileBucket, closeSandboxes } from "../../src/compiler/index.js";
import { derivedBucket, detectRecord, TRACE_FORMATS, type TraceFormat } from "../../src/contract/traceFormats.js";
import { loadTraceFile, readTraceFile, TraceFormatError, UnknownTraceFormatError } from "../../src/contract/traceReader.js";
import type { CheckedTrace } from "../../convex/lib/traceShape.js";
import { readSeedFile } from "../../src/worker/seed.js";

/**
 * The one trace reader on each foreign format: one fixture per format, written by hand from the
 * format's public description (test/fixtures/formats/), each holding the same four calls of one call
 * site (a sentiment classifier). Each reads to the traces its JSON Lines twin holds, and compiles to
 * the same verdicts.
 */
const FIXTURES = "test/fixtures/formats";
const SYSTEM = "Classify the sentiment of the text.";
/** The four calls, as our JSON Lines would hold them (bucket and model per format). */
const CALLS = [
  { input: { text: "I love it" }, output: { label: "positive" }, latencyMs: 420, tokensIn: 31, tokensOut: 6, ts: "2026-11-30T09:00:00.000Z" },
  { input: { text: "Terrible service" }, output: { label: "negative" }, latencyMs: 380, tokensIn: 30, tokensOut: 6, ts: "2026-11-30T09:01:00.000Z" },
  { input: { text: "It is fine" }, output: { label: "neutral" }, latencyMs: 400, tokensIn: 29, tokensOut: 6, ts: "2026-11-30T09:02:00.000Z" },
  { input: { text: "Best purchase ever" }, output: { label: "positive" }, latencyMs: 450, tokensIn: 32, tokensOut: 6, ts: "2026-11-30T09:03:00.000Z" },
];
const CASES: { format: Exclude<TraceFormat, "jsonl">; bucket: string; model: string }[] = [
  // No name in OTel spans: model, system prompt, tools and response format make the bucket.
  { format: "otel", bucket: derivedBucket("otel", "gpt-4o-mini", `${SYSTEM} Answer JSON {"label": positive|negative|neutral}.`, undefined, undefined), model: "gpt-4o-mini" },
  { format: "vercel-ai", bucket: "vercel:classify_sentiment:v1", model: "gpt-4o-mini" },
  { format: "langfuse", bucket: "langfuse:classify_sentiment:v3", model: "gpt-4o-mini" },
  { format: "helicone", bucket: derivedBucket("helicone", "gpt-4o-mini", SYSTEM, undefined, { type: "json_object" }), model: "gpt-4o-mini-2024-07-18" },
  { format: "openpipe", bucket: "openpipe:classify_sentiment:v1", model: "gpt-4o-mini" },
];
const dir = mkdtempSync(path.join(tmpdir(), "formats-test-"));
let n = 0;
const tempFile = (text: string, name = `t${n++}.jsonl`): string => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
/** The JSON Lines twin of a fixture: the same calls in our own format. */
const twinLines = (c: (typeof CASES)[number]) => CALLS.map((call) => ({ bucket: c.bucket, model: c.model, ...call }));
/** What the reader gives for the twin (and so for the fixture): times as ms since the epoch. */
const twin = (c: (typeof CASES)[number]): CheckedTrace[] => twinLines(c).map((t) => ({ ...t, ts: Date.parse(t.ts) }));
const twinFile = (c: (typeof CASES)[number]): string => tempFile(`${twinLines(c).map((t) => JSON.stringify(t)).join("\n")}\n`, `${c.format}.twin.jsonl`);

describe("the trace reader on real formats", () => {
  it("derives a readable bucket that passes the trace rules, a new one when the prompt changes", () => {
    const a = derivedBucket("otel", "gpt-4o-mini", SYSTEM, undefined, undefined);
    expect(a).toMatch(/^otel:gpt_4o_mini_[0-9a-f]{8}:v1$/);
    expect(derivedBucket("otel", "gpt-4o-mini", `${SYSTEM} Be brief.`, undefined, undefined)).not.toBe(a);
    expect(derivedBucket("otel", "gpt-4o-mini", SYSTEM, [{ name: "lookup" }], undefined)).not.toBe(a);
    expect(derivedBucket("otel", "gpt-4o-mini", SYSTEM, undefined, { type: "json_object" })).not.toBe(a);
  });

  for (const c of CASES) {
    const fixture = path.join(FIXTURES, `${c.format}.jsonl`);
    it(`${c.format}: detects the format and reads the fixture to its JSON Lines twin`, async () => {
      expect(await loadTraceFile(fixture)).toEqual(twin(c));
      expect(await loadTraceFile(fixture, { format: c.format })).toEqual(twin(c));
      // Vercel AI SDK spans are OTel spans: read as plain OTel, each call is still read once, from its outer span
      if (c.format === "vercel-ai") expect(await loadTraceFile(fixture, { format: "otel" })).toEqual(twin(c));
      expect(await loadTraceFile(twinFile(c))).toEqual(twin(c));
      // seed --file reads through the same reader
      const seeded = await readSeedFile(fixture);
      expect(seeded.map((t) => [t.bucket, t.input, t.output, t.model, t.ts])).toEqual(twin(c).map((t) => [t.bucket, t.input, t.output, t.model, t.ts]));
    });
  }

  it("compile gives the same verdicts on each fixture as on its JSON Lines twin", async () => {
    try {
      for (const c of CASES) {
        const fromFixture = await compileBucket(await loadTraceFile(path.join(FIXTURES, `${c.format}.jsonl`)), { bucket: c.bucket, seed: 1 });
        const fromTwin = await compileBucket(await loadTraceFile(twinFile(c)), { bucket: c.bucket, seed: 1 });
        expect({ verdict: fromFixture.verdict, scores: fromFixture.scores, reasons: fromFixture.reasons, code: fromFixture.code }, c.format).toEqual({
          verdict: fromTwin.verdict,
          scores: fromTwin.scores,
          reasons: fromTwin.reasons,
          code: fromTwin.code,
        });
      }
    } finally {
      await closeSandboxes();
    }
  }, 120_000);

  it("detects each format from its first record, and our own JSON Lines", () => {
    expect(detectRecord({ resourceSpans: [] })).toBe("otel");
    expect(detectRecord({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: "ai.generateText", attributes: [] }] }] }] })).toBe("vercel-ai");
    expect(detectRecord({ type: "GENERATION", traceId: "t", startTime: "2026-11-30T09:00:00Z" })).toBe("langfuse");
    expect(detectRecord({ request_id: "r", request_created_at: "2026-11-30 09:00:00", request_body: {} })).toBe("helicone");
    expect(detectRecord({ req_payload: {}, resp_payload: {}, tags: {} })).toBe("openpipe");
    expect(detectRecord({ bucket: "a:b:v1", input: 1 })).toBe("jsonl");
    expect(detectRecord({ hello: "world" })).toBeNull();
    expect(TRACE_FORMATS).toEqual(["jsonl", "otel", "vercel-ai", "langfuse", "helicone", "openpipe"]);
  });

  it("reads a pretty-printed whole-file document (an OTLP export, a JSON array of observations)", async () => {
    const { readFileSync } = await import("node:fs");
    const otlp = readFileSync(path.join(FIXTURES, "otel.jsonl"), "utf8").split("\n")[0];
    const pretty = tempFile(JSON.stringify(JSON.parse(otlp), null, 2));
    expect((await loadTraceFile(pretty)).map((t) => t.input)).toEqual([CALLS[0].input, CALLS[1].input]);
    const observations = readFileSync(path.join(FIXTURES, "langfuse.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(await loadTraceFile(tempFile(JSON.stringify(observations, null, 2)))).toEqual(twin(CASES[2]));
  });

  it("names each bad record file:line (and span), through the one validator", async () => {
    const lines = (await import("node:fs")).readFileSync(path.join(FIXTURES, "helicone.jsonl"), "utf8").trim().split("\n");
    const noModel = JSON.parse(lines[1]) as Record<string, unknown>;
    for (const k of ["model", "request_model", "response_model"]) delete noModel[k];
    delete (noModel.request_body as Record<string, unknown>).model;
    delete (noModel.response_body as Record<string, unknown>).model;
    const bad = tempFile(`${lines[0]}\n${JSON.stringify(noModel)}\n{oops\n`);
    const err = await loadTraceFile(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceFormatError);
    expect((err as TraceFormatError).listing()).toEqual([`${bad}:2: model: missing: the model's name, a string`, expect.stringMatching(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: not valid JSON`))]);

    const otlp = (await import("node:fs")).readFileSync(path.join(FIXTURES, "otel.jsonl"), "utf8").split("\n")[0].replace('"intValue":"31"', '"intValue":"-31"').replace(/"endTimeUnixNano":"1796029260380000000"/, '"endTimeUnixNano":"1796029259000000000"');
    const badSpan = tempFile(`${otlp}\n`);
    const spanErr = (await loadTraceFile(badSpan).catch((e: unknown) => e)) as TraceFormatError;
    // span 2 reports -31 tokens; span 3 ends before it starts: no latency
    expect(spanErr.listing()).toEqual([`${badSpan}:1: span 2: tokensIn: must be a finite number >= 0, got -31`, `${badSpan}:1: span 3: latencyMs: missing: a finite number >= 0`]);
  });

  it("reads the older OTel shapes: gen_ai.content.prompt/completion events, a JSON gen_ai.prompt, tool calls as the answer", async () => {
    const attr = (key: string, value: unknown) => ({ key, value: typeof value === "number" ? { intValue: String(value) } : { stringValue: value } });
    const span = (start: number, attributes: unknown[], events: unknown[] = []) => ({ name: "chat", startTimeUnixNano: `${start}000000`, endTimeUnixNano: `${start + 250}000000`, attributes, events });
    const t0 = Date.parse("2026-11-30T10:00:00Z");
    const doc = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                span(t0, [attr("gen_ai.system", "openai"), attr("gen_ai.request.model", "gpt-4o")], [
                  { name: "gen_ai.content.prompt", attributes: [attr("gen_ai.prompt", JSON.stringify([{ role: "system", content: "Route." }, { role: "user", content: "refund please" }]))] },
                  { name: "gen_ai.content.completion", attributes: [attr("gen_ai.completion", JSON.stringify([{ role: "assistant", content: "billing" }]))] },
                ]),
                span(t0 + 1000, [
                  attr("gen_ai.system", "openai"),
                  attr("gen_ai.request.model", "gpt-4o"),
                  attr("gen_ai.prompt", "what is 2+2?"),
                  attr("gen_ai.completion", "4"),
                  attr("gen_ai.usage.prompt_tokens", 12),
                ]),
                span(t0 + 2000, [
                  attr("gen_ai.operation.name", "chat"),
                  attr("gen_ai.request.model", "gpt-4o"),
                  attr("gen_ai.input.messages", JSON.stringify([{ role: "user", parts: [{ type: "text", content: "weather in Paris" }] }])),
                  attr("gen_ai.output.messages", JSON.stringify([{ role: "assistant", tool_calls: [{ function: { name: "weather", arguments: '{"city":"Paris"}' } }] }])),
                ]),
              ],
            },
          ],
        },
      ],
    };
    const traces = await loadTraceFile(tempFile(`${JSON.stringify(doc)}\n`));
    expect(traces.map((t) => [t.input, t.output, t.model, t.latencyMs, t.tokensIn, t.ts])).toEqual([
      ["refund please", "billing", "gpt-4o", 250, 0, Date.parse("2026-11-30T10:00:00.000Z")],
      ["what is 2+2?", 4, "gpt-4o", 250, 12, Date.parse("2026-11-30T10:00:01.000Z")],
      ["weather in Paris", [{ name: "weather", arguments: { city: "Paris" } }], "gpt-4o", 250, 0, Date.parse("2026-11-30T10:00:02.000Z")],
    ]);
    // the system prompt "Route." makes the first call its own bucket
    expect(new Set(traces.map((t) => t.bucket)).size).toBe(2);
    expect(traces[0].bucket).toBe(derivedBucket("otel", "gpt-4o", "Route.", undefined, undefined));
  });

  it("refuses a file in no known format with a one-line reason", async () => {
    const unknown = tempFile('{"hello":"world","answer":42}\n');
    const err = await collect(unknown).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownTraceFormatError);
    expect((err as Error).message).toBe(`${unknown}: unknown trace format (the first record has fields hello, answer); name it with --format jsonl|otel|vercel-ai|langfuse|helicone|openpipe`);
    // named, it is read in that format: here as our JSON Lines, which names the missing fields
    expect(await loadTraceFile(unknown, { format: "jsonl" }).catch((e: unknown) => (e as TraceFormatError).listing()[0])).toMatch(/:1: bucket: missing/);
  });
});

async function collect(file: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of readTraceFile(file)) out.push(e);
  return out;
}
