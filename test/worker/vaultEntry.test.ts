import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compiler/types.js";
import { markAbstentions, traceWindow, vaultEntry } from "../../src/worker/vaultEntry.js";
import { windowText } from "../../src/contract/rules.js";

const rate = (ok: number, n: number, lowerBound: number, upperBound: number) => ({ rate: ok / n, lowerBound, upperBound, ok, n });

/** A partial result as compileBucket hands it back (60 of 62 answered calls agree; 62 of 100 answered). */
const result: CompileResult = {
  bucket: "acme:normalize_country:v1",
  verdict: "partial",
  scores: { schema: 1, det: 1, oracle: 60 / 62, robustness: 0.99 },
  lowerBounds: { schema: 0.996, det: 0.996, oracle: 0.89, robustness: 0.98 },
  coverage: rate(62, 100, 0.522, 0.709),
  selective: rate(60, 62, 0.89, 0.991),
  oracleLowerBound: 0.89,
  baseline: 0.41,
  liftPValue: 0.0001,
  novel: { synthetic: 1000, distinct: 990, unseen: 950, abstained: 400 },
  family: "lookup",
  origin: "template",
  cvAgreement: 0.95,
  nTrain: 120,
  nHoldout: 100,
  nTraces: 120,
  reasons: ["coverage 0.62 (62 of 100 later calls answered) is below 0.95"],
  notes: ["an LLM proposal lost"],
  code: "export default function compiled(input) { return undefined; }",
};

describe("vaultEntry", () => {
  it("takes coverage and selective agreement from their estimates, robustness into the scores, and nothing the vault does not keep", () => {
    const e = vaultEntry(result);
    expect(e).toEqual({
      verdict: "partial",
      scores: { schema: 1, det: 1, oracle: 60 / 62, robustness: 0.99 },
      coverage: 0.62,
      selective: { agreement: 60 / 62, lowerBound: 0.89, upperBound: 0.991 },
      oracleLowerBound: 0.89,
      baseline: 0.41,
      family: "lookup",
      code: result.code,
      // sha256 of the verified code: vault export loads only code that still matches it.
      codeHash: createHash("sha256").update(result.code, "utf8").digest("hex"),
      nTraces: 120,
      nTrain: 120,
      nHoldout: 100,
      reasons: result.reasons,
    });
    expect(e.selective.lowerBound).toBeLessThanOrEqual(e.selective.agreement);
  });

  it("marks the fixtures the function deferred to the model, since a stored document drops undefined", () => {
    const envelope = {
      calls: [
        { input: { country: "united kingdom " }, output: { code: "GB" }, micros: 0.3 },
        { input: { country: "Holland" }, output: undefined, micros: 0.2 },
      ],
    };
    expect(vaultEntry(result, envelope).envelope).toEqual({
      calls: [
        { input: { country: "united kingdom " }, output: { code: "GB" }, micros: 0.3 },
        { input: { country: "Holland" }, abstained: true, micros: 0.2 },
      ],
    });
    expect(markAbstentions(undefined)).toBeUndefined();
    expect(markAbstentions({ other: 1 })).toEqual({ other: 1 });
  });
});

describe("the window a compile learned from", () => {
  it("is stated when the bucket had more traces than one compile reads, or when it learned only since a drift", () => {
    expect(traceWindow(400, 5000, { count: 400 }, undefined)).toBeUndefined();
    expect(traceWindow(5000, 5000, { count: 100_000 }, undefined)).toEqual({ traces: 5000, of: 100_000 });
    expect(traceWindow(230, 5000, { count: 1000, trainFromCount: 770 }, 951)).toEqual({ traces: 230, of: 230, sinceSeq: 951 });
    // A bucket row read after more traces arrived never says fewer than were learned from.
    expect(traceWindow(5000, 5000, { count: 10 }, undefined)).toEqual({ traces: 5000, of: 5000 });
  });

  it("goes into the vault entry and reads as a sentence", () => {
    const window = traceWindow(5000, 5000, { count: 100_000 }, undefined);
    expect(vaultEntry(result, undefined, window).window).toEqual({ traces: 5000, of: 100_000 });
    expect(vaultEntry(result)).not.toHaveProperty("window");
    expect(windowText({ traces: 5000, of: 100_000 })).toBe("learned from the newest 5,000 of its 100,000 traces");
    expect(windowText({ traces: 230, of: 230, sinceSeq: 951 })).toBe("learned from its 230 traces since its drift began (after seq 951)");
    // A spread window (a bucket larger than one compile reads): what it drew from where.
    const spread = traceWindow(4990, 5000, { count: 100_000 }, undefined, true);
    expect(spread).toEqual({ traces: 4990, of: 100_000, spread: 2490 });
    expect(windowText(spread!)).toBe("learned from 4,990 of its 100,000 traces: the newest 2,500 and 2,490 spread evenly over the older ones");
  });
});
