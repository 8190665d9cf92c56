import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { canonicalKey, isShadowed, shadowHash } from "../../src/runtime/shadowSample.js";

const BUCKET = "acme:classify_lead_tier:v1";

/** Distinct, realistic inputs: a lead record whose fields vary with i. */
function leadInput(i: number): Record<string, unknown> {
  return { company: `Company ${i}`, employees: (i * 37) % 5000, country: ["DE", "US", "FR", "JP"][i % 4], domain: `c${i}.example`, tags: [i % 3, "lead"] };
}

/** The binomial 4-sigma band around n * rate. */
function band(n: number, rate: number): [number, number] {
  const sigma = Math.sqrt(n * rate * (1 - rate));
  return [n * rate - 4 * sigma, n * rate + 4 * sigma];
}

describe("canonicalKey", () => {
  it("ignores key order at every depth", () => {
    expect(canonicalKey({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: "s" } })).toBe(canonicalKey({ a: { c: "s", d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonicalKey({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it("is JSON.stringify with sorted keys", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalKey(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    const date = new Date(0);
    expect(canonicalKey({ at: date, skip: undefined, list: [undefined, () => 1], nan: Number.NaN })).toBe(`{"at":${JSON.stringify(date)},"list":[null,null],"nan":null}`);
    expect(canonicalKey(undefined)).toBe("undefined");
  });

  it("throws on what JSON cannot hold", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalKey(cyclic)).toThrow(TypeError);
    expect(() => canonicalKey({ n: 1n })).toThrow(TypeError);
    // A shared (not cyclic) object is fine.
    const shared = { x: 1 };
    expect(canonicalKey({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe("isShadowed", () => {
  it("never at rate 0, always at rate 1", () => {
    for (let i = 0; i < 1000; i++) {
      expect(isShadowed(BUCKET, leadInput(i), 0)).toBe(false);
      expect(isShadowed(BUCKET, leadInput(i), 1)).toBe(true);
    }
    expect(isShadowed(BUCKET, leadInput(1), Number.NaN)).toBe(false);
    expect(isShadowed(BUCKET, leadInput(1), -1)).toBe(false);
    expect(isShadowed(BUCKET, leadInput(1), 2)).toBe(true);
  });

  it("shadows a rate share of 10,000 distinct inputs, within a binomial 4-sigma band", () => {
    for (const rate of [0.05, 0.01, 0.2, 0.5]) {
      let shadowed = 0;
      for (let i = 0; i < 10_000; i++) if (isShadowed(BUCKET, leadInput(i), rate)) shadowed++;
      const [low, high] = band(10_000, rate);
      expect(shadowed, `rate ${rate}`).toBeGreaterThanOrEqual(low);
      expect(shadowed, `rate ${rate}`).toBeLessThanOrEqual(high);
    }
  });

  it("keeps a rate share for inputs that differ in one trailing character or a small integer", () => {
    let byText = 0;
    let byNumber = 0;
    for (let i = 0; i < 10_000; i++) {
      if (isShadowed(BUCKET, `ticket ${i}`, 0.05)) byText++;
      if (isShadowed(BUCKET, i, 0.05)) byNumber++;
    }
    const [low, high] = band(10_000, 0.05);
    for (const count of [byText, byNumber]) {
      expect(count).toBeGreaterThanOrEqual(low);
      expect(count).toBeLessThanOrEqual(high);
    }
  });

  it("is deterministic and ignores key order", () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.jsonValue()), fc.double({ min: 0, max: 1, noNaN: true }), (bucket, input, rate) => {
        const reversed = Object.fromEntries(Object.entries(input).reverse());
        expect(isShadowed(bucket, input, rate)).toBe(isShadowed(bucket, input, rate));
        expect(isShadowed(bucket, reversed, rate)).toBe(isShadowed(bucket, input, rate));
      }),
    );
  });

  it("agrees with shadowHash of the canonical key, so the key stored with a check reproduces the decision", () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), fc.double({ min: 0, max: 1, noNaN: true }), (bucket, input, rate) => {
        expect(isShadowed(bucket, input, rate)).toBe(shadowHash(bucket, canonicalKey(input)) < rate);
      }),
      { numRuns: 500 },
    );
    // Strings that take JSON's escaping path (quotes, control characters, lone surrogates).
    for (const text of ['say "hi"', "a\\b", "line\nbreak", "\ud800 lone", "😀 pair"]) {
      for (const rate of [0.1, 0.5, 0.9]) expect(isShadowed(BUCKET, { text }, rate)).toBe(shadowHash(BUCKET, canonicalKey({ text })) < rate);
    }
  });

  it("nests: raising the rate keeps every call already shadowed", () => {
    for (let i = 0; i < 2000; i++) {
      if (isShadowed(BUCKET, leadInput(i), 0.05)) expect(isShadowed(BUCKET, leadInput(i), 0.2)).toBe(true);
    }
  });

  it("decides independently per bucket", () => {
    let both = 0;
    let first = 0;
    for (let i = 0; i < 10_000; i++) {
      const a = isShadowed("acme:route_ticket:v1", leadInput(i), 0.2);
      const b = isShadowed("acme:route_ticket:v2", leadInput(i), 0.2);
      if (a) first++;
      if (a && b) both++;
    }
    // Independent at 20%: ~4% of inputs in both, not ~20% as if the bucket were ignored.
    const [low, high] = band(10_000, 0.04);
    expect(first).toBeGreaterThan(1500);
    expect(both).toBeGreaterThanOrEqual(low);
    expect(both).toBeLessThanOrEqual(high);
  });

  it("never shadows an input with no JSON form, and does not throw", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(isShadowed(BUCKET, cyclic, 0.99)).toBe(false);
    expect(isShadowed(BUCKET, { n: 1n }, 0.99)).toBe(false);
  });
});
