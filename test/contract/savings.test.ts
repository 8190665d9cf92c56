import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { costOf, parsePriceOverride, priceOf } from "../../src/contract/prices.js";
import {
  breakEvenCalls,
  computeSavings,
  type BucketInfo,
  type BucketSavings,
  type UsageWindow,
} from "../../src/contract/savings.js";
import { formatSavingsTable, formatUsd } from "../../src/commands/savingsTable.js";

const KNOWN = "gpt-4o-mini-2024-07-18";
const UNKNOWN = "no-such-model-xyz";
const OVERRIDDEN = "local-model";
const overrides = [parsePriceOverride(`${OVERRIDDEN}=1/2`)];

function row(bucket: string, fields: Partial<UsageWindow> = {}): UsageWindow {
  return {
    bucket,
    windowStart: 0,
    served: 0,
    deferred: 0,
    shadowed: 0,
    shadowAgree: 0,
    tokensInAvoided: 0,
    tokensOutAvoided: 0,
    latencyMsAvoided: 0,
    ...fields,
  };
}

function only(buckets: BucketSavings[], name: string): BucketSavings {
  const found = buckets.find((b) => b.bucket === name);
  if (!found) throw new Error(`no line for ${name}`);
  return found;
}

describe("checks against a known answer (the daemon's replay)", () => {
  test("count in the agreement beside shadow checks, and the calls stay savings", () => {
    const price = { overrides };
    const info = new Map<string, BucketInfo>([["acme:a:v1", { compileCostUsd: 0 }]]);
    const base = { served: 50, deferred: 50, tokensInAvoided: 5000, tokensOutAvoided: 500, latencyMsAvoided: 50_000, model: OVERRIDDEN };
    const plain = computeSavings([row("acme:a:v1", base)], info, price).buckets[0];
    const checked = computeSavings([row("acme:a:v1", { ...base, shadowed: 10, shadowAgree: 10, checked: 40, checkAgree: 30 })], info, price).buckets[0];
    expect(plain.shadowAgreement).toBeUndefined();
    expect(checked).toMatchObject({ checked: 40, checkAgree: 30, shadowed: 10 });
    expect(checked.shadowAgreement).toEqual({ rate: 40 / 50, checks: 50 });
    // Money: the 10 shadowed calls asked the model, the 40 checked ones did not.
    expect(checked.moneyAvoidedUsd).toBeCloseTo(((5000 * 40) / 50 / 1e6) * 1 + ((500 * 40) / 50 / 1e6) * 2, 15);
    const onlyChecked = computeSavings([row("acme:a:v1", { ...base, checked: 50, checkAgree: 50 })], info, price).buckets[0];
    expect(onlyChecked.moneyAvoidedUsd).toBe(plain.moneyAvoidedUsd);
    expect(computeSavings([row("acme:a:v1", { ...base, checked: 50, checkAgree: 50 })], info, price).total.shadowAgreement).toEqual({ rate: 1, checks: 50 });
  });

  test("a row with more agreeing than checked, or more checked than served, is refused", () => {
    const info = new Map<string, BucketInfo>();
    expect(() => computeSavings([row("acme:a:v1", { served: 5, checked: 3, checkAgree: 4 })], info)).toThrow(/4 agreeing of 3 checked/);
    expect(() => computeSavings([row("acme:a:v1", { served: 5, checked: 6, checkAgree: 1 })], info)).toThrow(/6 checked of 5 served/);
  });
});

describe("one bucket, by hand", () => {
  // 100 served of which 20 shadowed, 100 deferred; tokens over the 100 served; $1 in, $2 out per M.
  const report = computeSavings(
    [
      row("acme:a:v1", { windowStart: 0, served: 60, deferred: 40, shadowed: 10, shadowAgree: 9, tokensInAvoided: 6000, tokensOutAvoided: 600, latencyMsAvoided: 60_000, model: OVERRIDDEN }),
      row("acme:a:v1", { windowStart: 60_000, served: 40, deferred: 60, shadowed: 10, shadowAgree: 10, tokensInAvoided: 4000, tokensOutAvoided: 400, latencyMsAvoided: 40_000, model: OVERRIDDEN }),
    ],
    new Map<string, BucketInfo>([["acme:a:v1", { compileCostUsd: 0.4 }]]),
    { overrides },
  );
  const a = report.buckets[0];

  test("counts, coverage and shadow agreement", () => {
    expect(a).toMatchObject({ calls: 200, served: 100, deferred: 100, shadowed: 20, shadowAgree: 19, coverage: 0.5 });
    expect(a.shadowAgreement).toEqual({ rate: 0.95, checks: 20 });
    expect(a.latencyMsAvoided).toBe(100_000);
  });

  test("money counts only the served calls that were not shadowed", () => {
    // Window 1 keeps 50/60 of its tokens, window 2 30/40: 5000 + 3000 in, 500 + 300 out.
    expect(a.tokensInAvoided).toBeCloseTo(8000, 9);
    expect(a.tokensOutAvoided).toBeCloseTo(800, 9);
    expect(a.moneyAvoidedUsd).toBeCloseTo((8000 * 1 + 800 * 2) / 1e6, 15);
    expect(a.savingPerCallUsd).toBeCloseTo(0.0096 / 200, 15);
    expect(a.breakEvenCalls).toBeCloseTo(0.4 / (0.0096 / 200), 6);
  });

  test("the table shows the bucket, the total and where the price came from", () => {
    const text = formatSavingsTable(report);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^bucket\s+model\s+calls/);
    expect(lines[1]).toMatch(/^-+ {2}-+/);
    expect(text).toContain("acme:a:v1");
    expect(text).toMatch(/\ntotal\s/);
    expect(text).toContain("$0.00960");
    expect(text).toContain("8,334 calls");
    expect(text).toContain(`price ${OVERRIDDEN}: $1 in, $2 out per million tokens (--price)`);
    expect(text).toContain("0.950 of 20");
  });
});

describe("unknown prices", () => {
  test("an unpriced model with saved calls is unknown, never $0, and so is the total; the priced part travels beside it", () => {
    const report = computeSavings(
      [
        row("b:unpriced", { served: 10, deferred: 5, tokensInAvoided: 1000, tokensOutAvoided: 100, model: UNKNOWN }),
        row("b:priced", { served: 10, tokensInAvoided: 1_000_000, tokensOutAvoided: 0, model: OVERRIDDEN }),
      ],
      new Map([["b:unpriced", { compileCostUsd: 1 }]]),
      { overrides },
    );
    const unpriced = only(report.buckets, "b:unpriced");
    expect(unpriced.moneyAvoidedUsd).toBe("unknown");
    expect(unpriced.savingPerCallUsd).toBe("unknown");
    expect(unpriced.breakEvenCalls).toBe("unknown");
    expect(report.total.moneyAvoidedUsd).toBe("unknown");
    expect(report.total.moneyAvoidedPricedUsd).toBeCloseTo(1, 12);
    expect(report.total.unpricedBuckets).toEqual(["b:unpriced"]);
    const text = formatSavingsTable(report);
    expect(text).toMatch(/b:unpriced .*unknown/);
    expect(text).toContain(`no price for ${UNKNOWN}`);
    expect(text).toContain("The priced buckets saved $1.00");
  });

  test("a bucket without any model is unknown too", () => {
    const report = computeSavings([row("b:nomodel", { served: 3, tokensInAvoided: 300 })]);
    expect(report.buckets[0].moneyAvoidedUsd).toBe("unknown");
  });

  test("the bucket's model prices rows that do not name one; a row's own model wins", () => {
    const report = computeSavings(
      [row("b", { served: 1, tokensInAvoided: 1e6 }), row("b", { windowStart: 1, served: 1, tokensInAvoided: 1e6, model: OVERRIDDEN })],
      new Map([["b", { model: KNOWN }]]),
      { overrides },
    );
    const known = priceOf(KNOWN);
    if (known === "unknown") throw new Error("seed model unpriced");
    expect(report.buckets[0].moneyAvoidedUsd).toBeCloseTo(known.inputPerMTok + 1, 12);
    expect(report.buckets[0].models).toEqual([KNOWN, OVERRIDDEN].sort());
  });

  test("no saved call is exactly $0 whatever the price: all shadowed, or only deferred", () => {
    const report = computeSavings([
      row("all-shadowed", { served: 5, shadowed: 5, shadowAgree: 5, tokensInAvoided: 500, model: UNKNOWN }),
      row("all-deferred", { deferred: 5, model: UNKNOWN }),
    ]);
    for (const b of report.buckets) {
      expect(b.moneyAvoidedUsd).toBe(0);
      expect(b.savingPerCallUsd).toBe(0);
      expect(b.breakEvenCalls).toBe("unknown"); // compile cost not given
    }
    expect(report.total.moneyAvoidedUsd).toBe(0);
  });
});

describe("edges", () => {
  test("a compiled bucket without traffic still appears, its compile cost in the total", () => {
    const report = computeSavings([], new Map([["idle", { compileCostUsd: 0.25, compileMs: 1200, model: KNOWN }]]));
    const idle = report.buckets[0];
    expect(idle).toMatchObject({ bucket: "idle", calls: 0, coverage: undefined, shadowAgreement: undefined, moneyAvoidedUsd: 0, compileMs: 1200, models: [KNOWN] });
    expect(idle.savingPerCallUsd).toBe("unknown");
    expect(report.total.compileCostUsd).toBe(0.25);
    expect(formatSavingsTable(report)).toMatch(/idle .* - /);
  });

  test("break-even: free compile repays at once, nothing saved never repays, unknown stays unknown", () => {
    expect(breakEvenCalls(0, 0)).toBe(0);
    expect(breakEvenCalls(0, "unknown")).toBe(0);
    expect(breakEvenCalls(0.5, 0)).toBe("never");
    expect(breakEvenCalls("unknown", 0.1)).toBe("unknown");
    expect(breakEvenCalls(0.5, "unknown")).toBe("unknown");
    expect(breakEvenCalls(1, 0.001)).toBeCloseTo(1000, 9);
  });

  test.each([
    [{ shadowed: 3, served: 2 }, "shadow calls are served calls"],
    [{ served: 2, shadowed: 2, shadowAgree: 3 }, "3 agreeing of 2 shadowed"],
    [{ served: -1 }, "served -1 is not a count"],
    [{ tokensInAvoided: Number.NaN }, "tokensInAvoided NaN is not a count"],
  ])("refuses a row that cannot be: %j", (fields, problem) => {
    expect(() => computeSavings([row("bad", fields)])).toThrow(problem);
  });

  test("refuses a compile cost that is not money", () => {
    expect(() => computeSavings([], new Map([["b", { compileCostUsd: -1 }]]))).toThrow("compile cost");
  });

  test("no rows, no info: an empty table", () => {
    expect(formatSavingsTable(computeSavings([]))).toBe("(none)\n");
  });

  test("bucket names are escaped for the terminal", () => {
    const text = formatSavingsTable(computeSavings([row("evil\x1b]0;pwned\x07", { deferred: 1 })]));
    expect(text).not.toContain("\x1b");
    expect(text).toContain("evil\\x1b]0;pwned\\x07");
  });
});

describe("formatUsd", () => {
  test.each([
    ["unknown", "unknown"],
    [0, "$0.00"],
    [1234.5, "$1,234.50"],
    [1, "$1.00"],
    [0.5, "$0.500"],
    [0.0096, "$0.00960"],
    [0.0000395, "$0.0000395"],
    [1.23e-9, "$0.00000000123"],
  ] as const)("%s -> %s", (x, text) => {
    expect(formatUsd(x)).toBe(text);
  });

  test("a tiny amount never prints as $0", () => {
    for (const x of [1e-12, 3e-7, 0.004]) expect(formatUsd(x)).not.toMatch(/^\$0\.0*$/);
  });

  test("refuses a number that is not money", () => {
    expect(() => formatUsd(Number.NaN)).toThrow(RangeError);
    expect(() => formatUsd(Infinity)).toThrow(RangeError);
  });
});

// ---- generated rows ----

const BUCKETS = ["g:a:v1", "g:b:v1", "g:c:v1", "g:d:v1"];
const MODELS = [KNOWN, UNKNOWN, OVERRIDDEN, undefined];

const windowArb = fc
  .record({
    bucket: fc.constantFrom(...BUCKETS),
    windowStart: fc.nat({ max: 1e9 }),
    served: fc.nat({ max: 500 }),
    deferred: fc.nat({ max: 500 }),
    shadowPart: fc.double({ min: 0, max: 1, noNaN: true }),
    agreePart: fc.double({ min: 0, max: 1, noNaN: true }),
    tokensPerCallIn: fc.nat({ max: 3000 }),
    tokensPerCallOut: fc.nat({ max: 500 }),
    latencyPerCall: fc.nat({ max: 5000 }),
    model: fc.constantFrom(...MODELS),
  })
  .map((g): UsageWindow => {
    const shadowed = Math.floor(g.served * g.shadowPart);
    return {
      bucket: g.bucket,
      windowStart: g.windowStart,
      served: g.served,
      deferred: g.deferred,
      shadowed,
      shadowAgree: Math.floor(shadowed * g.agreePart),
      tokensInAvoided: g.served * g.tokensPerCallIn,
      tokensOutAvoided: g.served * g.tokensPerCallOut,
      latencyMsAvoided: g.served * g.latencyPerCall,
      ...(g.model === undefined ? {} : { model: g.model }),
    };
  });

const infoArb = fc.dictionary(
  fc.constantFrom(...BUCKETS),
  fc.record({ model: fc.constantFrom(...MODELS), compileCostUsd: fc.option(fc.double({ min: 0, max: 50, noNaN: true }), { nil: undefined }) }, { requiredKeys: [] }),
);

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe("generated rows (seeded)", () => {
  const runs = { seed: 20261130, numRuns: 300 };

  test("totals are the sums of the bucket lines, and the bucket lines the sums of their rows", () => {
    fc.assert(
      fc.property(fc.array(windowArb, { maxLength: 30 }), infoArb, (rows, infoObj) => {
        const report = computeSavings(rows, new Map(Object.entries(infoObj)), { overrides });
        const { buckets, total } = report;
        for (const b of buckets) {
          const mine = rows.filter((r) => r.bucket === b.bucket);
          expect(b.served).toBe(sum(mine.map((r) => r.served)));
          expect(b.deferred).toBe(sum(mine.map((r) => r.deferred)));
          expect(b.shadowed).toBe(sum(mine.map((r) => r.shadowed)));
          expect(b.latencyMsAvoided).toBe(sum(mine.map((r) => r.latencyMsAvoided)));
          // Tokens avoided: the rows' tokens less the shadowed share, never more than the rows hold.
          expect(b.tokensInAvoided).toBeLessThanOrEqual(sum(mine.map((r) => r.tokensInAvoided)) + 1e-9);
        }
        for (const key of ["calls", "served", "deferred", "shadowed", "shadowAgree", "tokensInAvoided", "tokensOutAvoided", "latencyMsAvoided"] as const) {
          expect(close(total[key], sum(buckets.map((b) => b[key]))), key).toBe(true);
        }
        const known = buckets.flatMap((b) => (b.moneyAvoidedUsd === "unknown" ? [] : [b.moneyAvoidedUsd]));
        expect(close(total.moneyAvoidedPricedUsd, sum(known))).toBe(true);
        if (known.length === buckets.length) expect(close(total.moneyAvoidedUsd as number, sum(known))).toBe(true);
        else expect(total.moneyAvoidedUsd).toBe("unknown");
        const compile = buckets.map((b) => b.compileCostUsd);
        if (compile.every((c) => c !== "unknown")) expect(close(total.compileCostUsd as number, sum(compile as number[]))).toBe(true);
        else expect(total.compileCostUsd).toBe("unknown");
      }),
      runs,
    );
  });

  test("coverage and shadow agreement stay in [0,1], the interval around the rate", () => {
    fc.assert(
      fc.property(fc.array(windowArb, { maxLength: 30 }), (rows) => {
        const { buckets, total } = computeSavings(rows, new Map(), { overrides });
        for (const line of [...buckets, total]) {
          if (line.calls === 0) expect(line.coverage).toBeUndefined();
          else {
            expect(line.coverage).toBeGreaterThanOrEqual(0);
            expect(line.coverage).toBeLessThanOrEqual(1);
            expect(close(line.coverage!, line.served / line.calls)).toBe(true);
          }
          const agreement = line.shadowAgreement;
          if (line.shadowed === 0) expect(agreement).toBeUndefined();
          else {
            expect(agreement!.rate).toBeGreaterThanOrEqual(0);
            expect(agreement!.rate).toBeLessThanOrEqual(1);
            expect(agreement!.checks).toBe(line.shadowed);
          }
        }
      }),
      runs,
    );
  });

  test("N* times the saving per call gives back the compile cost", () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.array(windowArb, { maxLength: 30 }), infoArb, (rows, infoObj) => {
        const { buckets, total } = computeSavings(rows, new Map(Object.entries(infoObj)), { overrides });
        for (const line of [...buckets, total]) {
          const { breakEvenCalls: n, savingPerCallUsd: perCall, compileCostUsd: compile } = line;
          if (compile === 0) {
            expect(n).toBe(0);
          } else if (compile === "unknown" || perCall === "unknown") {
            expect(n).toBe("unknown");
          } else if (perCall === 0) {
            expect(n).toBe("never");
          } else {
            expect(typeof n).toBe("number");
            expect(close((n as number) * perCall, compile)).toBe(true);
            checked++;
          }
        }
      }),
      runs,
    );
    expect(checked, "the generator reaches the arithmetic case").toBeGreaterThan(100);
  });

  test("money is the price of the tokens avoided; unknown, never $0, when a saved call has no price", () => {
    fc.assert(
      fc.property(fc.array(windowArb, { maxLength: 30 }), infoArb, (rows, infoObj) => {
        const info = new Map(Object.entries(infoObj));
        const { buckets } = computeSavings(rows, info, { overrides });
        for (const b of buckets) {
          const mine = rows.filter((r) => r.bucket === b.bucket);
          const modelOf = (r: UsageWindow) => r.model ?? info.get(b.bucket)?.model;
          const savedCallsUnpriced = mine.some((r) => r.served > r.shadowed && priceOf(modelOf(r) ?? "", overrides) === "unknown");
          if (savedCallsUnpriced) {
            expect(b.moneyAvoidedUsd).toBe("unknown");
            continue;
          }
          expect(b.moneyAvoidedUsd).not.toBe("unknown");
          // Recomputed row by row from the prices module: tokens scaled by the not-shadowed share.
          const expected = sum(
            mine.map((r) => {
              if (r.served === r.shadowed) return 0;
              const share = (r.served - r.shadowed) / r.served;
              return costOf(priceOf(modelOf(r)!, overrides), r.tokensInAvoided * share, r.tokensOutAvoided * share) as number;
            }),
          );
          expect(close(b.moneyAvoidedUsd as number, expected)).toBe(true);
        }
      }),
      runs,
    );
  });

  test("shadowing more of the same traffic never saves more money", () => {
    fc.assert(
      fc.property(windowArb, fc.nat({ max: 500 }), (base, extra) => {
        const priced = { ...base, model: OVERRIDDEN };
        const more = { ...priced, shadowed: Math.min(priced.served, priced.shadowed + extra), shadowAgree: priced.shadowAgree };
        const a = computeSavings([priced], new Map(), { overrides }).total.moneyAvoidedUsd as number;
        const b = computeSavings([more], new Map(), { overrides }).total.moneyAvoidedUsd as number;
        expect(b).toBeLessThanOrEqual(a + 1e-12);
      }),
      runs,
    );
  });

  test("the table has one line per bucket plus the total, all aligned", () => {
    fc.assert(
      fc.property(fc.array(windowArb, { minLength: 1, maxLength: 30 }), infoArb, (rows, infoObj) => {
        const report = computeSavings(rows, new Map(Object.entries(infoObj)), { overrides });
        const lines = formatSavingsTable(report).split("\n");
        const table = lines.slice(0, report.buckets.length + 4); // header, rule, buckets, rule, total
        expect(table[report.buckets.length + 3]).toMatch(/^total\s/);
        // Every column starts where the header's does: check the "calls" column.
        const at = table[0].indexOf("calls");
        for (const l of [table[0], ...table.slice(2, -2), table[table.length - 1]]) expect(l[at - 1]).toBe(" ");
        expect(formatSavingsTable(report)).not.toMatch(/\$NaN|undefined|Infinity/);
      }),
      { ...runs, numRuns: 100 },
    );
  });
});
