import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { DRIFT_TEST, driftFromChecks, driftStep, initialDriftState, updateDrift, type DriftState } from "../../convex/lib/drift.js";

/** mulberry32: a seeded stream, so every run of this suite sees the same checks. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stream(agreement: number, checks: number, seed: number): boolean[] {
  const random = mulberry32(seed);
  return Array.from({ length: checks }, () => random() < agreement);
}

/** The 1-based check at which the test demotes, or null. */
function demotedAt(checks: Iterable<boolean>): number | null {
  let state = initialDriftState();
  let at = 0;
  for (const agree of checks) {
    at++;
    const update = updateDrift(state, agree);
    state = update.state;
    if (update.demote) return at;
  }
  return null;
}

const SEEDS = Array.from({ length: 100 }, (_, i) => 7919 * (i + 1));

describe("DRIFT_TEST", () => {
  it("is Wald's upper boundary for its alpha and beta, and drifts to demotion below the gate's 0.90 bar", () => {
    const { p0, p1, alpha, beta, h } = DRIFT_TEST;
    expect(p1).toBeLessThan(p0);
    expect(h).toBeCloseTo(Math.log((1 - beta) / alpha), 12);
    const drift = (agreement: number) => agreement * driftStep(true) + (1 - agreement) * driftStep(false);
    expect(drift(0.95)).toBeLessThan(0);
    expect(drift(0.92)).toBeLessThan(0);
    expect(drift(0.9)).toBeGreaterThan(0);
    expect(drift(0.8)).toBeGreaterThan(0);
  });
});

describe("updateDrift", () => {
  it("rarely demotes a stream at agreement 0.99 over 2,000 checks", () => {
    // At 0.99 the expected CUSUM step is -0.10 nats; a false demotion within 2,000 checks has a
    // probability far below 1e-6, so with 100 fixed seeds the count is 0 (allowing 1 as margin).
    const demoted = SEEDS.filter((seed) => demotedAt(stream(0.99, 2000, seed)) !== null).length;
    expect(demoted).toBeLessThanOrEqual(1);
  });

  it("rarely demotes a stable entry at 0.97 over 2,000 checks", () => {
    const demoted = SEEDS.filter((seed) => demotedAt(stream(0.97, 2000, seed)) !== null).length;
    expect(demoted).toBeLessThanOrEqual(2);
  });

  it("demotes a stream at agreement 0.5 within ~30 checks", () => {
    // At least 9 disagreements are needed (9 * ln 3 > h); at 0.5 the expected step is +0.49, so ~19 checks.
    const at = SEEDS.map((seed) => demotedAt(stream(0.5, 200, seed)));
    expect(at.every((check) => check !== null && check >= 9)).toBe(true);
    const sorted = (at as number[]).slice().sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThanOrEqual(30);
    expect(sorted[Math.floor(sorted.length * 0.9)]).toBeLessThanOrEqual(40);
    expect(sorted[sorted.length - 1]).toBeLessThanOrEqual(60);
  });

  it("demotes a drop from 0.97 to 0.80 within a median of 150 checks after the drop", () => {
    const delays = SEEDS.map((seed) => {
      const at = demotedAt([...stream(0.97, 500, seed), ...stream(0.8, 2000, seed + 1)]);
      expect(at, `seed ${seed}`).not.toBeNull();
      expect(at as number, `seed ${seed} demoted before the drop`).toBeGreaterThan(500);
      return (at as number) - 500;
    });
    delays.sort((a, b) => a - b);
    expect(delays[delays.length / 2]).toBeLessThanOrEqual(150);
  });

  it("cannot demote on fewer than nine disagreements", () => {
    const need = Math.ceil(DRIFT_TEST.h / driftStep(false));
    expect(need).toBe(9);
    expect(demotedAt(Array(need - 1).fill(false))).toBeNull();
    expect(demotedAt(Array(need).fill(false))).toBe(need);
  });

  it("resets to 0 when the evidence favours H0, and never goes below", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 300 }), (checks) => {
        let state = initialDriftState();
        for (const agree of checks) {
          state = updateDrift(state, agree).state;
          expect(state.cusum).toBeGreaterThanOrEqual(0);
          expect(state.runChecks === 0).toBe(state.cusum === 0);
          expect(state.runDisagree).toBeLessThanOrEqual(state.runChecks);
          expect(state.disagree).toBeLessThanOrEqual(state.n);
        }
      }),
    );
  });

  it("keeps a verdict final: checks after demotion change neither the state nor the evidence", () => {
    const demoted = driftFromChecks(Array(9).fill(false));
    expect(demoted.demote).toBe(true);
    const later = updateDrift(demoted.state, true);
    expect(later.demote).toBe(true);
    expect(later.state).toEqual(demoted.state);
    expect(later.evidence).toBe(demoted.evidence);
  });

  it("is JSON round-trippable mid-stream", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 400 }), fc.array(fc.boolean(), { maxLength: 100 }), (before, after) => {
        const stored = JSON.parse(JSON.stringify(driftFromChecks(before).state)) as DriftState;
        expect(stored).toEqual(driftFromChecks(before).state);
        let resumed = stored;
        for (const agree of after) resumed = updateDrift(resumed, agree).state;
        expect(resumed).toEqual(driftFromChecks([...before, ...after]).state);
      }),
    );
  });

  it("folding equals stepping", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 500 }), (checks) => {
        let stepped = { state: initialDriftState(), demote: false, evidence: "" };
        for (const agree of checks) stepped = updateDrift(stepped.state, agree);
        const folded = driftFromChecks(checks);
        if (checks.length > 0) expect(folded).toEqual(stepped);
        else expect(folded.state).toEqual(initialDriftState());
      }),
    );
    // A generator works as well as an array (the rows may be streamed from the database).
    function* rows() {
      yield* stream(0.7, 300, 11);
    }
    expect(driftFromChecks(rows())).toEqual(driftFromChecks(stream(0.7, 300, 11)));
  });

  it("gives evidence that quotes the counts", () => {
    const checks = [...stream(0.97, 300, 5), ...stream(0.6, 300, 6)];
    const result = driftFromChecks(checks);
    expect(result.demote).toBe(true);
    const { state } = result;
    const agreedRecently = state.runChecks - state.runDisagree;
    expect(result.evidence).toContain(`agreement ${agreedRecently}/${state.runChecks} = ${(agreedRecently / state.runChecks).toFixed(2)} over the last ${state.runChecks} shadow checks`);
    expect(result.evidence).toContain(`${state.n - state.disagree}/${state.n}`);
    expect(result.evidence).toContain(`CUSUM ${state.cusum.toFixed(2)} ≥ h ${DRIFT_TEST.h.toFixed(2)}`);
    expect(state.cusum).toBeGreaterThanOrEqual(DRIFT_TEST.h);
    // The excursion that demoted started after the drop.
    expect(state.runChecks).toBeLessThan(state.n - 300 + 50);

    const calm = driftFromChecks(Array(100).fill(true));
    expect(calm.demote).toBe(false);
    expect(calm.evidence).toContain("100/100 = 1.00 in all");
    expect(calm.evidence).toContain(`< h ${DRIFT_TEST.h.toFixed(2)}`);
  });

  it("accepts other parameters", () => {
    const strict = { p0: 0.99, p1: 0.9, alpha: 0.01, beta: 0.01, h: Math.log(0.99 / 0.01) };
    const checks = stream(0.93, 2000, 3);
    const at = demotedAt(checks);
    const strictResult = driftFromChecks(checks, strict);
    expect(strictResult.demote).toBe(true);
    expect(strictResult.state.n).toBeLessThan(at ?? Infinity);
  });
});
