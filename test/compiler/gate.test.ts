import { afterAll, describe, expect, it } from "vitest";
import { closeSandboxes, compileBucket, DEFAULT_GATE, wilsonLowerBound, type CompileResult } from "../../src/compiler/index.js";
import { decide } from "../../src/compiler/gate.js";
import { binomialUpperTail, mcnemarOneSided, wilsonInterval } from "../../src/compiler/stats.js";
import { inputIndependent, learnableRule, oneThreshold, rng, triage } from "./datasets.js";

afterAll(() => closeSandboxes());

/** Property loops need the verdict, not a thousand synthetic inputs each. */
const FAST = { llm: false as const, syntheticCount: 200 };
const served = (result: CompileResult) => result.verdict === "compiled" || result.verdict === "partial";

describe("the gate on data the Acme generator did not make", () => {
  it("never serves input-independent labels: 100 random buckets, n 30..300, majority share 0.5..0.95", async () => {
    const random = rng(2026);
    const outcomes: Array<{ n: number; share: number; verdict: string }> = [];
    for (let bucket = 0; bucket < 100; bucket++) {
      const n = 30 + Math.floor(random() * 271);
      const share = 0.5 + random() * 0.45;
      const traces = inputIndependent(n, share, 1000 + bucket);
      const result = await compileBucket(traces, { bucket: traces[0].bucket, ...FAST });
      outcomes.push({ n, share: Number(share.toFixed(2)), verdict: result.verdict });
    }
    expect(outcomes.filter((outcome) => outcome.verdict === "compiled" || outcome.verdict === "partial")).toEqual([]);
  }, 240_000);

  it("compiles the two-field ticket triage (topic words; urgency > outage > low; 2 % noise; 400 traces)", async () => {
    const result = await compileBucket(triage(400), { bucket: "test:triage:v1", llm: false });
    expect(result.verdict, result.reasons.join("; ")).toBe("compiled");
    expect(result.family).toMatch(/^composition\(team: .+, priority: .+\)$/);
  }, 60_000);

  it("serves the triage rule on other generator seeds too, never below the agreement threshold", async () => {
    const results = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) results.push(await compileBucket(triage(400, 0.02, seed), { bucket: "test:triage:v1", ...FAST }));
    for (const result of results) {
      expect(served(result), result.reasons.join("; ")).toBe(true);
      expect(result.selective.rate).toBeGreaterThanOrEqual(DEFAULT_GATE.agreement);
    }
    expect(results.filter((result) => result.verdict === "compiled").length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it("keeps a 27-trace bucket of the easiest rule waiting, never compiled (seeds 1..8)", async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const result = await compileBucket(oneThreshold(27, seed), { bucket: "test:threshold:v1", ...FAST });
      expect(result.verdict, `seed ${seed}: ${result.reasons.join("; ")}`).toBe("waiting");
      expect(result.reasons.length).toBeGreaterThan(0);
    }
  }, 60_000);

  it("compiles the same rule once there is evidence", async () => {
    const result = await compileBucket(oneThreshold(200), { bucket: "test:threshold:v1", llm: false });
    expect(result.verdict, result.reasons.join("; ")).toBe("compiled");
    // Integer amounts: any threshold in (49, 50] is the rule.
    const threshold = Number(/input\.amount >= ([\d.]+)/.exec(result.code)?.[1]);
    expect(threshold).toBeGreaterThan(49);
    expect(threshold).toBeLessThanOrEqual(50);
  }, 60_000);

  it("names the baseline's own counts in the reason when there is no lift", async () => {
    // 97 % one answer: always answering it beats abstaining, so a function answers, but with no lift.
    const traces = inputIndependent(200, 0.97, 7);
    const result = await compileBucket(traces, { bucket: traces[0].bucket, ...FAST });
    expect(result.verdict).toBe("rejected");
    const reason = result.reasons.find((text) => text.startsWith("no better than always answering"));
    expect(reason, result.reasons.join("; ")).toBeDefined();
    const [, right, of] = /that constant is right on (\d+) of (\d+) later calls/.exec(reason as string) ?? [];
    expect(Number(of)).toBe(result.coverage.n);
    expect(Number(right) / Number(of)).toBeCloseTo(result.baseline, 2);
  }, 60_000);

  it("takes its thresholds from options", async () => {
    const traces = learnableRule(300, 0.05);
    const strict = await compileBucket(traces, { bucket: "test:approve:v1", ...FAST, gate: { agreementLowerBound: 0.99 } });
    expect(strict.verdict).not.toBe("compiled");
    expect(strict.reasons.join(" ")).toMatch(/lower bound [\d.]+ < 0\.99:/);
  }, 60_000);

  it("rejects a bucket with too few traces, saying so", async () => {
    const result = await compileBucket(learnableRule(6, 0), { bucket: "test:approve:v1", llm: false });
    expect(result.verdict).toBe("rejected");
    expect(result.reasons[0]).toMatch(/only 6 traces/);
  });
});

describe("the gate's rules, on counts", () => {
  const base = {
    schema: { ok: 100, n: 100 },
    det: { ok: 100, n: 100 },
    robustness: { ok: 100, n: 100 },
    allSame: false,
    commonAnswer: '"yes"',
    sandboxErrors: { count: 0 },
    mismatches: 0,
  };
  const evaluation = (evaluated: number, answered: number, correct: number, baselineCorrect: number, wins: number, losses: number) => ({ evaluated, answered, correct, baselineCorrect, wins, losses });

  it("compiled, partial, waiting and rejected from coverage, agreement, its bound and the lift", () => {
    expect(decide({ ...base, evaluation: evaluation(200, 198, 190, 80, 110, 0) }, DEFAULT_GATE).verdict).toBe("compiled");
    expect(decide({ ...base, evaluation: evaluation(200, 100, 97, 40, 57, 0) }, DEFAULT_GATE).verdict).toBe("partial");
    expect(decide({ ...base, evaluation: evaluation(14, 14, 14, 5, 9, 0) }, DEFAULT_GATE).verdict).toBe("waiting");
    expect(decide({ ...base, evaluation: evaluation(200, 200, 150, 80, 70, 0) }, DEFAULT_GATE).verdict).toBe("rejected");
    expect(decide({ ...base, evaluation: evaluation(200, 200, 190, 190, 0, 0) }, DEFAULT_GATE).verdict).toBe("rejected");
    expect(decide({ ...base, allSame: true, evaluation: evaluation(200, 200, 200, 200, 0, 0) }, DEFAULT_GATE).verdict).toBe("compiled");
  });

  it("a failed axis rejects with its counts", () => {
    const outcome = decide({ ...base, robustness: { ok: 90, n: 100 }, evaluation: evaluation(200, 198, 190, 80, 110, 0) }, DEFAULT_GATE);
    expect(outcome.verdict).toBe("rejected");
    expect(outcome.reasons).toEqual([expect.stringMatching(/^robustness 0\.9 < 0\.95: .*\(90 of 100\)$/)]);
  });

  it("Wilson bounds, the binomial tail and McNemar's exact test", () => {
    expect(wilsonLowerBound(16, 16)).toBeGreaterThan(0.8);
    expect(wilsonLowerBound(15, 15)).toBeLessThan(0.8);
    const { lower, upper } = wilsonInterval(45, 50);
    expect(lower).toBeLessThan(0.9);
    expect(upper).toBeGreaterThan(0.9);
    expect(binomialUpperTail(3, 3, 0.5)).toBeCloseTo(0.125, 10);
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(mcnemarOneSided(5, 0)).toBeCloseTo(1 / 32, 10);
    expect(mcnemarOneSided(0, 0)).toBe(1);
  });
});
