import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson, checkAllowlist, closeSandboxes, scanRepo, synthesize, syntheticInputs } from "../../src/compiler/index.js";
import { groupByBucket, parseTraces } from "../../src/contract/traceReader.js";
import { validatorFor } from "../../src/compiler/schema.js";
import { evaluateOnce } from "../../src/compiler/sandbox/localRunner.js";

const AGENT = "data/acme-agent";
const traces = parseTraces(readFileSync(`${AGENT}/traces/seed.jsonl`, "utf8"));
const groups = groupByBucket(traces);

afterAll(() => closeSandboxes());

describe("emitted programs on the seed buckets", () => {
  it.each([...groups.keys()])("%s: the sandboxed JS answers exactly what the learned program answers, abstentions included", async (bucket) => {
    const { callSites } = await scanRepo(AGENT);
    const site = callSites.find((candidate) => candidate.bucket === bucket);
    const mine = groups.get(bucket) ?? [];
    const synthesis = synthesize(mine, { bucket, seed: 3 });
    expect(checkAllowlist(synthesis.code)).toEqual({ ok: true });
    const synthetic = syntheticInputs(
      mine.map((trace) => trace.input),
      site?.inputSchema ?? {},
      1000,
      3,
    );
    // 1000 new inputs where the input space allows that many, then every recorded input.
    expect(synthetic.length).toBeGreaterThan(0);
    const inputs = [...synthetic, ...mine.map((trace) => trace.input)];
    const run = await evaluateOnce(synthesis.code, inputs);
    expect(run.errors, run.firstError).toBe(0);
    const abstained = new Set(run.abstained);
    const sandboxed = inputs.map((_, i) => (abstained.has(i) ? undefined : canonicalJson(run.outputs[i])));
    const mismatches = inputs.flatMap((input, i) => (sandboxed[i] === synthesis.predict(input) ? [] : [{ input, sandboxed: sandboxed[i] ?? "(abstained)", predicted: synthesis.predict(input) ?? "(abstained)" }]));
    expect(mismatches).toEqual([]);
  });
});

describe("synthetic stage-2 inputs", () => {
  it("are 1000, within the input schema, seeded, distinct, never observed, and mutate what was observed", async () => {
    const { callSites } = await scanRepo(AGENT);
    const site = callSites.find((candidate) => candidate.name === "classify_lead_tier");
    const observed = (groups.get("acme:classify_lead_tier:v1") ?? []).map((trace) => trace.input);
    const inputs = syntheticInputs(observed, site?.inputSchema ?? {}, 1000, 1);
    expect(inputs).toHaveLength(1000);
    const validate = validatorFor(site?.inputSchema ?? {});
    expect(inputs.every((input) => validate(input))).toBe(true);
    expect(syntheticInputs(observed, site?.inputSchema ?? {}, 1000, 1)).toEqual(inputs);
    expect(syntheticInputs(observed, site?.inputSchema ?? {}, 1000, 2)).not.toEqual(inputs);
    // Genuinely new: no two alike, none a copy of a recorded input.
    const seen = new Set(observed.map((input) => canonicalJson(input)));
    expect(new Set(inputs.map((input) => canonicalJson(input))).size).toBe(1000);
    expect(inputs.filter((input) => seen.has(canonicalJson(input)))).toEqual([]);
    const maxBudget = Math.max(...observed.map((input) => (input as { budgetUsd: number }).budgetUsd));
    expect(inputs.some((input) => (input as { budgetUsd: number }).budgetUsd > maxBudget)).toBe(true);
    const companies = new Set(observed.map((input) => (input as { company: string }).company));
    expect(inputs.some((input) => !companies.has((input as { company: string }).company))).toBe(true);
  });

  it("stop short of the count rather than repeat an input when the input space is small", () => {
    const observed = ["a", "b"].flatMap((plan) => [true, false].map((flag) => ({ plan, flag })));
    const schema = { type: "object", properties: { plan: { enum: ["a", "b"] }, flag: { type: "boolean" } }, required: ["plan", "flag"] };
    // Every input the schema allows was observed: nothing new is left to draw.
    expect(syntheticInputs(observed, schema, 1000, 1)).toEqual([]);
  });
});
