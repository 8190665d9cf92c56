import { describe, expect, it } from "vitest";
import { convexToJson, type Value } from "convex/values";
import { convexJsonText } from "../../src/backend/embedded/json.js";

describe("convexJsonText", () => {
  it("equals convexToJson's JSON for plain and special values alike", () => {
    const values: unknown[] = [
      { a: 1, b: "x", c: [true, null, { d: 2.5 }], e: undefined },
      [1, "two", [3]],
      { n: -0 },
      { n: NaN, m: Infinity },
      { big: 12n },
      { bytes: new Uint8Array([1, 2]).buffer },
      Object.assign(Object.create(null), { z: 1 }),
      "s",
      0,
    ];
    for (const v of values) expect(JSON.parse(convexJsonText(v))).toEqual(convexToJson(v as Value));
  });

  it("throws convexToJson's errors for values Convex refuses", () => {
    for (const bad of [{ $x: 1 }, [1, undefined], { d: new Date(0) }, { f: () => 1 }, new Map(), { "é": 1 }]) {
      expect(() => convexJsonText(bad)).toThrow();
      expect(() => convexToJson(bad as unknown as Value)).toThrow();
    }
  });
});
