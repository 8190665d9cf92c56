import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costOf, priceOf } from "../../src/contract/prices.js";
import { rankQueue, type QueuedJob } from "../../src/contract/queueOrder.js";

const PRICED = "gpt-4o-mini-2024-07-18";
/** A queued job; ids are plain strings here (they are only compared). */
const job = (over: Partial<Omit<QueuedJob, "jobId">> & { jobId?: string }): QueuedJob =>
  ({ jobId: "j", bucket: "acme:x:v1", reason: "VOLUME", enqueuedAt: 0, callsPerMinute: 0, avgTokensIn: 0, avgTokensOut: 0, ...over }) as QueuedJob;

describe("the claim order (expected saving, then age)", () => {
  it("puts the bucket whose calls cost most a minute first, whatever the enqueue order", () => {
    const ranked = rankQueue([
      job({ jobId: "old-cheap", enqueuedAt: 1, callsPerMinute: 1, avgTokensIn: 100, avgTokensOut: 5, model: PRICED }),
      job({ jobId: "new-busy", enqueuedAt: 9, callsPerMinute: 60, avgTokensIn: 100, avgTokensOut: 5, model: PRICED }),
      job({ jobId: "unpriced", enqueuedAt: 0, callsPerMinute: 1000, avgTokensIn: 100, avgTokensOut: 5, model: "no-such-model-xyz" }),
    ]);
    expect(ranked.map((j) => j.jobId)).toEqual(["new-busy", "old-cheap", "unpriced"]);
    const perCall = costOf(priceOf(PRICED), 100, 5) as number;
    expect(ranked[0].savingPerMinuteUsd).toBeCloseTo(60 * perCall, 12);
    expect(ranked[2].savingPerMinuteUsd).toBeUndefined();
  });

  it("is a permutation, sorted by saving (unknown last) then age, over generated queues", () => {
    const arbJob = fc.record({
      enqueuedAt: fc.integer({ min: 0, max: 1e6 }),
      callsPerMinute: fc.double({ min: 0, max: 1000, noNaN: true }),
      avgTokensIn: fc.integer({ min: 0, max: 5000 }),
      avgTokensOut: fc.integer({ min: 0, max: 500 }),
      model: fc.constantFrom(PRICED, "no-such-model-xyz", undefined),
    });
    fc.assert(
      fc.property(fc.array(arbJob, { maxLength: 30 }), (specs) => {
        const jobs = specs.map((s, i) => job({ ...s, jobId: `j${i}` }));
        const ranked = rankQueue(jobs);
        expect(ranked.map((j) => j.jobId).sort()).toEqual(jobs.map((j) => j.jobId).sort());
        for (let i = 1; i < ranked.length; i++) {
          const [a, b] = [ranked[i - 1], ranked[i]];
          const [sa, sb] = [a.savingPerMinuteUsd ?? -1, b.savingPerMinuteUsd ?? -1];
          expect(sa > sb || (sa === sb && a.enqueuedAt <= b.enqueuedAt)).toBe(true);
        }
      }),
      { seed: 20261130, numRuns: 200 },
    );
  });
});
