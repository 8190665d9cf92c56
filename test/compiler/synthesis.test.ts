import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson, closeSandboxes, synthesize } from "../../src/compiler/index.js";
import { evaluateOnce } from "../../src/compiler/sandbox/localRunner.js";
import { roundThreshold } from "../../src/compiler/families/roundThreshold.js";
import { learnableRule, rng, trace } from "./datasets.js";

afterAll(() => closeSandboxes());

/** The emitted JS must answer exactly what the in-process model answered during selection. */
async function expectEmittedMatchesModel(train: Array<{ input: unknown; output: unknown }>, probes: unknown[]) {
  const synthesis = synthesize(train, { bucket: "test", seed: 1 });
  const run = await evaluateOnce(synthesis.code, probes);
  expect(run.errors).toBe(0);
  probes.forEach((probe, i) => expect(canonicalJson(run.outputs[i])).toBe(synthesis.predict(probe)));
  return synthesis;
}

describe("synthesis families", () => {
  it("picks a constant when every answer is the same", () => {
    const train = Array.from({ length: 30 }, (_, i) => trace("t", { x: i }, "same", i));
    expect(synthesize(train, { bucket: "t", seed: 1 }).family).toBe("constant");
  });

  it("finds a field transform", async () => {
    const random = rng(2);
    const train = Array.from({ length: 40 }, (_, i) => trace("t", { name: `  User${Math.floor(random() * 1000)} ` }, null, i)).map((t) => ({ ...t, output: (t.input as { name: string }).name.trim().toLowerCase() }));
    const synthesis = await expectEmittedMatchesModel(train, [{ name: " MiXeD " }, { name: "" }, {}]);
    expect(synthesis.family).toBe("field_copy");
    expect(synthesis.code).toMatch(/\.trim\(\)\.toLowerCase\(\)/);
  });

  it("learns a normalised lookup table", async () => {
    const spellings: Array<[string, string]> = [["U.S.A.", "US"], ["usa", "US"], ["United Kingdom", "GB"], ["united kingdom ", "GB"], ["France", "FR"], ["FRANCE.", "FR"]];
    const train = Array.from({ length: 60 }, (_, i) => trace("t", { country: spellings[i % 6][0] }, { code: spellings[i % 6][1] }, i));
    const synthesis = await expectEmittedMatchesModel(train, [{ country: " u s a " }, { country: "Narnia" }, { country: "__proto__" }, { country: "constructor" }]);
    expect(synthesis.family).toBe("lookup");
    expect(synthesis.code).toMatch(/compactKey\(input\.country\)/);
  });

  it("breaks a tie in a lookup key toward the answer no other key owns", () => {
    const rows: Array<[string, string]> = [["germany", "DE"], ["germany", "DE"], ["germany", "DE"], ["france", "FR"], ["france", "FR"], ["india", "IN"], ["india", "DE"]];
    const train = Array.from({ length: 42 }, (_, i) => trace("t", { country: rows[i % rows.length][0] }, rows[i % rows.length][1], i));
    const synthesis = synthesize(train, { bucket: "t", seed: 1 });
    expect(synthesis.family).toBe("lookup");
    expect(synthesis.predict({ country: "India" })).toBe('"IN"');
  });

  it("learns a keyword decision list over text", async () => {
    const random = rng(4);
    const topics: Array<[string, string]> = [["refund", "billing"], ["invoice", "billing"], ["crash", "technical"], ["error", "technical"], ["password", "account"]];
    const filler = ["please", "help", "today", "our", "team", "the", "with"];
    const train = Array.from({ length: 120 }, (_, i) => {
      const [word, queue] = topics[Math.floor(random() * topics.length)];
      const text = [filler[Math.floor(random() * 7)], word, filler[Math.floor(random() * 7)], filler[Math.floor(random() * 7)]].join(" ");
      return trace("t", { text }, queue, i);
    });
    const synthesis = await expectEmittedMatchesModel(train, [{ text: "REFUND now!" }, { text: "nothing known" }, { text: "crash, error" }]);
    expect(["keyword_list", "decision_tree"]).toContain(synthesis.family);
    expect(synthesis.code).toMatch(/words\.includes\("refund"\)/);
  });

  it("learns a decision tree with round thresholds, and the emitted code agrees with it", async () => {
    const train = learnableRule(300, 0.03);
    const probes = Array.from({ length: 50 }, (_, i) => ({ score: i * 3 - 20, plan: ["free", "pro", "gold"][i % 3] }));
    const synthesis = await expectEmittedMatchesModel(train, probes);
    expect(synthesis.family).toBe("decision_tree");
    expect(synthesis.code).toMatch(/\/\/ \d+ of \d+ train traces/);
  });

  it("composes object answers field by field", async () => {
    const random = rng(8);
    const regions: Record<string, string> = { us: "NA", ca: "NA", de: "EMEA", fr: "EMEA", jp: "APAC", in: "APAC" };
    const countries = Object.keys(regions);
    const train = Array.from({ length: 150 }, (_, i) => {
      const input = { amount: Math.floor(random() * 1000), seats: Math.floor(random() * 40), country: countries[Math.floor(random() * 6)] };
      return trace("t", input, { large: input.amount >= 500, team: input.seats >= 10 ? "team" : "solo", region: regions[input.country] }, i);
    });
    const synthesis = await expectEmittedMatchesModel(train, [{ amount: 499, seats: 3, country: "us" }, { amount: 501, seats: 30, country: "jp" }]);
    expect(synthesis.family).toMatch(/^composition\(large: decision_tree, team: decision_tree, region: (lookup|decision_tree)\)$/);
    expect(synthesis.code).toMatch(/return \{ large: large\(input\), team: team\(input\), region: region\(input\) \};/);
    expect(synthesis.cvAgreement).toBeGreaterThan(0.95);
  });

  it("rounds thresholds without moving any example across them", () => {
    expect(roundThreshold(39_000, 41_500)).toBe(40_000);
    expect(roundThreshold(147, 152)).toBe(150);
    expect(roundThreshold(0.31, 0.34)).toBe(0.325);
    const t = roundThreshold(12.3, 12.31);
    expect(t).toBeGreaterThan(12.3);
    expect(t).toBeLessThanOrEqual(12.31);
  });
});
