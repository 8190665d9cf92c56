import { afterAll, describe, expect, it } from "vitest";
import { freshInputs, generateBucket, groundTruth } from "../../data/acme-agent/scripts/generate-seed.js";
import { canonicalJson, closeSandboxes, compileBucket } from "../../src/compiler/index.js";
import { evaluateOnce } from "../../src/compiler/sandbox/localRunner.js";

afterAll(() => closeSandboxes());

const SITES = ["classify_lead_tier", "route_ticket", "normalize_country"];
const SEEDS = Array.from({ length: 20 }, (_, i) => 101 + i);
const TRACES = 200;
const FRESH = 1000;

describe("calibration against the generator's ground truth", () => {
  it("served answers on 1000 fresh inputs reach the claimed lower bound in >= 95 % of compiled or partial entries", async () => {
    const served: Array<{ site: string; seed: number; verdict: string; claimed: number; truth: number; answered: number }> = [];
    for (const site of SITES) {
      for (const seed of SEEDS) {
        const traces = generateBucket(site, seed, TRACES);
        const result = await compileBucket(traces, { bucket: traces[0].bucket, seed, llm: false, syntheticCount: 200 });
        if (result.verdict !== "compiled" && result.verdict !== "partial") continue;
        const inputs = freshInputs(site, seed, FRESH);
        const run = await evaluateOnce(result.code, inputs);
        const abstained = new Set(run.abstained);
        const failed = new Set(run.failed);
        let answered = 0;
        let right = 0;
        inputs.forEach((input, i) => {
          if (abstained.has(i)) return;
          answered++;
          if (!failed.has(i) && canonicalJson(run.outputs[i]) === canonicalJson(groundTruth(site, input))) right++;
        });
        served.push({ site, seed, verdict: result.verdict, claimed: result.selective.lowerBound, truth: answered ? right / answered : 1, answered });
      }
    }
    // Not vacuous: the generator's call sites do get served at this size.
    expect(served.length).toBeGreaterThanOrEqual(10);
    const below = served.filter((entry) => entry.truth < entry.claimed);
    expect(below.length, JSON.stringify(below)).toBeLessThanOrEqual(Math.floor(served.length * 0.05));
  }, 300_000);
});
