import { describe, expect, it } from "vitest";
import { encodeIndexKey, encodeIndexKeys, encodeKey } from "../../src/backend/embedded/keys.js";

describe("index keys", () => {
  it("encodeIndexKeys gives each index the bytes encodeIndexKey gives it", () => {
    const lists = [[], ["acme:a:v1", 12], [null], [undefined, true, "é\u0000x", -0.5, 7n]];
    const many = encodeIndexKeys(lists, 1_760_000_000_000.123, "abcdefghjkmnpqrstvwxyz0123456789");
    lists.forEach((fields, i) => {
      const one = encodeIndexKey(fields, 1_760_000_000_000.123, "abcdefghjkmnpqrstvwxyz0123456789");
      expect(Buffer.from(many[i]).equals(Buffer.from(one))).toBe(true);
      expect(Buffer.from(one).equals(Buffer.from(encodeKey([...fields, 1_760_000_000_000.123, "abcdefghjkmnpqrstvwxyz0123456789"])))).toBe(true);
    });
  });
});
