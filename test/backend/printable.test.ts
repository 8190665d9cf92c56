import { describe, expect, it } from "vitest";
import { printable, printableValue } from "../../src/backend/printable.js";

describe("printable: names from the state file are safe to write to a terminal", () => {
  it("escapes C0 controls, DEL and C1 controls the way JavaScript writes them", () => {
    expect(printable("acme:\x1b]0;pwned\x07:v1")).toBe("acme:\\x1b]0;pwned\\x07:v1");
    expect(printable("a\x1b[2Jb")).toBe("a\\x1b[2Jb");
    expect(printable("line\nbreak\r\ttab\0")).toBe("line\\nbreak\\r\\ttab\\x00");
    expect(printable("del\x7f c1\u009b31m")).toBe("del\\x7f c1\\x9b31m");
  });

  it("escapes line and paragraph separators, bidi controls and lone surrogates", () => {
    expect(printable("a\u2028b\u2029c")).toBe("a\\u2028b\\u2029c");
    expect(printable("admin\u202e\u2066txt.exe")).toBe("admin\\u202e\\u2066txt.exe");
    expect(printable("x\ud800y")).toBe("x\\ud800y");
    expect(printable("x\udc00")).toBe("x\\udc00");
  });

  it("leaves ordinary text alone, non-ASCII letters and emoji included", () => {
    for (const text of ["acme:classify_lead_tier:v1", "Zürich · São Paulo", "日本", "👩‍💻 ok", "C:\\path", ""]) {
      expect(printable(text)).toBe(text);
    }
  });

  it("multiline keeps line feeds and tabs, nothing else", () => {
    expect(printable("a\n\tb\x1b[31m\r", { multiline: true })).toBe("a\n\tb\\x1b[31m\\r");
  });

  it("is idempotent and takes any value", () => {
    const once = printable("\x1b\u2028\n");
    expect(printable(once)).toBe(once);
    expect(printableValue(undefined)).toBe("");
    expect(printableValue(3)).toBe("3");
    expect(printableValue(false)).toBe("false");
  });
});
