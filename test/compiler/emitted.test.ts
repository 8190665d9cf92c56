import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson, checkAllowlist, closeSandboxes, compileBucket, groupByBucket, parseTraces, scanRepo, synthesize, syntheticInputs } from "../../src/compiler/index.js";
import { validatorFor } from "../../src/compiler/schema.js";
import { evaluateOnce } from "../../src/compiler/sandbox/localRunner.js";

const AGENT = "data/acme-agent";
const traces = parseTraces(readFileSync(`${AGENT}/traces/seed.jsonl`, "utf8"));
const groups = groupByBucket(traces);

afterAll(() => closeSandboxes());

describe("emitted programs on the seed buckets", () => {
  it.each([...groups.keys()])("%s: the sandboxed JS answers exactly what selection scored, on 1000 synthetic inputs", async (bucket) => {
    const { callSites } = await scanRepo(AGENT);
    const site = callSites.find((candidate) => candidate.bucket === bucket);
    const mine = groups.get(bucket) ?? [];
    const synthesis = synthesize(mine, { bucket, seed: 3 });
    expect(checkAllowlist(synthesis.code)).toEqual({ ok: true });
    const inputs = syntheticInputs(
      mine.map((trace) => trace.input),
      site?.inputSchema ?? {},
      1000,
      3,
    );
    const run = await evaluateOnce(synthesis.code, inputs);
    expect(run.errors).toBe(0);
    const mismatches = inputs.filter((input, i) => canonicalJson(run.outputs[i]) !== synthesis.predict(input));
    expect(mismatches).toEqual([]);
  });
});

describe("synthetic stage-2 inputs", () => {
  it("are 1000, within the input schema, seeded, and mutate what was observed", async () => {
    const { callSites } = await scanRepo(AGENT);
    const site = callSites.find((candidate) => candidate.name === "classify_lead_tier");
    const observed = (groups.get("acme:classify_lead_tier:v1") ?? []).map((trace) => trace.input);
    const inputs = syntheticInputs(observed, site?.inputSchema ?? {}, 1000, 1);
    expect(inputs).toHaveLength(1000);
    const validate = validatorFor(site?.inputSchema ?? {});
    expect(inputs.every((input) => validate(input))).toBe(true);
    expect(syntheticInputs(observed, site?.inputSchema ?? {}, 1000, 1)).toEqual(inputs);
    const seen = new Set(observed.map((input) => canonicalJson(input)));
    expect(inputs.filter((input) => !seen.has(canonicalJson(input))).length).toBeGreaterThan(800);
    const maxBudget = Math.max(...observed.map((input) => (input as { budgetUsd: number }).budgetUsd));
    expect(inputs.some((input) => (input as { budgetUsd: number }).budgetUsd > maxBudget)).toBe(true);
    const companies = new Set(observed.map((input) => (input as { company: string }).company));
    expect(inputs.some((input) => !companies.has((input as { company: string }).company))).toBe(true);
  });
});

describe("the seed compiles whatever the split", () => {
  it.each([2, 3, 4, 5])("split seed %i: the three compilable call sites compile, the open-ended one does not", async (seed) => {
    const verdicts: Record<string, string> = {};
    for (const bucket of groups.keys()) verdicts[bucket] = (await compileBucket(traces, { bucket, seed, llm: false })).verdict;
    expect(verdicts).toEqual({
      "acme:classify_lead_tier:v1": "compiled",
      "acme:route_ticket:v1": "compiled",
      "acme:normalize_country:v1": "compiled",
      "acme:summarize_feedback:v1": "rejected",
    });
  });
});
