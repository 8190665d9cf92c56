import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { closeSandboxes, compileBucket, parseTraces, scanRepo, type CompileResult } from "../../src/compiler/index.js";

const AGENT = "data/acme-agent";
const traces = parseTraces(readFileSync(`${AGENT}/traces/seed.jsonl`, "utf8"));

afterAll(() => closeSandboxes());

describe("the 250 seed traces", () => {
  const results = new Map<string, CompileResult>();
  const compileAll = async () => {
    if (results.size) return results;
    const { callSites } = await scanRepo(AGENT);
    for (const site of callSites) {
      results.set(site.bucket, await compileBucket(traces, { bucket: site.bucket, inputSchema: site.inputSchema, outputSchema: site.outputSchema, llm: false }));
    }
    return results;
  };

  it("holds 250 traces over four call sites", () => {
    expect(traces).toHaveLength(250);
    expect(new Set(traces.map((trace) => trace.bucket)).size).toBe(4);
  });

  it.each([
    ["acme:classify_lead_tier:v1", "decision_tree"],
    ["acme:route_ticket:v1", "keyword_list"],
    ["acme:normalize_country:v1", "lookup"],
  ])("compiles %s (%s) with oracle >= 0.90 on held-out traces", async (bucket, family) => {
    const result = (await compileAll()).get(bucket) as CompileResult;
    expect(result.verdict, result.reasons.join("; ")).toBe("compiled");
    expect(result.scores.oracle).toBeGreaterThanOrEqual(0.9);
    expect(result.scores.schema).toBeGreaterThanOrEqual(0.95);
    expect(result.scores.det).toBe(1);
    expect(result.family).toBe(family);
    expect(result.nHoldout).toBeGreaterThanOrEqual(15);
    expect(result.code).toMatch(/^export default function compiled\(input\) \{/m);
  });

  it("rejects the open-ended summarize_feedback with its scores and reasons", async () => {
    const result = (await compileAll()).get("acme:summarize_feedback:v1") as CompileResult;
    expect(result.verdict).toBe("rejected");
    expect(result.scores.oracle).toBeLessThan(0.5);
    expect(result.reasons.some((reason) => reason.startsWith("oracle"))).toBe(true);
  });

  it("is deterministic for a seed", async () => {
    const bucket = "acme:route_ticket:v1";
    const once = await compileBucket(traces, { bucket, llm: false });
    const twice = await compileBucket(traces, { bucket, llm: false });
    expect(twice.code).toBe(once.code);
    expect(twice.scores).toEqual(once.scores);
  });
});
